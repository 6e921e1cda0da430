import Foundation
import Localization

/// Which classes a network takes for which: one row per true class, one column per predicted
/// class, each cell the number of test images of that row's class predicted as that column's.
/// A cell's colour is its share of the row, so the right answers make a dark diagonal and the
/// common confusions stand out beside it; each row ends with its share of right answers
/// (the class's recall).
///
///     var matrix = ConfusionMatrix(title: "LeNet, 10,000 test images", classNames: names, counts: counts)
///     let canvas = try matrix.render()
public struct ConfusionMatrix {
    public var title: String
    public var notes: [String] = []
    public var classNames: [String]
    /// counts[t][p]: images of true class t predicted as p.
    public var counts: [[Int]]
    public var colormap: Colormap = .blues

    public init(title: String, classNames: [String], counts: [[Int]]) {
        precondition(counts.count == classNames.count && counts.allSatisfy { $0.count == classNames.count },
                     "counts must be \(classNames.count)×\(classNames.count), one row and column per class")
        (self.title, self.classNames, self.counts) = (title, classNames, counts)
    }

    static let margin = 20.0, labelAngle = Double.pi / 4

    /// The share of row t's images in cell (t, p); NaN for an empty row.
    func share(_ t: Int, _ p: Int) -> Double {
        let total = counts[t].reduce(0, +)
        return total == 0 ? .nan : Double(counts[t][p]) / Double(total)
    }

    var allNotes: [String] {
        let total = counts.joined().reduce(0, +), right = counts.indices.map { counts[$0][$0] }.reduce(0, +)
        let (rightText, totalText) = (right.formatted(.number.locale(Locale(identifier: "en_US"))),
                                      total.formatted(.number.locale(Locale(identifier: "en_US"))))
        let summary = total == 0 ? localized("No images counted.", zh: "没有统计到图像。")
            : localized("\(rightText) of \(totalText) right (\(Self.percent(Double(right) / Double(total)))).",
                        zh: "\(totalText) 张中 \(rightText) 张正确（\(Self.percent(Double(right) / Double(total)))）。")
        return notes + [summary, localized("A cell counts the images of its row's class predicted as its column's; its colour is its share of the row.",
                                           zh: "每格是该行类别的图像被预测为该列类别的张数；颜色是它在该行中所占的比例。")]
    }

    /// The words drawn around the grid, in the run's language.
    struct Words {
        var recall = localized("recall", zh: "召回率")
        var trueClass = localized("true class", zh: "真实类别")
        var predictedClass = localized("predicted class", zh: "预测类别")
        var share = localized("share of the row", zh: "占该行的比例")
    }

    static func percent(_ v: Double) -> String { v.isNaN ? "–" : String(format: "%.1f %%", v * 100) }

    /// The grid's place and cell side.
    struct Layout { var x: Double, y: Double, cell: Double }

    func layout(_ canvas: Canvas, notes: [String]) -> Layout {
        let n = classNames.count
        let nameWidth = classNames.map { canvas.textWidth($0, size: 12) }.max() ?? 0
        let cell = n <= 12 ? 46 : max(22, (560 / Double(max(n, 1))).rounded(.down))
        return Layout(x: Self.margin + 24 + nameWidth + 10, y: Canvas.headingHeight(notes: notes.count) + 22, cell: cell)
    }

    public func render(scale: Double = 1) throws -> Canvas {
        let n = classNames.count
        let notes = allNotes
        let probe = try Canvas.probe()
        let layout = layout(probe, notes: notes)
        let (gx, gy, cell) = (layout.x, layout.y, layout.cell)
        let gridSide = Double(n) * cell
        let nameWidth = classNames.map { probe.textWidth($0, size: 12) }.max() ?? 0
        let recallX = gx + gridSide + 10
        let words = Words()
        let recallWidth = max(probe.textWidth("100.0 %", size: 12), probe.textWidth(words.recall, size: 12, bold: true))
        let labelsBottom = gy + gridSide + 10 + nameWidth * sin(Self.labelAngle) + 8
        let axisTitleY = labelsBottom + 16, barY = axisTitleY + 16
        let barLabelEnd = gx + min(gridSide, 300) + 10 + probe.textWidth(words.share, size: 12)
        let width = max(recallX + recallWidth + Self.margin, barLabelEnd + Self.margin, probe.headingWidth(title, notes: notes) + 2 * Self.margin)
        let height = barY + ColorScale.barHeight + Self.margin - 10
        let canvas = try Canvas(width: width, height: height, scale: scale)
        canvas.heading(title, notes: notes, x: Self.margin)

        let colors = ColorScale(colormap: colormap, low: 0, high: 1, span: 1)
        let countSize = cell >= 40 ? 13.0 : 11
        for t in 0..<n {
            for p in 0..<n {
                let (x, y) = (gx + Double(p) * cell, gy + Double(t) * cell)
                let share = share(t, p)
                let fill = share.isNaN ? Color.white : colors.color(share)
                canvas.fill(x: x, y: y, width: cell, height: cell, color: fill)
                let count = counts[t][p]
                let text = canvas.textWidth(String(count), size: countSize) <= cell - 4 ? String(count) : Axis.short(Double(count))
                canvas.text(text, x: x + cell / 2, y: y + cell / 2 + countSize * 0.36, size: countSize,
                            color: count == 0 ? Color(hex: 0xB0B0B0) : fill.readableText, bold: t == p, align: .center)
            }
            let rowTotal = counts[t].reduce(0, +)
            canvas.text(classNames[t], x: gx - 8, y: gy + (Double(t) + 0.5) * cell + 4, size: 12, align: .right)
            canvas.text(Self.percent(rowTotal == 0 ? .nan : Double(counts[t][t]) / Double(rowTotal)), x: recallX,
                        y: gy + (Double(t) + 0.5) * cell + 4, size: 12)
        }
        // White lines between the cells, a frame around them.
        for i in 1..<max(n, 1) {
            let o = Double(i) * cell
            canvas.line([(gx + o, gy), (gx + o, gy + gridSide)], color: .white, width: 1)
            canvas.line([(gx, gy + o), (gx + gridSide, gy + o)], color: .white, width: 1)
        }
        canvas.strokeRect(x: gx, y: gy, width: gridSide, height: gridSide, color: .muted)
        canvas.text(words.recall, x: recallX, y: gy - 8, size: 12, bold: true)
        for (p, name) in classNames.enumerated() {
            canvas.text(name, x: gx + (Double(p) + 0.5) * cell + 4, y: gy + gridSide + 10, size: 12, align: .right, angle: Self.labelAngle)
        }
        canvas.text(words.trueClass, x: Self.margin + 10, y: gy + gridSide / 2, size: 13, bold: true, align: .center, rotated: true)
        canvas.text(words.predictedClass, x: gx + gridSide / 2, y: axisTitleY, size: 13, bold: true, align: .center)
        let barWidth = min(gridSide, 300)
        colors.drawBar(canvas, x: gx, y: barY, width: barWidth) { String(format: "%.0f %%", $0 * 100) }
        canvas.text(words.share, x: gx + barWidth + 10, y: barY + 11, size: 12, color: .muted)
        return canvas
    }
}
