import Foundation
import Localization

/// A long vector of one example (a `Flatten`'s 400 values, a dense layer's 120 outputs) as one
/// strip of cells, read like text: left to right, then on the next row, each row starting with
/// the index of its first value. Colours as in `ImageGrid`, with its colour bar.
///
///     var strip = VectorStrip(title: "Layer 6: Flatten, output [1, 400]", values: activation)
///     strip.notes = ["The 16 maps of 5×5 laid end to end."]
///     let canvas = try strip.render()
///
/// A vector is drawn as a strip rather than as a square image, because a square suggests
/// neighbours above and below that a vector does not have.
public struct VectorStrip {
    public var title: String
    public var notes: [String] = []
    public var values: [Float]
    public var colormap: Colormap = .viridis
    /// `.perTile` is taken as `.shared`: the strip is one tile.
    public var scaling: ImageGrid.Scaling = .shared
    /// Values a row: all of them up to 60, else 50, if nil.
    public var rowLength: Int?
    /// The picture's width in logical pixels.
    public var width: Double = 880

    public init(title: String, values: [Float]) { (self.title, self.values) = (title, values) }

    /// Values a row, as drawn.
    var wrap: Int { max(1, rowLength ?? (values.count <= 60 ? values.count : 50)) }

    static let margin = 20.0, rowGap = 6.0, columnLabelHeight = 16.0

    /// The strip's geometry: where row `r` starts, the side of a cell.
    struct Layout {
        var x: Double, y: Double, cell: Double, rows: Int
        func rowTop(_ r: Int) -> Double { y + Double(r) * (cell + VectorStrip.rowGap) }
    }

    func layout(_ canvas: Canvas, notes: [String]) -> Layout {
        let rows = (values.count + wrap - 1) / wrap
        let labelWidth = canvas.textWidth(String(max(values.count - 1, 0)), size: 12) + 10
        let cell = min(24, max(4, ((width - 2 * Self.margin - labelWidth) / Double(wrap)).rounded(.down)))
        return Layout(x: Self.margin + labelWidth, y: Canvas.headingHeight(notes: notes.count) + Self.columnLabelHeight, cell: cell,
                      rows: rows)
    }

    var allNotes: [String] {
        let finite = values.filter(\.isFinite).map(Double.init)
        let scaling: ImageGrid.Scaling = { if case .perTile = self.scaling { return .shared }; return self.scaling }()
        var notes = self.notes
        let rows = (values.count + wrap - 1) / wrap
        notes.append(rows > 1
            ? localized("\(values.count) values, \(wrap) a row, read like text: each row starts with its first value's index.",
                        zh: "\(values.count) 个值，每行 \(wrap) 个，像读文字一样读：每行开头是该行第一个值的下标。")
            : localized("\(values.count) values, left to right.", zh: "\(values.count) 个值，从左到右。"))
        if let note = ColorScale.note(scaling, scale(finite), what: Localized("all values", zh: "所有值")) { notes.append(note) }
        if finite.count < values.count {
            notes.append(localized("Some values are not finite (NaN or ∞): drawn as light gray.", zh: "有些值不是有限数（NaN 或 ∞）：画成浅灰色。"))
        }
        if values.isEmpty { notes.append(localized("Nothing to show.", zh: "没有可显示的内容。")) }
        return notes
    }

    func scale(_ finite: [Double]) -> ColorScale {
        if case .perTile = scaling { return ColorScale(.shared, finite: finite, colormap: colormap)! }
        return ColorScale(scaling, finite: finite, colormap: colormap)!
    }

    public func render(scale: Double = 1) throws -> Canvas {
        let notes = allNotes
        let probe = try Canvas.probe()
        let layout = layout(probe, notes: notes)
        let stripWidth = layout.cell * Double(wrap)
        let width = max(self.width, layout.x + stripWidth + Self.margin, probe.headingWidth(title, notes: notes) + 2 * Self.margin)
        let stripBottom = layout.rowTop(layout.rows) - Self.rowGap
        let showBar: Bool = { if case .fixed = scaling { return false }; return !values.isEmpty }()
        let height = stripBottom + (showBar ? 14 + ColorScale.barHeight : 0) + Self.margin
        let canvas = try Canvas(width: width, height: height, scale: scale)
        canvas.heading(title, notes: notes, x: Self.margin)

        let colors = self.scale(values.filter(\.isFinite).map(Double.init))
        // Offsets along the first row, every ten values; faint gaps every ten cells to count by.
        for offset in stride(from: 0, to: wrap, by: 10) {
            canvas.text(String(offset), x: layout.x + (Double(offset) + 0.5) * layout.cell, y: layout.y - 5, size: 11,
                        color: .muted, align: .center)
        }
        for r in 0..<layout.rows {
            let first = r * wrap, row = values[first..<min(first + wrap, values.count)]
            let top = layout.rowTop(r)
            canvas.text(String(first), x: layout.x - 8, y: top + layout.cell / 2 + 4, size: 12, color: .muted, align: .right)
            let rowWidth = layout.cell * Double(row.count)
            canvas.image(row.map { colors.color(Double($0)) }, columns: row.count, rows: 1, x: layout.x, y: top,
                         width: rowWidth, height: layout.cell)
            for tick in stride(from: 10, to: row.count, by: 10) {
                let x = layout.x + Double(tick) * layout.cell
                canvas.line([(x, top), (x, top + layout.cell)], color: Color.white.withAlpha(0.8), width: 1)
            }
            canvas.strokeRect(x: layout.x, y: top, width: rowWidth, height: layout.cell, color: .gridLine)
        }
        if showBar {
            colors.drawBar(canvas, x: layout.x, y: stripBottom + 14, width: min(stripWidth, 360))
        }
        return canvas
    }
}
