import Foundation
import Testing
@testable import Plot

let fashionClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

/// Dark pixels within `border` pixels of the picture's edges: 0 when no text runs off the canvas.
func edgeInk(_ image: PNGImage, border: Int = 4) -> Int {
    let (w, h) = (image.width, image.height)
    return darkPixels(image, x: 0..<w, y: 0..<border) + darkPixels(image, x: 0..<w, y: h - border..<h)
        + darkPixels(image, x: 0..<border, y: 0..<h) + darkPixels(image, x: w - border..<w, y: 0..<h)
}

@Suite struct ProbabilityBarsTests {
    static let logits: [Double] = [0.3, -2.1, 1.2, 0.8, 1.9, -3.0, 2.6, -0.5, 0.1, -1.7]

    @Test func softmaxIsStableAndSumsToOne() {
        let p = ProbabilityBars.softmax([1000, 1001, 999])
        #expect(abs(p.reduce(0, +) - 1) < 1e-12 && p[1] > p[0] && p[0] > p[2])
        #expect(abs(p[1] - exp(1.0) / (1 + exp(1.0) + exp(-1.0))) < 1e-12)
    }

    /// The highlighted (strong blue) bar is the longest one, it is the predicted class, and every
    /// text stays on the canvas.
    @Test func highlightedBarIsTheLargest() throws {
        var verdict = ProbabilityBars(title: "What LeNet sees in test image 17", classNames: fashionClasses, logits: Self.logits)
        verdict.trueClass = 4
        #expect(verdict.predicted == 6)
        let canvas = try verdict.render()
        let image = try roundTrip(canvas, name: "probability-bars")
        let edge = edgeInk(image)
        #expect(edge == 0)
        let layout = verdict.bars.rowLayout(try Canvas.probe(), notes: verdict.bars.notes)
        func length(_ i: Int, _ color: Color) -> Int {
            let y = Int(layout.rowTop(i) + ValueBars.rowHeight / 2)
            return (0..<image.width).filter { isClose(image[$0, y], color, tolerance: 8) }.count
        }
        let strong = (0..<10).map { length($0, ValueBars.strong) }
        let plain = (0..<10).map { length($0, ValueBars.plain) }
        #expect(strong.indices.filter { strong[$0] > 0 } == [6], "\(strong)")
        #expect(strong[6] > plain.max()!, "\(strong[6]) against \(plain)")
        // The true class's bar is framed in green.
        let frameRow = Int(layout.rowTop(4) + 3.5)
        #expect((0..<image.width).contains { isClose(image[$0, frameRow], .good, tolerance: 30) })
    }

    @Test func probabilitiesWithoutScores() throws {
        var verdict = ProbabilityBars(title: "Certain", classNames: ["cat", "dog"], probabilities: [0.02, 0.98])
        verdict.notes = ["Two classes only."]
        let image = try roundTrip(try verdict.render(), name: "probability-bars-two")
        let edge = edgeInk(image)
        #expect(edge == 0 && image.width == 640)
    }
}

@Suite struct ValueBarsTests {
    /// NiN's last block: ten 1×1 channels, one per class, as bars with the class names.
    @Test func tenChannelsAsRows() throws {
        let values: [Double] = [0.8, 0, 2.4, 1.1, 3.9, 0, 1.6, 0.2, 0.9, 0.05]
        var bars = ValueBars(title: "Block 4 output [1, 10, 1, 1]: one number per channel", labels: fashionClasses, values: values)
        bars.highlighted = 4
        bars.notes = ["Each channel's map is 1×1: a single number, drawn as a bar."]
        let image = try roundTrip(try bars.render(), name: "value-bars-10")
        let edge = edgeInk(image)
        #expect(edge == 0)
    }

    /// ResNet after global average pooling: 512 channels as thin columns, and negative values
    /// below the zero line.
    @Test func manyChannelsAsColumns() throws {
        let values = (0..<512).map { i in sin(Double(i) * 0.37) * 2 + (i == 300 ? 4 : 0) }
        var bars = ValueBars(title: "AdaptiveAvgPool2d output [1, 512, 1, 1]", values: values)
        bars.highlighted = 300
        let canvas = try bars.render()
        let image = try roundTrip(canvas, name: "value-bars-512")
        let edge = edgeInk(image)
        #expect(edge == 0)
        #expect(image.width == 640 && image.height < 480)
        let strong = (0..<(image.width * image.height)).filter { isClose(image[$0 % image.width, $0 / image.width], ValueBars.strong, tolerance: 8) }
        #expect(strong.count > 20)
    }
}

