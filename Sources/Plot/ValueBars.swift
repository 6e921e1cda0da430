import Foundation
import Localization

/// One bar for each of a few named numbers: a layer's outputs when every channel is a single
/// number (1×1 feature maps, a linear layer's scores), or, through `ProbabilityBars`, a
/// network's class probabilities. One item can be highlighted (the largest, the prediction) and
/// one marked (the true class); a legend under the axis says which is which.
///
///     var bars = ValueBars(title: "After global average pooling: [1, 10, 1, 1]",
///                          labels: classNames, values: pooled)
///     bars.highlighted = pooled.indices.max { pooled[$0] < pooled[$1] }
///     let canvas = try bars.render()
///
/// Up to `maxRows` values are drawn as horizontal bars with their labels on the left; more (a
/// ResNet's 512 channels) as thin vertical bars along an index axis.
public struct ValueBars {
    public var title: String
    public var notes: [String] = []
    /// One per value; empty for the values' indices.
    public var labels: [String]
    public var values: [Double]
    /// Small text after each value, e.g. "score 4.21"; empty for none.
    public var annotations: [String] = []
    /// The item drawn in the strong colour with a bold label.
    public var highlighted: Int?
    /// What the highlight means, for the legend.
    public var highlightMeaning = localized("largest", zh: "最大值")
    /// The item framed in green and ticked.
    public var marked: Int?
    public var markMeaning = localized("true class", zh: "真实类别")
    /// The value axis; from the values, and zero, if nil.
    public var range: ClosedRange<Double>?
    /// The value axis' title.
    public var valueLabel = localized("value", zh: "值")
    /// The index axis' title when the values are drawn as columns.
    public var indexLabel = localized("channel", zh: "通道")
    /// How a value is printed at its bar's end, and how the axis' ticks are.
    public var format: (Double) -> String = { Axis.short($0) }
    public var tickFormat: (Double) -> String = { Axis.label($0) }
    public var width: Double = 640
    /// More values than this are drawn as columns.
    public var maxRows = 24

    public init(title: String, labels: [String] = [], values: [Double]) {
        precondition(labels.isEmpty || labels.count == values.count, "\(labels.count) labels for \(values.count) values")
        (self.title, self.labels, self.values) = (title, labels, values)
    }

    static let margin = 20.0, rowHeight = 26.0
    static let plain = Color(hex: 0xA9BCCF), strong = Color.series[0]

    func label(_ i: Int) -> String { labels.isEmpty ? String(i) : labels[i] }

    func valueAxis(low pixelLow: Double, high pixelHigh: Double) -> Axis {
        let finite = values.filter(\.isFinite)
        let (low, high) = range.map { ($0.lowerBound, $0.upperBound) }
            ?? Axis.rounded(min(0, finite.min() ?? 0), max(0, finite.max() ?? 1))
        return Axis(low: low, high: high, pixelLow: pixelLow, pixelHigh: pixelHigh)
    }

    /// Where the rows go: the bars' left edge and value axis, the first row's top.
    struct Layout {
        var top: Double, labelsRight: Double, axis: Axis
        func rowTop(_ i: Int) -> Double { top + Double(i) * ValueBars.rowHeight }
    }

    func rowLayout(_ canvas: Canvas, notes: [String]) -> Layout {
        let labelWidth = values.indices.map { canvas.textWidth(rowLabel($0), size: 13, bold: $0 == highlighted) }.max() ?? 0
        let labelsRight = Self.margin + labelWidth + 10
        let endWidth = values.indices.map { endTextWidth($0, canvas) }.max() ?? 0
        return Layout(top: Canvas.headingHeight(notes: notes.count) + 6, labelsRight: labelsRight,
                      axis: valueAxis(low: labelsRight + 4, high: width - Self.margin - endWidth - 8))
    }

    func rowLabel(_ i: Int) -> String { (i == marked ? "✓ " : "") + label(i) }

