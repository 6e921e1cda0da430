import Foundation

/// Small images side by side, each a grid of values drawn through a colour map: the channels of
/// a feature map, the kernels of a convolution, a batch of test images with their labels.
///
///     var grid = ImageGrid(title: "Layer 0: Conv2d, output [1, 6, 28, 28]")
///     grid.tiles = channels.map { ImageGrid.Tile(values: $0, width: 28, height: 28, caption: "ch \(i)") }
///     let canvas = try grid.render()
///
/// The picture states how values map to colours (one scale for all tiles, or one per tile) and
/// says when some values were not finite.
public struct ImageGrid {
    public struct Tile {
        public var values: [Float]
        public var width: Int, height: Int
        /// Lines under the tile.
        public var caption: [String]
        public var captionColor: Color
        /// A coloured frame, e.g. red around a wrong prediction.
        public var frame: Color?

        public init(values: [Float], width: Int, height: Int, caption: [String] = [], captionColor: Color = .ink,
                    frame: Color? = nil) {
            precondition(values.count == width * height, "\(values.count) values for a \(width)×\(height) tile")
            (self.values, self.width, self.height, self.caption, self.captionColor, self.frame) =
                (values, width, height, caption, captionColor, frame)
        }
    }

    public enum Scaling {
        /// One scale from the smallest to the largest value of all tiles, with a colour bar.
        case shared
        /// One scale for all tiles, symmetric around zero (for weights with a diverging map).
        case symmetric
        /// Each tile from its own smallest to largest value: patterns show, magnitudes do not.
        case perTile
        /// A fixed range, e.g. 0...1 for pixel intensities.
        case fixed(ClosedRange<Double>)
    }

    public var title: String
    /// Lines under the title: what the tiles are, what was left out.
    public var notes: [String] = []
    public var tiles: [Tile] = []
    public var colormap: Colormap = .viridis
    public var scaling: Scaling = .shared
    /// Tiles per row (about square if nil).
    public var columns: Int?
    /// Side of a tile in logical pixels (from the image size if nil).
    public var tileSide: Double?
    /// Labels left of each row and above each column (e.g. output and input channels), instead
    /// of captions under each tile.
    public var rowLabels: [String] = []
    public var columnLabels: [String] = []

    public init(title: String) { self.title = title }

