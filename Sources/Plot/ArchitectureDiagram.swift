import Foundation

/// A network drawn as boxes from input to output, one per layer, each with its kind, its
/// settings and its output shape; blocks are framed, and parallel branches (an Inception
/// block) sit side by side above the box that joins them.
///
///     var diagram = ArchitectureDiagram(title: "LeNet", input: "input [1, 1, 28, 28]")
///     diagram.nodes = [.layer("Conv2d", detail: "1→6, 5×5, pad 2", shape: "[1, 6, 28, 28]"), ...]
///     let canvas = try diagram.render()
public struct ArchitectureDiagram {
    public indirect enum Node {
        /// One layer.
        case layer(String, detail: String, shape: String)
        /// Layers in order, framed and titled (a `Sequential` block).
        case block(String, [Node], shape: String)
        /// Branches side by side, joined by `merge` (e.g. "concatenate channels").
        case branches(String, [[Node]], merge: String, shape: String)
    }

    public var title: String
    public var input: String
    public var nodes: [Node] = []

    public init(title: String, input: String) { (self.title, self.input) = (title, input) }

    // MARK: Layout

    static let boxHeight = 40.0, thinHeight = 28.0, arrow = 18.0, pad = 12.0, branchGap = 14.0, minWidth = 150.0
    static let maxColumnHeight = 1300.0

    /// The fill that tells kinds apart, the same in every diagram.
    static func fill(_ kind: String) -> Color {
        let k = kind.lowercased()
        if k.contains("conv") { return Color(hex: 0xDCEBF7) }
        if k.contains("pool") { return Color(hex: 0xDFF2DF) }
        if k.contains("linear") { return Color(hex: 0xFCE5CD) }
        if k.contains("norm") { return Color(hex: 0xEDE3F5) }
        if k.contains("dropout") { return Color(hex: 0xF5F5F5) }
        return Color(hex: 0xF2F2F2)
    }

    /// Layers that do not change the picture much (activations, flatten) get a thinner box.
    static func isThin(_ kind: String) -> Bool {
        ["relu", "sigmoid", "flatten", "dropout", "tanh"].contains(kind.lowercased())
    }

    func size(_ node: Node, _ canvas: Canvas) -> (width: Double, height: Double) {
        switch node {
        case let .layer(kind, detail, shape):
            let top = canvas.textWidth(kind, size: 13, bold: true) + (detail.isEmpty ? 0 : 8 + canvas.textWidth(detail, size: 12))
            let w = max(top, canvas.textWidth(shape, size: 12)) + 2 * Self.pad
            return (max(w, Self.minWidth), Self.isThin(kind) ? Self.thinHeight : Self.boxHeight)
        case let .block(name, children, _):
            let sizes = children.map { size($0, canvas) }
            let w = max(sizes.map(\.width).max() ?? 0, canvas.textWidth(name, size: 12, bold: true)) + 2 * Self.pad
            let h = sizes.map(\.height).reduce(0, +) + Double(max(children.count - 1, 0)) * Self.arrow + 2 * Self.pad + 18
            return (w, h)
        case let .branches(name, branches, merge, shape):
            let columns = branches.map { column($0, canvas) }
            let w = columns.map(\.width).reduce(0, +) + Double(max(columns.count - 1, 0)) * Self.branchGap + 2 * Self.pad
            let mergeWidth = size(.layer(merge, detail: "", shape: shape), canvas).width
            let h = 18 + Self.arrow + (columns.map(\.height).max() ?? 0) + Self.arrow + Self.boxHeight + 2 * Self.pad
            return (max(w, mergeWidth + 2 * Self.pad, canvas.textWidth(name, size: 12, bold: true) + 2 * Self.pad), h)
        }
    }

    func column(_ nodes: [Node], _ canvas: Canvas) -> (width: Double, height: Double) {
        let sizes = nodes.map { size($0, canvas) }
        return (sizes.map(\.width).max() ?? 0, sizes.map(\.height).reduce(0, +) + Double(max(nodes.count - 1, 0)) * Self.arrow)
    }

    // MARK: Drawing

    /// Where a top-level node was drawn, in fractions of the picture's width and height: `node`
    /// counts the nodes from 0 (the input box is not one).
    public struct Region: Equatable, Sendable {
        public var node: Int
        public var x: Double, y: Double, width: Double, height: Double
    }

    public func render(scale: Double = 1) throws -> Canvas { try renderWithRegions(scale: scale).canvas }