    func endTextWidth(_ i: Int, _ canvas: Canvas) -> Double {
        canvas.textWidth(format(values[i]), size: 12, bold: i == highlighted)
            + (annotations.indices.contains(i) ? 8 + canvas.textWidth(annotations[i], size: 11) : 0)
    }

    public func render(scale: Double = 1) throws -> Canvas {
        values.count > maxRows ? try renderColumns(scale: scale) : try renderRows(scale: scale)
    }

    func renderRows(scale: Double) throws -> Canvas {
        let probe = try Canvas.probe()
        let layout = rowLayout(probe, notes: notes)
        let axis = layout.axis
        let bottom = layout.rowTop(values.count)
        let legendY = bottom + 56
        let height = legendY + (legendItems.isEmpty ? 0 : 22) + Self.margin - 6
        let width = max(self.width, probe.headingWidth(title, notes: notes) + 2 * Self.margin)
        let canvas = try Canvas(width: width, height: height, scale: scale)
        canvas.heading(title, notes: notes, x: Self.margin)

        for t in Axis.ticks(axis.low, axis.high, target: 5) {
            let x = axis.pixel(t)
            canvas.line([(x, layout.top - 4), (x, bottom)], color: .gridLine, width: 1)
            canvas.text(tickFormat(t), x: x, y: bottom + 16, size: 12, color: .muted, align: .center)
        }
        canvas.text(valueLabel, x: (axis.pixelLow + axis.pixelHigh) / 2, y: bottom + 36, size: 13, align: .center)
        let zero = axis.pixel(min(max(0, axis.low), axis.high))
        for (i, value) in values.enumerated() {
            let top = layout.rowTop(i), baseline = top + Self.rowHeight / 2 + 4.5
            let strong = i == highlighted
            canvas.text(rowLabel(i), x: layout.labelsRight, y: baseline, size: 13, color: i == marked ? .good : .ink, bold: strong,
                        align: .right)
            guard value.isFinite else {
                canvas.text(localized("not finite: \(format(value))", zh: "非有限值：\(format(value))"), x: zero + 4, y: baseline, size: 12, color: .alarm)
                continue
            }
            let end = axis.pixel(min(max(value, axis.low), axis.high))
            let (x0, x1) = (min(zero, end), max(zero, end))
            canvas.fill(x: x0, y: top + 4, width: max(x1 - x0, 1), height: Self.rowHeight - 8, color: strong ? Self.strong : Self.plain)
            if i == marked {
                canvas.strokeRect(x: x0 - 1.5, y: top + 2.5, width: max(x1 - x0, 1) + 3, height: Self.rowHeight - 5, color: .good,
                                  lineWidth: 2.5)
            }
            let text = format(value)
            canvas.text(text, x: x1 + 6, y: baseline, size: 12, bold: strong)
            if annotations.indices.contains(i) {
                canvas.text(annotations[i], x: x1 + 6 + canvas.textWidth(text, size: 12, bold: strong) + 8, y: baseline, size: 11,
                            color: .muted)
            }
        }
        if axis.low < 0 { canvas.line([(zero, layout.top - 4), (zero, bottom)], color: .muted, width: 1) }
        drawLegend(canvas, x: layout.labelsRight + 4, y: legendY)
        return canvas
    }

