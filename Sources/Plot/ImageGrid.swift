import Foundation
import Localization

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
        let probe = try Canvas.probe()
        // Wide enough for the longest caption ("→ Ankle boot 97%"), up to twice the tile.
        let captionWidth = tiles.flatMap(\.caption).map { probe.textWidth($0, size: 12) }.max() ?? 0
        let cell = (width: max(side, captionLines > 0 ? min(max(92, captionWidth + 4), 2 * side) : side),
                    height: side + Double(captionLines) * 15 + (captionLines > 0 ? 4 : 0))
        let rowLabelWidth = rowLabels.isEmpty ? 0 : (rowLabels.map { probe.textWidth($0, size: 12) }.max() ?? 0) + 10
        let columnLabelHeight = columnLabels.isEmpty ? 0.0 : 18

        // The colour scale: the range all finite values fall into.
        let finite = tiles.flatMap { $0.values.filter(\.isFinite) }.map(Double.init)
        let hasNonFinite = finite.count < tiles.reduce(0) { $0 + $1.values.count }
        let shared = ColorScale(scaling, finite: finite, colormap: colormap)
        var notes = self.notes
        if let note = ColorScale.note(scaling, shared, what: Localized("all tiles", zh: "所有小图")) { notes.append(note) }
        if hasNonFinite { notes.append(localized("Some values are not finite (NaN or ∞): drawn as light gray.", zh: "有些值不是有限数（NaN 或 ∞）：画成浅灰色。")) }
        if tiles.isEmpty { notes.append(localized("Nothing to show.", zh: "没有可显示的内容。")) }

        let gridWidth = rowLabelWidth + Double(columns) * cell.width + Double(columns - 1) * gap
        let showBar = shared != nil && !tiles.isEmpty && { if case .fixed = scaling { return false }; return true }()
        let width = max(gridWidth, probe.headingWidth(title, notes: notes), 320) + 2 * margin
        let headerHeight = Canvas.headingHeight(notes: notes.count) + columnLabelHeight
        let height = headerHeight + Double(rows) * cell.height + Double(max(rows - 1, 0)) * gap + (showBar ? 56 : 0) + margin
        let canvas = try Canvas(width: width, height: height, scale: scale)
        canvas.heading(title, notes: notes, x: margin)

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
            let colors = shared ?? ColorScale(.shared, finite: values.filter(\.isFinite), colormap: colormap)!
            let pixels = values.map(colors.color)
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

        if showBar, let shared {
            shared.drawBar(canvas, x: x0, y: height - margin - 34, width: min(gridWidth - rowLabelWidth, 360))
        }
        return canvas
    }
}
