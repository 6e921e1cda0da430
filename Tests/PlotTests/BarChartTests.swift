import Foundation
import Testing
@testable import Plot

@Suite struct BarChartTests {
    /// The networks of the compare lesson, with parameter counts of the book's sizes.
    static let parameters: [(String, Double)] = [
        ("LeNet", 61_706), ("AlexNet", 46_764_746), ("VGG-11", 128_806_154), ("NiN", 2_015_398),
        ("GoogLeNet", 5_977_530), ("LeNet + BatchNorm", 62_942), ("ResNet-18", 11_178_378), ("DenseNet", 758_226),
    ]

    static func chart(logScale: Bool) -> BarChart {
        var chart = BarChart(title: "Parameters", valueLabel: "learned numbers")
        chart.logScale = logScale
        chart.bars = parameters.enumerated().map { i, p in .init(label: p.0, value: p.1, color: Color.series[i % Color.series.count]) }
        return chart
    }

    /// Where a bar's colour runs along the middle of its row: its first and last column.
    static func extent(_ image: PNGImage, row: Int, _ color: Color) -> (Int, Int)? {
        let xs = (0..<image.width).filter { isClose(image[$0, row], color, tolerance: 10) }
        return xs.isEmpty ? nil : (xs.first!, xs.last!)
    }

    /// On the log scale every bar starts at 1 (the same left edge) and its length is
    /// proportional to log10 of its value: LeNet's 4.79 decades against AlexNet's 7.67.
    @Test func logBarsStartAtOneAndAreHonest() throws {
        let chart = Self.chart(logScale: true)
        let image = try roundTrip(try chart.render(), name: "bars-log")
        let rowHeight = 28.0, top = 48.0
        func bar(_ i: Int) throws -> (Int, Int) {
            try #require(Self.extent(image, row: Int(top + (Double(i) + 0.5) * rowHeight), Color.series[i]))
        }
        let (lenetStart, lenetEnd) = try bar(0), (alexStart, alexEnd) = try bar(1)
        #expect(lenetStart == alexStart)
        let ratio = Double(lenetEnd - lenetStart) / Double(alexEnd - alexStart)
        let expected = log10(61_706.0) / log10(46_764_746.0)  // 0.625
        #expect(abs(ratio - expected) < 0.01, "\(ratio) against \(expected)")
        // Each value is printed right of its bar end.
        let valueInk = darkPixels(image, x: lenetEnd + 4..<lenetEnd + 50, y: Int(top) + 6..<Int(top + rowHeight) - 6)
        #expect(valueInk > 20)
    }

    @Test func linearBarsStartAtZero() throws {
        let image = try roundTrip(try Self.chart(logScale: false).render(), name: "bars-linear")
        let top = 48.0, rowHeight = 28.0
        let vgg = try #require(Self.extent(image, row: Int(top + 2.5 * rowHeight), Color.series[2]))
        let alex = try #require(Self.extent(image, row: Int(top + 1.5 * rowHeight), Color.series[1]))
        let ratio = Double(alex.1 - alex.0) / Double(vgg.1 - vgg.0)
        #expect(abs(ratio - 46_764_746 / 128_806_154) < 0.01)
    }

    @Test func valuesThatCannotBeDrawnAreSaid() throws {
        var chart = BarChart(title: "Broken", valueLabel: "x")
        chart.logScale = true
        chart.bars = [.init(label: "fine", value: 0.5), .init(label: "zero", value: 0), .init(label: "missing", value: .nan)]
        let image = try roundTrip(try chart.render(), name: "bars-broken")
        let reds = (0..<(image.width * image.height)).filter { isClose(image[$0 % image.width, $0 / image.width], .alarm, tolerance: 30) }
        #expect(reds.count > 100)
    }

    @Test func shortNumbers() {
        #expect(Axis.short(61_706) == "61.7 K")
        #expect(Axis.short(46_764_746) == "46.8 M")
        #expect(Axis.short(128_806_154) == "129 M")
        #expect(Axis.short(999_700) == "1 M")
        #expect(Axis.short(2_000) == "2 K")
        #expect(Axis.short(950) == "950")
        #expect(Axis.short(0.873) == "0.873")
        #expect(Axis.decade(0) == "1" && Axis.decade(4) == "10 K" && Axis.decade(-2) == "0.01")
    }
}