    func renderColumns(scale: Double) throws -> Canvas {
        let probe = try Canvas.probe()
        let width = max(self.width, probe.headingWidth(title, notes: notes) + 2 * Self.margin)
        let top = Canvas.headingHeight(notes: notes.count) + 8, plotHeight = 240.0
        let tickWidth = Axis.ticks(valueAxis(low: 0, high: 1).low, valueAxis(low: 0, high: 1).high, target: 5)
            .map { probe.textWidth(tickFormat($0), size: 12) }.max() ?? 0
        let left = Self.margin + 26 + tickWidth, right = width - Self.margin
        let bottom = top + plotHeight
        let legendY = bottom + 56
        let height = legendY + (legendItems.isEmpty ? 0 : 22) + Self.margin - 6
        let canvas = try Canvas(width: width, height: height, scale: scale)
        canvas.heading(title, notes: notes, x: Self.margin)

        let axis = valueAxis(low: bottom, high: top)
        for t in Axis.ticks(axis.low, axis.high, target: 5) {
            let y = axis.pixel(t)
            canvas.line([(left, y), (right, y)], color: .gridLine, width: 1)
            canvas.text(tickFormat(t), x: left - 6, y: y + 4, size: 12, color: .muted, align: .right)
        }
        canvas.text(valueLabel, x: Self.margin + 8, y: (top + bottom) / 2, size: 13, align: .center, rotated: true)
        let slot = (right - left) / Double(max(values.count, 1))
        let index = Axis(low: 0, high: Double(max(values.count, 1)), pixelLow: left, pixelHigh: right)
        for t in Axis.ticks(0, Double(max(values.count - 1, 0)), target: 8) where t == t.rounded() {
            canvas.text(String(Int(t)), x: index.pixel(t + 0.5), y: bottom + 16, size: 12, color: .muted, align: .center)
        }
        canvas.text(indexLabel, x: (left + right) / 2, y: bottom + 36, size: 13, align: .center)
        let zero = axis.pixel(min(max(0, axis.low), axis.high))
        let gap = slot >= 4 ? 1.0 : 0
        for (i, value) in values.enumerated() where value.isFinite {
            let end = axis.pixel(min(max(value, axis.low), axis.high))
            let x = index.pixel(Double(i))
            canvas.fill(x: x, y: min(zero, end), width: max(slot - gap, 0.5), height: max(abs(end - zero), 1),
                        color: i == highlighted ? Self.strong : Self.plain)
            if i == marked {
                canvas.strokeRect(x: x - 1, y: min(zero, end) - 1, width: slot - gap + 2, height: abs(end - zero) + 2, color: .good, lineWidth: 2)
            }
        }
        canvas.line([(left, zero), (right, zero)], color: .muted, width: 1)
        if let h = highlighted, values.indices.contains(h), values[h].isFinite {
            let end = axis.pixel(min(max(values[h], axis.low), axis.high))
            let x = index.pixel(Double(h) + 0.5)
            let text = "\(label(h)): \(format(values[h]))"
            let textWidth = canvas.textWidth(text, size: 12, bold: true)
            let tx = min(max(x, left + textWidth / 2), right - textWidth / 2)
            canvas.text(text, x: tx, y: values[h] >= 0 ? end - 6 : end + 16, size: 12, bold: true, align: .center)
        }
        let skipped = values.filter { !$0.isFinite }.count
        if skipped > 0 {
            canvas.text(localized("\(skipped) value\(skipped == 1 ? " is" : "s are") not finite and not drawn",
                                  zh: "\(skipped) 个值不是有限数，未画出"), x: left + 6, y: top + 14,
                        size: 12, color: .alarm)
        }
        drawLegend(canvas, x: left, y: legendY)
        return canvas
    }

    /// What the legend explains: the highlight and the mark, when they are shown.
    var legendItems: [(String, Bool)] {
        (highlighted.map { values.indices.contains($0) } == true ? [(highlightMeaning, false)] : [])
            + (marked.map { values.indices.contains($0) } == true ? [("✓ " + markMeaning, true)] : [])
    }

    func drawLegend(_ canvas: Canvas, x: Double, y: Double) {
        var x = x
        for (meaning, isMark) in legendItems {
            if isMark {
                canvas.fill(x: x, y: y - 10, width: 22, height: 12, color: Self.plain)
                canvas.strokeRect(x: x - 1, y: y - 11, width: 24, height: 14, color: .good, lineWidth: 2)
            } else {
                canvas.fill(x: x, y: y - 10, width: 22, height: 12, color: Self.strong)
            }
            canvas.text(meaning, x: x + 30, y: y, size: 12, color: isMark ? .good : .ink)
            x += 30 + canvas.textWidth(meaning, size: 12) + 24
        }
    }
}
