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

/// How many pixels in the rectangle are dark (text, lines), not white or a light fill.
func darkPixels(_ image: PNGImage, x: Range<Int>, y: Range<Int>) -> Int {
    var count = 0
    for row in y.clamped(to: 0..<image.height) {
        for column in x.clamped(to: 0..<image.width) {
            let p = image[column, row]
            if Int(p.red) + Int(p.green) + Int(p.blue) < 3 * 128 { count += 1 }
        }
    }
    return count
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
        let canvas = try chart.render()
        let image = try roundTrip(canvas, name: "line-constant")
        #expect(image.width == 640 && image.height == 420)
        // The data range sits `inset` inside the frame: y = 1 halfway between the inset ends.
        let layout = chart.layout(canvas)
        let row = Int(((layout.top + LineChart.inset) + (layout.bottom - LineChart.inset)) / 2)
        let x = Int(layout.left + LineChart.inset + 0.2 * (layout.right - layout.left - 2 * LineChart.inset))
        #expect(isClose(image[x, row], Color.series[0], tolerance: 40), "\(image[x, row])")
        #expect(!isClose(image[x, row - 50], Color.series[0], tolerance: 40))
    }

    /// The end of a fixed range is inset from the frame, so the last epoch's marker is drawn
    /// whole inside it.
    @Test func endMarkerSitsInsideTheFrame() throws {
        var chart = LineChart(title: "Markers", xLabel: "epoch")
        chart.xRange = 0...10
        chart.yRange = 0...1
        chart.series = [.init(name: "test acc", points: [(1, 0.5), (10, 1)], color: Color.series[2], markers: true)]
        let canvas = try chart.render()
        let image = try roundTrip(canvas, name: "line-end-marker")
        let layout = chart.layout(canvas)
        let (mx, my) = (layout.xAxis.pixel(10), layout.yAxis.pixel(1))
        #expect(mx + 3 < layout.right && my - 3 > layout.top)
        #expect(isClose(image[Int(mx), Int(my)], Color.series[2], tolerance: 30))
    }

    /// Data that crowd the top-right corner push the legend to a free corner, and it hides none
    /// of them.
    @Test func legendAvoidsTheData() throws {
        var chart = LineChart(title: "Rising", xLabel: "epoch", yLabel: "value")
        chart.xRange = 0...10
        chart.yRange = 0...1
        let t = (0...20).map { Double($0) / 20 }
        let rising: [(x: Double, y: Double)] = t.map { t in (10 * t, pow(t, 0.3)) }
        let high: [(x: Double, y: Double)] = t.map { t in (10 * t, 0.9 + 0.1 * t) }
        chart.series = [.init(name: "rising fast", points: rising, color: Color.series[0]),
                        .init(name: "high all along", points: high, color: Color.series[1])]
        let canvas = try chart.render()
        let image = try roundTrip(canvas, name: "line-legend-avoids")
        let layout = chart.layout(canvas)
        let legend = try #require(layout.legend)
        #expect(legend.place == .bottomRight, "\(legend.place)")
        // The box is drawn where the layout says: a white box with its text.
        let text = darkPixels(image, x: Int(legend.x) + 44..<Int(legend.x + legend.width), y: Int(legend.y)..<Int(legend.y + legend.height))
        #expect(text > 50, "legend text")
        // No data pixel under the box.
        for (x, y) in chart.drawnPoints(layout) {
            #expect(!(x > legend.x && x < legend.x + legend.width && y > legend.y && y < legend.y + legend.height))
        }
        // The top right of the data is drawn, not hidden: the last point of "high all along".
        let (hx, hy) = (layout.xAxis.pixel(9.5), layout.yAxis.pixel(0.995))
        #expect(isClose(image[Int(hx), Int(hy)], Color.series[1], tolerance: 40), "\(image[Int(hx), Int(hy)])")
    }

    /// When every corner has data, the legend goes right of the plot.
    @Test func legendGoesOutsideWhenNoCornerIsFree() throws {
        var chart = LineChart(title: "Everywhere", xLabel: "x")
        chart.xRange = 0...1
        chart.yRange = 0...1
        chart.series = [.init(name: "up", points: [(0, 0), (1, 1)], color: Color.series[0]),
                        .init(name: "down", points: [(0, 1), (1, 0)], color: Color.series[1])]
        let canvas = try chart.render()
        _ = try roundTrip(canvas, name: "line-legend-outside")
        let layout = chart.layout(canvas)
        let legend = try #require(layout.legend)
        #expect(legend.place == .outside && legend.x > layout.right && legend.x + legend.width <= canvas.width)
    }

    /// The training picture as `TrainingCurves` draws it: y from 0 to 2.5, the y label drawn.
    @Test func trainingPictureHasItsLabelAndAFreeLegend() throws {
        var chart = LineChart(title: "LeNet on Fashion-MNIST", xLabel: "epoch", yLabel: "loss / accuracy")
        let steps = (1...50).map { Double($0) }
        chart.series = [
            .init(name: "train loss", points: steps.map { t in (t / 5, 2.3 * exp(-t / 20) + 0.3) }, color: Color.series[0]),
            .init(name: "train acc", points: steps.map { t in (t / 5, 0.9 - 0.8 * exp(-t / 15)) }, color: Color.series[1], dash: [7, 4]),
            .init(name: "test acc", points: (1...10).map { e in (Double(e), 0.85 - 0.7 * exp(-Double(e) / 3)) },
                  color: Color.series[2], dash: [7, 3, 2, 3], markers: true),
        ]
        chart.xRange = 0...10
        chart.yRange = 0...2.5
        let canvas = try chart.render()
        let image = try roundTrip(canvas, name: "training")
        let layout = chart.layout(canvas)
        #expect(layout.legend?.place == .topRight)
        // The rotated y label: ink left of the tick labels, halfway down.
        let mid = Int((layout.top + layout.bottom) / 2)
        let labelInk = darkPixels(image, x: 6..<26, y: mid - 40..<mid + 40)
        #expect(labelInk > 30)
    }

    @Test func scaleTwoDoublesThePixels() throws {
        var chart = LineChart(title: "Sharp", xLabel: "epoch")
        chart.series = [.init(name: "a", points: [(0, 0), (1, 1)])]
        let image = try roundTrip(try chart.render(scale: 2), name: "line-scale2")
        #expect(image.width == 1280 && image.height == 840)
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
