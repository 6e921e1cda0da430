import Foundation

/// Lines on shared axes, in the look of the book's `Animator`: axis labels, round ticks, a light
/// grid and a legend, each series in its own colour and dash style.
///
///     var chart = LineChart(title: "LeNet", xLabel: "epoch")
///     chart.series = [.init(name: "train loss", points: [(0.2, 2.3), (0.4, 2.1)])]
///     let canvas = try chart.render()
///
/// Points that are not finite are skipped, and the picture says so.
public struct LineChart {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var color: Color
        /// Dash lengths, alternately drawn and skipped; empty for a solid line.
        public var dash: [Double]
        /// Draws a dot at each point (for sparse series such as one value per epoch).
        public var markers: Bool

        public init(name: String, points: [(x: Double, y: Double)], color: Color = Color.series[0],
                    dash: [Double] = [], markers: Bool = false) {
            (self.name, self.points, self.color, self.dash, self.markers) = (name, points, color, dash, markers)
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    /// Fixed ranges (from the data if nil).
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    public var width: Double = 640
    public var height: Double = 420
    /// Write each series' name beside its last point instead of in a legend (for scatter
    /// plots of one point per series).
    public var labelsAtPoints = false

    public init(title: String, xLabel: String, yLabel: String = "") {
        (self.title, self.xLabel, self.yLabel) = (title, xLabel, yLabel)
    }

    public func render(scale: Double = 1) throws -> Canvas {
        let canvas = try Canvas(width: width, height: height, scale: scale)
        // Each series as runs of finite points: a NaN or infinity breaks the line.
        let runs: [[[(x: Double, y: Double)]]] = series.map { s in
            s.points.split(whereSeparator: { !$0.x.isFinite || !$0.y.isFinite }).map(Array.init)
        }
        let all = runs.flatMap { $0.flatMap { $0 } }
        let skipped = series.map(\.points.count).reduce(0, +) - all.count

        let (x0, x1) = xRange.map { ($0.lowerBound, $0.upperBound) } ?? Axis.rounded(all.map(\.x).min() ?? 0, all.map(\.x).max() ?? 1)
        let (y0, y1) = yRange.map { ($0.lowerBound, $0.upperBound) } ?? Axis.rounded(all.map(\.y).min() ?? 0, all.map(\.y).max() ?? 1)
        let left = 68.0, right = width - 20, top = 44.0, bottom = height - 56
        let xAxis = Axis(low: x0, high: x1, pixelLow: left, pixelHigh: right)
        let yAxis = Axis(low: y0, high: y1, pixelLow: bottom, pixelHigh: top)

        canvas.text(title, x: width / 2, y: 26, size: 16, bold: true, align: .center)
        // Grid and ticks.
        for t in Axis.ticks(x0, x1) {
            let px = xAxis.pixel(t)
            canvas.line([(px, top), (px, bottom)], color: .gridLine, width: 1)
            canvas.text(Axis.label(t), x: px, y: bottom + 18, size: 12, color: .muted, align: .center)
        }
        for t in Axis.ticks(y0, y1) {
            let py = yAxis.pixel(t)
            canvas.line([(left, py), (right, py)], color: .gridLine, width: 1)
            canvas.text(Axis.label(t), x: left - 8, y: py + 4, size: 12, color: .muted, align: .right)
        }
        canvas.strokeRect(x: left, y: top, width: right - left, height: bottom - top, color: .muted, lineWidth: 1)
        canvas.text(xLabel, x: (left + right) / 2, y: height - 14, size: 13, align: .center)
        if !yLabel.isEmpty { canvas.text(yLabel, x: 18, y: (top + bottom) / 2, size: 13, align: .center, rotated: true) }

        // The lines, clipped to the plot area by clamping (ranges come from the data unless fixed).
        for (s, pieces) in zip(series, runs) {
            for points in pieces {
                let pixels = points.map { (xAxis.pixel(min(max($0.x, x0), x1)), yAxis.pixel(min(max($0.y, y0), y1))) }
                canvas.line(pixels, color: s.color, width: 2, dash: s.dash)
                if s.markers || pixels.count == 1 {
                    for p in pixels { canvas.circle(x: p.0, y: p.1, radius: labelsAtPoints ? 5 : 3, color: s.color) }
                }
                if labelsAtPoints, let last = pixels.last {
                    let rightHalf = last.0 > (left + right) / 2
                    canvas.text(s.name, x: last.0 + (rightHalf ? -9 : 9), y: last.1 - 7, size: 12, color: s.color,
                                align: rightHalf ? .right : .left)
                }
            }
        }

        // Legend, top right inside the plot.
        let named = labelsAtPoints ? [] : series.filter { !$0.name.isEmpty }
        if !named.isEmpty {
            let rowHeight = 20.0
            let legendWidth = (named.map { canvas.textWidth($0.name, size: 13) }.max() ?? 0) + 52
            let lx = right - legendWidth - 8, ly = top + 8
            canvas.fillRoundedRect(x: lx, y: ly, width: legendWidth, height: rowHeight * Double(named.count) + 8, radius: 4,
                                   color: Color.white.withAlpha(0.9))
            canvas.strokeRect(x: lx, y: ly, width: legendWidth, height: rowHeight * Double(named.count) + 8,
                              color: .gridLine, cornerRadius: 4)
            for (i, s) in named.enumerated() {
                let y = ly + 4 + rowHeight * (Double(i) + 0.5)
                canvas.line([(lx + 8, y), (lx + 38, y)], color: s.color, width: 2, dash: s.dash)
                canvas.text(s.name, x: lx + 44, y: y + 4.5, size: 13)
            }
        }

        if all.isEmpty {
            canvas.text("No data yet", x: (left + right) / 2, y: (top + bottom) / 2, size: 15, color: .muted, align: .center)
        } else if skipped > 0 {
            canvas.text("\(skipped) value\(skipped == 1 ? " was" : "s were") not finite (NaN or ∞) and \(skipped == 1 ? "is" : "are") not drawn",
                        x: left + 6, y: bottom - 8, size: 12, color: .alarm)
        }
        return canvas
    }
}
