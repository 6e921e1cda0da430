import Foundation
import Localization

/// Horizontal bars with their values printed, labels on the left; a logarithmic scale for
/// quantities that span orders of magnitude (parameters, multiply-adds).
///
///     var chart = BarChart(title: "Parameters", valueLabel: "parameters")
///     chart.bars = [.init(label: "LeNet", value: 61_706), .init(label: "AlexNet", value: 46_764_746)]
///     chart.logScale = true
///
/// A log-scale bar starts at 1 (10⁰), so its length is proportional to the value's logarithm:
/// LeNet's 61.7 K parameters draw 4.8 decades long, AlexNet's 46.8 M 7.7 decades. (Values below 1
/// move the start down to their decade.)
public struct BarChart {
    public struct Bar {
        public var label: String
        public var value: Double
        public var color: Color
        public init(label: String, value: Double, color: Color = Color.series[0]) {
            (self.label, self.value, self.color) = (label, value, color)
        }
    }

    public var title: String
    public var valueLabel: String
    public var bars: [Bar] = []
    public var logScale = false
    /// How a value is printed at the end of its bar ("61.7 K", "46.8 M", "0.873").
    public var format: (Double) -> String = { Axis.short($0) }
    public var width: Double = 640

    public init(title: String, valueLabel: String) { (self.title, self.valueLabel) = (title, valueLabel) }

    /// The value axis: from 0 (linear) or from the decade of 1 or of the smallest value below it
    /// (log, in powers of ten) to a round value past the largest; and its ticks.
    func valueAxis(left: Double, right: Double) -> (axis: Axis, ticks: [Double]) {
        let drawable = bars.map(\.value).filter { $0.isFinite && (!logScale || $0 > 0) }
        if logScale {
            let lowExp = min(0, floor(log10(drawable.min() ?? 1)))
            let highExp = max(ceil(log10(drawable.max() ?? 10)), lowExp + 1)
            return (Axis(low: lowExp, high: highExp, pixelLow: left, pixelHigh: right), Array(stride(from: lowExp, through: highExp, by: 1)))
        }
        let (_, high) = Axis.rounded(0, max(drawable.max() ?? 1, 0))
        return (Axis(low: 0, high: high, pixelLow: left, pixelHigh: right), Axis.ticks(0, high))
    }

    public func render(scale: Double = 1) throws -> Canvas {
        let rowHeight = 28.0, top = 48.0, margin = 20.0
        let height = top + Double(max(bars.count, 1)) * rowHeight + 56
        let canvas = try Canvas(width: width, height: height, scale: scale)
        canvas.text(title, x: width / 2, y: 28, size: 16, bold: true, align: .center)
        let labelWidth = (bars.map { canvas.textWidth($0.label, size: 13) }.max() ?? 0) + 12
        let valueWidth = (bars.map { canvas.textWidth(format($0.value), size: 12) }.max() ?? 0) + 10
        let left = margin + labelWidth, right = width - margin - max(valueWidth, 24)
        let (axis, ticks) = valueAxis(left: left, right: right)

        let bottom = top + Double(bars.count) * rowHeight
        // On a log scale every decade is labelled, or every other one when they crowd.
        let every = logScale && Double(ticks.count) * 44 > right - left ? 2 : 1
        for (i, t) in ticks.enumerated() {
            let px = axis.pixel(t)
            canvas.line([(px, top - 4), (px, bottom)], color: .gridLine, width: 1)
            guard i % every == 0 else { continue }
            canvas.text(logScale ? Axis.decade(Int(t)) : Axis.label(t), x: px, y: bottom + 18, size: 12, color: .muted, align: .center)
        }
        let start = Axis.decade(Int(axis.low))
        let scaleNote = logScale ? localized(" (log scale: each grid step is ×10; bars start at \(start))",
                                             zh: "（对数刻度：每格 ×10；条形从 \(start) 开始）") : ""
        canvas.text(valueLabel + scaleNote, x: (left + right) / 2, y: bottom + 40, size: 13, align: .center)

        for (i, bar) in bars.enumerated() {
            let y = top + Double(i) * rowHeight
            canvas.text(bar.label, x: left - 10, y: y + rowHeight / 2 + 4.5, size: 13, align: .right)
            guard bar.value.isFinite, !logScale || bar.value > 0 else {
                canvas.text(bar.value.isNaN ? localized("no value", zh: "无值")
                                : localized("not drawable on a log scale: \(format(bar.value))", zh: "无法画在对数刻度上：\(format(bar.value))"),
                            x: left + 4, y: y + rowHeight / 2 + 4.5, size: 12, color: .alarm)
                continue
            }
            let end = axis.pixel(logScale ? log10(bar.value) : bar.value)
            canvas.fill(x: left, y: y + 5, width: max(end - left, 1), height: rowHeight - 10, color: bar.color)
            canvas.text(format(bar.value), x: end + 6, y: y + rowHeight / 2 + 4.5, size: 12, color: .ink)
        }
        if bars.isEmpty { canvas.text(localized("No data yet", zh: "尚无数据"), x: width / 2, y: top + 18, size: 14, color: .muted, align: .center) }
        return canvas
    }
}
