import Foundation
import Testing
@testable import Plot

/// Renders `canvas`, decodes it again with libpng, and keeps a copy in $CONVBOOK_KEEP_PICTURES
/// (if set) for a person to look at.
func roundTrip(_ canvas: Canvas, name: String) throws -> PNGImage {
    let data = try canvas.pngData()
    if let folder = ProcessInfo.processInfo.environment["CONVBOOK_KEEP_PICTURES"] {
        try? data.write(to: URL(fileURLWithPath: folder).appendingPathComponent(name + ".png"))
    }
    return try PNGImage(data: data)
}

/// How many pixels differ from white.
func inkedPixels(_ image: PNGImage) -> Int {
    (0..<(image.width * image.height)).filter { i in
        image.rgba[i * 4] < 250 || image.rgba[i * 4 + 1] < 250 || image.rgba[i * 4 + 2] < 250
    }.count
}

func isClose(_ p: (red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8), _ c: Color, tolerance: Int = 6) -> Bool {
    abs(Int(p.red) - Int((c.red * 255).rounded())) <= tolerance && abs(Int(p.green) - Int((c.green * 255).rounded())) <= tolerance
        && abs(Int(p.blue) - Int((c.blue * 255).rounded())) <= tolerance
}

@Suite struct LineChartTests {
    @Test func constantSeriesIsDrawnAtItsHeight() throws {
        var chart = LineChart(title: "Constant", xLabel: "epoch")
        chart.xRange = 0...10
        chart.yRange = 0...2
        chart.series = [.init(name: "one", points: [(0, 1), (10, 1)], color: Color.series[0])]
        let image = try roundTrip(try chart.render(), name: "line-constant")
        #expect(image.width == 640 && image.height == 420)
        // Plot area spans y 44...364 for values 2...0, so y = 1 is at row 204; x = 2 is at 68 + 0.2·552.
        let x = 68 + Int(0.2 * 552)
        #expect(isClose(image[x, 204], Color.series[0], tolerance: 40), "\(image[x, 204])")
        #expect(!isClose(image[x, 150], Color.series[0], tolerance: 40))
    }

    @Test func scaleTwoDoublesThePixels() throws {
        var chart = LineChart(title: "Sharp", xLabel: "epoch")
        chart.series = [.init(name: "a", points: [(0, 0), (1, 1)])]
        let image = try roundTrip(try chart.render(scale: 2), name: "line-scale2")
        #expect(image.width == 1280 && image.height == 840)
    }

    @Test func trainingCurvesLookLikeTheBooks() throws {
        var chart = LineChart(title: "LeNet on Fashion-MNIST", xLabel: "epoch")
        let steps = (1...50).map { Double($0) }
        let loss: [(x: Double, y: Double)] = steps.map { t in (t / 5, 2.3 * exp(-t / 20) + 0.3) }
        let acc: [(x: Double, y: Double)] = steps.map { t in (t / 5, 0.9 - 0.8 * exp(-t / 15)) }
        let test: [(x: Double, y: Double)] = (1...10).map { e in (Double(e), 0.85 - 0.7 * exp(-Double(e) / 3)) }
        chart.series = [
            .init(name: "train loss", points: loss, color: Color.series[0]),
            .init(name: "train acc", points: acc, color: Color.series[1], dash: [7, 4]),
            .init(name: "test acc", points: test, color: Color.series[2], dash: [7, 3, 2, 3], markers: true),
        ]
        chart.xRange = 0...10
        let image = try roundTrip(try chart.render(), name: "line-training")
        #expect(inkedPixels(image) > 5000)
    }

    @Test func noDataOrNaNIsSaidInThePicture() throws {
        var empty = LineChart(title: "Nothing", xLabel: "epoch")
        empty.series = [.init(name: "loss", points: [])]
        let blank = try roundTrip(try empty.render(), name: "line-empty")
        // Axes and the "No data yet" text still appear.
        #expect(inkedPixels(blank) > 500)

        var broken = LineChart(title: "Diverged", xLabel: "epoch")
        broken.series = [.init(name: "loss", points: [(0, 2), (1, .nan), (2, .infinity), (3, 1)])]
        let image = try roundTrip(try broken.render(), name: "line-nan")
        // The red note about the skipped values.
        let reds = (0..<(image.width * image.height)).filter { isClose(image[$0 % image.width, $0 / image.width], .alarm, tolerance: 30) }
        #expect(reds.count > 50)
    }
}
