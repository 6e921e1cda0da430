import Foundation
import Localization

/// How values map to colours in a picture of values: a colour map over one range, the sentence
/// that says so, and the colour bar that shows it. `ImageGrid` and `VectorStrip` share it.
struct ColorScale {
    var colormap: Colormap
    var low: Double, high: Double
    /// The spread of all the picture's finite values, which sets how many decimals the ends are
    /// printed with.
    var span: Double

    init(colormap: Colormap, low: Double, high: Double, span: Double) {
        (self.colormap, self.low, self.high, self.span) = (colormap, low, high, span)
    }

    /// The one scale `scaling` gives for all of `finite` (nil for `.perTile`).
    init?(_ scaling: ImageGrid.Scaling, finite: [Double], colormap: Colormap) {
        let low = finite.min() ?? 0, high = finite.max() ?? 1
        switch scaling {
        case .shared: self.init(colormap: colormap, low: low, high: high, span: high - low)
        case .symmetric: let m = max(abs(low), abs(high)); self.init(colormap: colormap, low: -m, high: m, span: high - low)
        case .fixed(let r): self.init(colormap: colormap, low: r.lowerBound, high: r.upperBound, span: high - low)
        case .perTile: return nil
        }
    }

    /// A value's colour; light gray for a value that is not finite.
    func color(_ v: Double) -> Color {
        guard v.isFinite else { return Self.notFinite }
        return colormap.color(high > low ? (v - low) / (high - low) : 0.5)
    }

    static let notFinite = Color(hex: 0xDDDDDD)

    /// The sentence that tells how to read the colours of `what` ("all tiles", in both languages); none for a fixed
    /// range, which the picture's own notes explain.
    static func note(_ scaling: ImageGrid.Scaling, _ scale: ColorScale?, what: Localized) -> String? {
        switch (scaling, scale) {
        case (.shared, let s?):
            return localized("One colour scale for \(what.english): \(s.label(s.low)) (darkest) to \(s.label(s.high)) (brightest).",
                             zh: "\(what)共用一个颜色标尺：\(s.label(s.low))（最暗）到 \(s.label(s.high))（最亮）。")
        case (.symmetric, let s?):
            return localized("One colour scale for \(what.english): blue negative, white zero, red positive (±\(s.label(s.high))).",
                             zh: "\(what)共用一个颜色标尺：蓝为负，白为零，红为正（±\(s.label(s.high))）。")
        case (.perTile, _):
            return localized("Each tile is scaled to its own range, so patterns show but sizes cannot be compared.",
                             zh: "每个小图按各自的范围着色：看得出图案，但不能比较大小。")
        default: return nil
        }
    }

    static let barHeight = 46.0

    /// The colour bar, `barHeight` tall from y: the map from low to high, its ends labelled
    /// (and zero, when the range spans it).
    func drawBar(_ canvas: Canvas, x: Double, y: Double, width: Double, label: ((Double) -> String)? = nil) {
        let label = label ?? self.label
        let steps = 128
        canvas.image((0..<steps).map { colormap.color(Double($0) / Double(steps - 1)) }, columns: steps, rows: 1,
                     x: x, y: y, width: width, height: 12)
        canvas.strokeRect(x: x, y: y, width: width, height: 12, color: .muted)
        canvas.text(label(low), x: x, y: y + 28, size: 12, color: .muted)
        canvas.text(label(high), x: x + width, y: y + 28, size: 12, color: .muted, align: .right)
        if low < 0 && high > 0 {
            canvas.text("0", x: x + width * (-low) / (high - low), y: y + 28, size: 12, color: .muted, align: .center)
        }
    }

    /// A colour-scale end with three significant digits of the whole spread: 0.00 to 0.99, not
    /// 2e-06 to 0.999.
    func label(_ v: Double) -> String {
        let spread = max(abs(span), abs(v), 1e-12)
        let decimals = max(0, min(6, 2 - Int(floor(log10(spread)))))
        let text = String(format: "%.\(decimals)f", v)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}