    public func render(scale: Double = 1) throws -> Canvas {
        let columns = max(1, self.columns ?? Int(Double(tiles.count).squareRoot().rounded(.up)))
        let rows = (tiles.count + columns - 1) / columns
        let largest = tiles.map { max($0.width, $0.height) }.max() ?? 1
        let side = tileSide ?? min(max(Double(largest) * 4, 64), 112)
        let captionLines = tiles.map(\.caption.count).max() ?? 0
        let gap = 10.0, margin = 20.0
        let cell = (width: max(side, captionLines > 0 ? 92 : side), height: side + Double(captionLines) * 15 + (captionLines > 0 ? 4 : 0))
        let probe = try Canvas(width: 10, height: 10)
        let rowLabelWidth = rowLabels.isEmpty ? 0 : (rowLabels.map { probe.textWidth($0, size: 12) }.max() ?? 0) + 10
        let columnLabelHeight = columnLabels.isEmpty ? 0.0 : 18

        // The colour scale: the range all finite values fall into.
        let finite = tiles.flatMap { $0.values.filter(\.isFinite) }
        let hasNonFinite = finite.count < tiles.reduce(0) { $0 + $1.values.count }
        let low = Double(finite.min() ?? 0), high = Double(finite.max() ?? 1)
        var range: (Double, Double)? = nil
        switch scaling {
        case .shared: range = (low, high)
        case .symmetric: let m = max(abs(low), abs(high)); range = (-m, m)
        case .fixed(let r): range = (r.lowerBound, r.upperBound)
        case .perTile: range = nil
        }
        var notes = self.notes
        switch scaling {
        case .shared: notes.append("One colour scale for all tiles: \(rangeLabel(low)) (darkest) to \(rangeLabel(high)) (brightest).")
        case .symmetric: notes.append("One colour scale for all tiles: blue negative, white zero, red positive (±\(rangeLabel(range!.1))).")
        case .perTile: notes.append("Each tile is scaled to its own range, so patterns show but sizes cannot be compared.")
        case .fixed: break
        }
        if hasNonFinite { notes.append("Some values are not finite (NaN or ∞): drawn as light gray.") }
        if tiles.isEmpty { notes.append("Nothing to show.") }

        let gridWidth = rowLabelWidth + Double(columns) * cell.width + Double(columns - 1) * gap
        let showBar = range != nil && !tiles.isEmpty && { if case .fixed = scaling { return false }; return true }()
        let textWidth = ([probe.textWidth(title, size: 16, bold: true)] + notes.map { probe.textWidth($0, size: 12) }).max() ?? 0
        let width = max(gridWidth, textWidth, 320) + 2 * margin
        let headerHeight = 36 + Double(notes.count) * 17 + 8 + columnLabelHeight
        let height = headerHeight + Double(rows) * cell.height + Double(max(rows - 1, 0)) * gap + (showBar ? 56 : 0) + margin
        let canvas = try Canvas(width: width, height: height, scale: scale)

        canvas.text(title, x: margin, y: 26, size: 16, bold: true)
        for (i, note) in notes.enumerated() { canvas.text(note, x: margin, y: 48 + Double(i) * 17, size: 12, color: .muted) }

        let x0 = margin + (width - 2 * margin - gridWidth) / 2 + rowLabelWidth
        for (c, label) in columnLabels.prefix(columns).enumerated() {
            canvas.text(label, x: x0 + Double(c) * (cell.width + gap) + cell.width / 2, y: headerHeight - 6, size: 12,
                        color: .muted, align: .center)
        }
        for (r, label) in rowLabels.prefix(rows).enumerated() {
            canvas.text(label, x: x0 - 10, y: headerHeight + Double(r) * (cell.height + gap) + side / 2 + 4, size: 12,
                        color: .muted, align: .right)
        }
        for (index, tile) in tiles.enumerated() {
            let x = x0 + Double(index % columns) * (cell.width + gap) + (cell.width - side) / 2
            let y = headerHeight + Double(index / columns) * (cell.height + gap)
            let values = tile.values.map(Double.init)
            let tileFinite = values.filter(\.isFinite)
            let (lo, hi) = range ?? (tileFinite.min() ?? 0, tileFinite.max() ?? 1)
            let pixels = values.map { v -> Color in
                guard v.isFinite else { return Color(hex: 0xDDDDDD) }
                return colormap.color(hi > lo ? (v - lo) / (hi - lo) : 0.5)
            }
            // Keep the tile's aspect ratio inside the square cell.
            let aspect = Double(tile.width) / Double(tile.height)
            let (w, h) = aspect >= 1 ? (side, side / aspect) : (side * aspect, side)
            let (ix, iy) = (x + (side - w) / 2, y + (side - h) / 2)
            canvas.image(pixels, columns: tile.width, rows: tile.height, x: ix, y: iy, width: w, height: h)
            canvas.strokeRect(x: ix, y: iy, width: w, height: h, color: tile.frame ?? .gridLine, lineWidth: tile.frame == nil ? 1 : 3)
            for (line, text) in tile.caption.enumerated() {
                let cx = x + side / 2
                canvas.text(canvas.fitted(text, width: cell.width + gap - 2, size: 12), x: cx, y: y + side + 16 + Double(line) * 15,
                            size: 12, color: tile.captionColor, align: .center)
            }
        }

        if showBar, let (lo, hi) = range {
            let barY = height - margin - 34, barWidth = min(gridWidth - rowLabelWidth, 360), barX = x0
            let steps = 128
            canvas.image((0..<steps).map { colormap.color(Double($0) / Double(steps - 1)) }, columns: steps, rows: 1,
                         x: barX, y: barY, width: barWidth, height: 12)
            canvas.strokeRect(x: barX, y: barY, width: barWidth, height: 12, color: .muted)
            canvas.text(rangeLabel(lo), x: barX, y: barY + 28, size: 12, color: .muted)
            canvas.text(rangeLabel(hi), x: barX + barWidth, y: barY + 28, size: 12, color: .muted, align: .right)
            if lo < 0 && hi > 0 {
                canvas.text("0", x: barX + barWidth * (-lo) / (hi - lo), y: barY + 28, size: 12, color: .muted, align: .center)
            }
        }
        return canvas
    }

    /// A colour-scale end with three significant digits of the whole range: 0.00 to 0.99, not
    /// 2e-06 to 0.999.
    func rangeLabel(_ v: Double) -> String {
        let finite = tiles.flatMap { $0.values.filter(\.isFinite) }.map(Double.init)
        let span = max(abs((finite.max() ?? 1) - (finite.min() ?? 0)), abs(v), 1e-12)
        let decimals = max(0, min(6, 2 - Int(floor(log10(span)))))
        let text = String(format: "%.\(decimals)f", v)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}
