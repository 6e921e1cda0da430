import Foundation
import Localization

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
    /// Lines under the title: what the points are, what they cannot be compared by.
    public var notes: [String] = []
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

    /// Room between the frame and the data range, so a point at the end of a range (the last
    /// epoch's marker) sits inside the frame, not on it.
    static let inset = 8.0

    /// Where the legend goes: the corner of the plot whose box covers the fewest drawn points and
    /// line pieces (top right first on a tie), or right of the plot when every corner covers some.
    enum LegendPlace: Equatable { case topRight, topLeft, bottomRight, bottomLeft, outside }

    /// The chart's geometry: frame, axes, and where the legend box is.
    struct Layout {
        var left: Double, right: Double, top: Double, bottom: Double
        var xAxis: Axis, yAxis: Axis
        var legend: (place: LegendPlace, x: Double, y: Double, width: Double, height: Double)?
    }

    static let legendRow = 20.0

    func layout(_ canvas: Canvas) -> Layout {
        let all = finiteRuns.flatMap { $0.flatMap { $0 } }
        let (x0, x1) = xRange.map { ($0.lowerBound, $0.upperBound) } ?? Axis.rounded(all.map(\.x).min() ?? 0, all.map(\.x).max() ?? 1)
        let (y0, y1) = yRange.map { ($0.lowerBound, $0.upperBound) } ?? Axis.rounded(all.map(\.y).min() ?? 0, all.map(\.y).max() ?? 1)
        let tickWidth = Axis.ticks(y0, y1).map { canvas.textWidth(Axis.label($0), size: 12) }.max() ?? 0
        let left = (yLabel.isEmpty ? 12 : 30) + tickWidth + 10, top = 44.0 + 17 * Double(notes.count), bottom = height - 56
        func frame(right: Double) -> Layout {
            Layout(left: left, right: right, top: top, bottom: bottom,
                   xAxis: Axis(low: x0, high: x1, pixelLow: left + Self.inset, pixelHigh: right - Self.inset),
                   yAxis: Axis(low: y0, high: y1, pixelLow: bottom - Self.inset, pixelHigh: top + Self.inset))
        }
        var inside = frame(right: width - 20)
        let named = labelsAtPoints ? [] : series.filter { !$0.name.isEmpty }
        guard !named.isEmpty else { return inside }
        let legendWidth = (named.map { canvas.textWidth($0.name, size: 13) }.max() ?? 0) + 52
        let legendHeight = Self.legendRow * Double(named.count) + 8
        let corners: [(LegendPlace, Double, Double)] = [
            (.topRight, inside.right - legendWidth - 8, top + 8), (.topLeft, left + 8, top + 8),
            (.bottomRight, inside.right - legendWidth - 8, bottom - legendHeight - 8), (.bottomLeft, left + 8, bottom - legendHeight - 8),
        ]
        let samples = drawnPoints(inside)
        let covered = corners.map { _, x, y in
            samples.filter { $0.0 >= x - 3 && $0.0 <= x + legendWidth + 3 && $0.1 >= y - 3 && $0.1 <= y + legendHeight + 3 }.count
        }
        if let best = covered.indices.min(by: { covered[$0] < covered[$1] }), covered[best] == 0 {
            inside.legend = (corners[best].0, corners[best].1, corners[best].2, legendWidth, legendHeight)
            return inside
        }
        var outside = frame(right: width - 20 - legendWidth - 12)
        outside.legend = (.outside, outside.right + 12, top, legendWidth, legendHeight)
        return outside
    }

    /// Each series as runs of finite points: a NaN or infinity breaks the line.
    var finiteRuns: [[[(x: Double, y: Double)]]] {
        series.map { s in s.points.split(whereSeparator: { !$0.x.isFinite || !$0.y.isFinite }).map(Array.init) }
    }

    /// A series' runs in pixels, clamped to the ranges (which come from the data unless fixed).
    func pixels(_ run: [(x: Double, y: Double)], _ layout: Layout) -> [(Double, Double)] {
        let (x, y) = (layout.xAxis, layout.yAxis)
        return run.map { (x.pixel(min(max($0.x, x.low), x.high)), y.pixel(min(max($0.y, y.low), y.high))) }
    }

    /// Points along every drawn line, no more than 2 pixels apart, and every marker: what a legend
    /// box would hide.
    func drawnPoints(_ layout: Layout) -> [(Double, Double)] {
        finiteRuns.flatMap { $0 }.flatMap { run -> [(Double, Double)] in
            let p = pixels(run, layout)
            guard p.count > 1 else { return p }
            return zip(p, p.dropFirst()).flatMap { a, b -> [(Double, Double)] in
                let steps = max(1, Int((hypot(b.0 - a.0, b.1 - a.1) / 2).rounded(.up)))
                return (0...steps).map { i in let t = Double(i) / Double(steps); return (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t) }
            }
        }
    }

    public func render(scale: Double = 1) throws -> Canvas {
        let canvas = try Canvas(width: width, height: height, scale: scale)
        let runs = finiteRuns
        let drawn = runs.map { $0.map(\.count).reduce(0, +) }.reduce(0, +)
        let skipped = series.map(\.points.count).reduce(0, +) - drawn
        let layout = layout(canvas)
        let (left, right, top, bottom) = (layout.left, layout.right, layout.top, layout.bottom)
        let (xAxis, yAxis) = (layout.xAxis, layout.yAxis)

        canvas.text(title, x: width / 2, y: 26, size: 16, bold: true, align: .center)
        for (i, note) in notes.enumerated() {
            canvas.text(note, x: width / 2, y: 46 + 17 * Double(i), size: 12, color: .muted, align: .center)
        }
        // Grid and ticks.
        for t in Axis.ticks(xAxis.low, xAxis.high) {
            let px = xAxis.pixel(t)
            canvas.line([(px, top), (px, bottom)], color: .gridLine, width: 1)
            canvas.text(Axis.label(t), x: px, y: bottom + 18, size: 12, color: .muted, align: .center)
        }
        for t in Axis.ticks(yAxis.low, yAxis.high) {
            let py = yAxis.pixel(t)
            canvas.line([(left, py), (right, py)], color: .gridLine, width: 1)
            canvas.text(Axis.label(t), x: left - 8, y: py + 4, size: 12, color: .muted, align: .right)
        }
        canvas.strokeRect(x: left, y: top, width: right - left, height: bottom - top, color: .muted, lineWidth: 1)
        canvas.text(xLabel, x: (left + right) / 2, y: height - 14, size: 13, align: .center)
        if !yLabel.isEmpty { canvas.text(yLabel, x: 20, y: (top + bottom) / 2, size: 13, align: .center, rotated: true) }

        for (s, pieces) in zip(series, runs) {
            for points in pieces {
                let pixels = pixels(points, layout)
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

        if let legend = layout.legend {
            canvas.fillRoundedRect(x: legend.x, y: legend.y, width: legend.width, height: legend.height, radius: 4,
                                   color: Color.white.withAlpha(0.9))
            canvas.strokeRect(x: legend.x, y: legend.y, width: legend.width, height: legend.height, color: .gridLine, cornerRadius: 4)
            for (i, s) in series.filter({ !$0.name.isEmpty }).enumerated() {
                let y = legend.y + 4 + Self.legendRow * (Double(i) + 0.5)
                canvas.line([(legend.x + 8, y), (legend.x + 38, y)], color: s.color, width: 2, dash: s.dash)
                if s.markers { canvas.circle(x: legend.x + 23, y: y, radius: 3, color: s.color) }
                canvas.text(s.name, x: legend.x + 44, y: y + 4.5, size: 13)
            }
        }

        if drawn == 0 {
            canvas.text(localized("No data yet", zh: "尚无数据"), x: (left + right) / 2, y: (top + bottom) / 2, size: 15, color: .muted, align: .center)
        } else if skipped > 0 {
            canvas.text(localized("\(skipped) value\(skipped == 1 ? " was" : "s were") not finite (NaN or ∞) and \(skipped == 1 ? "is" : "are") not drawn",
                                  zh: "\(skipped) 个值不是有限数（NaN 或 ∞），未画出"),
                        x: left + 6, y: bottom - 8, size: 12, color: .alarm)
        }
        return canvas
    }
}