    /// The picture, and where each top-level node is in it (to make the boxes clickable).
    public func renderWithRegions(scale: Double = 1) throws -> (canvas: Canvas, regions: [Region]) {
        let probe = try Canvas(width: 10, height: 10)
        let inputNode = Node.layer("Input", detail: "", shape: input)
        // Split the top level into columns no taller than maxColumnHeight.
        var columns: [[Node]] = [[inputNode]]
        var height = size(inputNode, probe).height
        for node in nodes {
            let h = size(node, probe).height
            if height + Self.arrow + h > Self.maxColumnHeight && !(columns.last!.isEmpty) {
                columns.append([]); height = 0
            }
            columns[columns.count - 1].append(node)
            height += (columns.last!.count > 1 ? Self.arrow : 0) + h
        }
        let sizes = columns.map { column($0, probe) }
        let margin = 24.0, columnGap = 48.0, header = 48.0
        let width = max(sizes.map(\.width).reduce(0, +) + Double(columns.count - 1) * columnGap + 2 * margin,
                        probe.textWidth(title, size: 16, bold: true) + 2 * margin)
        let canvasHeight = header + (sizes.map(\.height).max() ?? 0) + margin
        let canvas = try Canvas(width: width, height: canvasHeight, scale: scale)
        canvas.text(title, x: width / 2, y: 28, size: 16, bold: true, align: .center)

        var x = (width - (sizes.map(\.width).reduce(0, +) + Double(columns.count - 1) * columnGap)) / 2
        var regions: [Region] = []
        var node = -1  // the input box comes first
        for (i, nodes) in columns.enumerated() {
            let center = x + sizes[i].width / 2
            var y = header
            for item in nodes {
                let (w, h) = size(item, probe)
                if node >= 0 {
                    regions.append(Region(node: node, x: (center - w / 2) / width, y: y / canvasHeight, width: w / width, height: h / canvasHeight))
                }
                node += 1
                y += h + Self.arrow
            }
            drawColumn(nodes, centerX: center, top: header, canvas)
            if i + 1 < columns.count {
                // Continue at the top of the next column.
                let bottom = header + sizes[i].height + 6
                let nextCenter = x + sizes[i].width + columnGap + sizes[i + 1].width / 2
                canvas.line([(center, bottom), (center, bottom + 6), (x + sizes[i].width + columnGap / 2, bottom + 6),
                             (x + sizes[i].width + columnGap / 2, header - 10), (nextCenter, header - 10), (nextCenter, header - 4)],
                            color: .muted, width: 1, dash: [3, 3])
            }
            x += sizes[i].width + columnGap
        }
        return (canvas, regions)
    }

    /// Draws nodes top to bottom, centred on centerX, with arrows between; returns the bottom.
    @discardableResult
    func drawColumn(_ nodes: [Node], centerX: Double, top: Double, _ canvas: Canvas) -> Double {
        var y = top
        for (i, node) in nodes.enumerated() {
            if i > 0 { drawArrow(x: centerX, from: y, to: y + Self.arrow, canvas); y += Self.arrow }
            y = draw(node, centerX: centerX, top: y, canvas)
        }
        return y
    }

    func drawArrow(x: Double, from y0: Double, to y1: Double, _ canvas: Canvas) {
        canvas.line([(x, y0), (x, y1 - 5)], color: .muted, width: 1.2)
        canvas.arrowHead(x: x, y: y1, size: 6, color: .muted)
    }

    func draw(_ node: Node, centerX: Double, top: Double, _ canvas: Canvas) -> Double {
        let (w, h) = size(node, canvas)
        let left = centerX - w / 2
        switch node {
        case let .layer(kind, detail, shape):
            canvas.fillRoundedRect(x: left, y: top, width: w, height: h, radius: 6, color: Self.fill(kind))
            canvas.strokeRect(x: left, y: top, width: w, height: h, color: Color(hex: 0x9AA5B1), cornerRadius: 6)
            if Self.isThin(kind) {
                let label = kind + "  " + shape
                canvas.text(label, x: centerX, y: top + h / 2 + 4.5, size: 12, color: .ink, align: .center)
            } else {
                let titleWidth = canvas.textWidth(kind, size: 13, bold: true)
                let detailWidth = detail.isEmpty ? 0 : 8 + canvas.textWidth(detail, size: 12)
                let start = centerX - (titleWidth + detailWidth) / 2
                canvas.text(kind, x: start, y: top + 17, size: 13, bold: true)
                if !detail.isEmpty { canvas.text(detail, x: start + titleWidth + 8, y: top + 17, size: 12, color: .ink) }
                canvas.text(shape, x: centerX, y: top + 33, size: 12, color: .muted, align: .center)
            }
            return top + h
        case let .block(name, children, _):
            canvas.strokeRect(x: left, y: top, width: w, height: h, color: Color(hex: 0xB0B8C1), lineWidth: 1, cornerRadius: 8)
            canvas.text(name, x: left + Self.pad, y: top + 16, size: 12, color: .muted, bold: true)
            drawColumn(children, centerX: centerX, top: top + Self.pad + 18, canvas)
            return top + h
        case let .branches(name, branches, merge, shape):
            canvas.strokeRect(x: left, y: top, width: w, height: h, color: Color(hex: 0xB0B8C1), lineWidth: 1, cornerRadius: 8)
            canvas.text(name, x: left + Self.pad, y: top + 16, size: 12, color: .muted, bold: true)
            let columns = branches.map { column($0, canvas) }
            let total = columns.map(\.width).reduce(0, +) + Double(max(columns.count - 1, 0)) * Self.branchGap
            var x = centerX - total / 2
            let splitY = top + Self.pad + 18, branchTop = splitY + Self.arrow
            let branchBottom = branchTop + (columns.map(\.height).max() ?? 0)
            let mergeTop = branchBottom + Self.arrow
            for (branch, size) in zip(branches, columns) {
                let cx = x + size.width / 2
                canvas.line([(centerX, splitY), (cx, splitY + 6)], color: .muted, width: 1.2)
                drawArrow(x: cx, from: splitY + 6, to: branchTop, canvas)
                let bottom = drawColumn(branch, centerX: cx, top: branchTop, canvas)
                canvas.line([(cx, bottom), (cx, branchBottom + 6), (centerX, mergeTop - 5)], color: .muted, width: 1.2)
                x += size.width + Self.branchGap
            }
            canvas.arrowHead(x: centerX, y: mergeTop, size: 6, color: .muted)
            _ = draw(.layer(merge, detail: "", shape: shape), centerX: centerX, top: mergeTop, canvas)
            return top + h
        }
    }
}