@Suite struct VectorStripTests {
    /// Flatten's 400 values in eight rows of 50: value i is in row i / 50, column i % 50.
    @Test func longVectorWrapsIntoRowsOfFifty() throws {
        var strip = VectorStrip(title: "Flatten: output [1, 400]", values: (0..<400).map { Float($0) })
        strip.colormap = .gray
        let probe = try Canvas.probe()
        let notes = strip.allNotes
        let layout = strip.layout(probe, notes: notes)
        #expect(strip.wrap == 50 && layout.rows == 8)
        let image = try roundTrip(try strip.render(), name: "strip-400")
        let edge = edgeInk(image)
        #expect(edge == 0)
        func pixel(_ i: Int) -> (red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8) {
            image[Int(layout.x + (Double(i % 50) + 0.5) * layout.cell), Int(layout.rowTop(i / 50) + layout.cell / 2)]
        }
        #expect(isClose(pixel(0), .black, tolerance: 3) && isClose(pixel(399), .white, tolerance: 3))
        let middle = Colormap.gray.color(199.0 / 399)
        #expect(isClose(pixel(199), middle, tolerance: 3), "\(pixel(199))")
    }

    @Test func shortVectorIsOneRow() throws {
        let strip = VectorStrip(title: "Linear: output [1, 60]", values: (0..<60).map { Float(sin(Double($0))) })
        #expect(strip.wrap == 60)
        let image = try roundTrip(try strip.render(), name: "strip-60")
        let edge = edgeInk(image)
        #expect(edge == 0 && image.height < 240)
    }

    @Test func eightyFourIsTwoRows() throws {
        let strip = VectorStrip(title: "Linear: output [1, 84]", values: (0..<84).map { Float(cos(Double($0) / 5)) })
        #expect(strip.wrap == 50)
        let image = try roundTrip(try strip.render(), name: "strip-84")
        let edge = edgeInk(image)
        #expect(edge == 0)
    }

    @Test func hundredTwentyAndNaN() throws {
        var values = (0..<120).map { Float($0 % 7) }
        values[5] = .nan
        let image = try roundTrip(try VectorStrip(title: "Linear: output [1, 120]", values: values).render(), name: "strip-120")
        let edge = edgeInk(image)
        #expect(edge == 0)
    }
}

@Suite struct ConfusionMatrixTests {
    /// A made-up but plausible Fashion-MNIST confusion: most images right, shirts taken for
    /// T-shirts, pullovers and coats.
    static var counts: [[Int]] {
        var c = (0..<10).map { t in (0..<10).map { p in t == p ? 900 : 0 } }
        c[6][0] = 150; c[6][2] = 90; c[6][4] = 80; c[6][6] = 620
        c[4][2] = 120; c[4][4] = 780
        c[9][7] = 40; c[9][9] = 960
        c[0][6] = 1000 - 900 + 0; c[0][0] = 900
        return c
    }

    @Test func cellsShowCountsAndShares() throws {
        let matrix = ConfusionMatrix(title: "LeNet on 10,000 test images", classNames: fashionClasses, counts: Self.counts)
        let canvas = try matrix.render()
        let image = try roundTrip(canvas, name: "confusion-matrix")
        let edge = edgeInk(image)
        #expect(edge == 0)
        #expect(canvas.width < 900 && canvas.height < 900 && canvas.width > 500)
        let layout = matrix.layout(try Canvas.probe(), notes: matrix.allNotes)
        // A cell's corner (away from its number) has its fill: dark blue for a full diagonal
        // cell, white for an empty one, in between for Shirt taken for T-shirt (150 of 940).
        func corner(_ t: Int, _ p: Int) -> (red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8) {
            image[Int(layout.x + Double(p) * layout.cell + 4), Int(layout.y + Double(t) * layout.cell + 4)]
        }
        #expect(isClose(corner(1, 1), Colormap.blues.color(1), tolerance: 4))
        #expect(isClose(corner(1, 3), Colormap.blues.color(0), tolerance: 4))
        #expect(isClose(corner(6, 0), Colormap.blues.color(150.0 / 940), tolerance: 4))
        // Every cell has its count written in it: some ink (white on dark, dark on light).
        for (t, p) in [(1, 1), (1, 3), (6, 0)] {
            let (x, y) = (Int(layout.x + Double(p) * layout.cell), Int(layout.y + Double(t) * layout.cell))
            let cellPixels = (y + 14..<y + Int(layout.cell) - 14).flatMap { r in (x + 8..<x + Int(layout.cell) - 8).map { image[$0, r] } }
            let fill = corner(t, p)
            #expect(cellPixels.contains { abs(Int($0.red) - Int(fill.red)) + abs(Int($0.blue) - Int(fill.blue)) > 60 }, "count in (\(t), \(p))")
        }
    }

    @Test func emptyRowAndBigCounts() throws {
        let counts = [[0, 0, 0], [12_345, 100_000, 3], [0, 1, 999]]
        let matrix = ConfusionMatrix(title: "Odd counts", classNames: ["none", "many", "few"], counts: counts)
        let image = try roundTrip(try matrix.render(), name: "confusion-odd")
        let edge = edgeInk(image)
        #expect(edge == 0)
    }
}
