import Foundation

/// Horizontal bars with their values printed, labels on the left; a logarithmic scale for
/// quantities that span orders of magnitude (parameters, multiply-adds).
///
///     var chart = BarChart(title: "Parameters", valueLabel: "parameters")
///     chart.bars = [.init(label: "LeNet", value: 61_706), .init(label: "AlexNet", value: 46_764_746)]
///     chart.logScale = true
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
    /// How a value is printed at the end of its bar.
    public var format: (Double) -> String = { Axis.label($0) }
    public var width: Double = 640

    public init(title: String, valueLabel: String) { (self.title, self.valueLabel) = (title, valueLabel) }

    public func render(scale: Double = 1) throws -> Canvas {
        let rowHeight = 28.0, top = 48.0, margin = 20.0
        let height = top + Double(max(bars.count, 1)) * rowHeight + 56
        let canvas = try Canvas(width: width, height: height, scale: scale)
        canvas.text(title, x: width / 2, y: 28, size: 16, bold: true, align: .center)
        let labelWidth = (bars.map { canvas.textWidth($0.label, size: 13) }.max() ?? 0) + 12
        let left = margin + labelWidth, right = width - margin - 70
        let drawable = bars.filter { $0.value.isFinite && (!logScale || $0.value > 0) }

        let maxValue = drawable.map(\.value).max() ?? 1
        let axis: Axis
        var ticks: [Double]
        if logScale {
            let lowExp = floor(log10(drawable.map(\.value).min() ?? 1)) - (drawable.count > 1 ? 0 : 1)
            let highExp = max(ceil(log10(maxValue)), lowExp + 1)
            axis = Axis(low: lowExp, high: highExp, pixelLow: left, pixelHigh: right)
            ticks = stride(from: lowExp, through: highExp, by: 1).map { $0 }
        } else {
            let (_, high) = Axis.rounded(0, max(maxValue, 0))
            axis = Axis(low: 0, high: high, pixelLow: left, pixelHigh: right)
            ticks = Axis.ticks(0, high)
        }
        let bottom = top + Double(bars.count) * rowHeight
        for t in ticks {
            let px = axis.pixel(t)
            canvas.line([(px, top - 4), (px, bottom)], color: .gridLine, width: 1)
            canvas.text(logScale ? Axis.label(pow(10, t)) : Axis.label(t), x: px, y: bottom + 18, size: 12, color: .muted, align: .center)
        }
        canvas.text(valueLabel + (logScale ? " (log scale)" : ""), x: (left + right) / 2, y: bottom + 40, size: 13, align: .center)

        for (i, bar) in bars.enumerated() {
            let y = top + Double(i) * rowHeight
            canvas.text(bar.label, x: left - 10, y: y + rowHeight / 2 + 4.5, size: 13, align: .right)
            guard bar.value.isFinite, !logScale || bar.value > 0 else {
                canvas.text(bar.value.isNaN ? "no value" : "not drawable on a log scale: \(format(bar.value))",
                            x: left + 4, y: y + rowHeight / 2 + 4.5, size: 12, color: .alarm)
                continue
            }
            let end = axis.pixel(logScale ? log10(bar.value) : bar.value)
            canvas.fill(x: left, y: y + 5, width: max(end - left, 1), height: rowHeight - 10, color: bar.color)
            canvas.text(format(bar.value), x: end + 6, y: y + rowHeight / 2 + 4.5, size: 12, color: .ink)
        }
        if bars.isEmpty { canvas.text("No data yet", x: width / 2, y: top + 18, size: 14, color: .muted, align: .center) }
        return canvas
    }
}
