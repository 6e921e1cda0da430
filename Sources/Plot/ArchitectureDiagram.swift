import Foundation
import Localization

/// A network drawn as boxes from input to output, one per layer, each with its kind, its
/// settings and its output shape; blocks are framed, and parallel branches (an Inception
/// block) sit side by side above the box that joins them.
///
///     var diagram = ArchitectureDiagram(title: "LeNet", input: "input [1, 1, 28, 28]")
///     diagram.nodes = [.layer("Conv2d", detail: "1→6, 5×5, pad 2", shape: "[1, 6, 28, 28]"), ...]
///     let (canvas, regions) = try diagram.renderWithRegions()
///
/// The boxes run top to bottom in columns, read left to right like a newspaper's, an arrow
/// leading from the foot of each column to the head of the next; a long block wraps its own
/// children into columns inside its frame. Where the columns break is chosen so that the whole
/// picture shows as large as it can on a 16:9 screen (`screen`), so a long LeNet is two or three
/// short columns and a GoogLeNet is about as wide as a slide. Branches are never cut.
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
    /// Whether the boxes inside branches show their output shapes. Off, they are narrower and the
    /// diagram larger on a screen; the box that joins the branches shows the block's shape, and a
    /// note under the title says so.
    public var shapesInBranches = false

    public init(title: String, input: String) { (self.title, self.input) = (title, input) }

    // MARK: Layout

    static let boxHeight = 40.0, thinHeight = 28.0, arrow = 16.0, pad = 10.0, branchGap = 10.0, minWidth = 150.0
    /// Room for a block's title above its contents.
    static let blockTitle = 18.0
    /// Between columns of a sequence that wraps, and the lanes above and below them that the
    /// arrow from one column's end to the next column's start runs along.
    static let columnGap = 40.0, lane = 12.0
    static let margin = 24.0, header = 48.0
    /// The screen the layout is made for: the diagram is wrapped so that it is as large as it can
    /// be when it is shown whole on a 16:9 screen.
    static let screen = (width: 1280.0, height: 720.0)

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

    static let blockFill = Color(hex: 0xF7F9FB), blockEdge = Color(hex: 0xB0B8C1), boxEdge = Color(hex: 0x9AA5B1)

    /// Layers that do not change the picture much (activations, flatten) get a thinner box.
    static func isThin(_ kind: String) -> Bool {
        ["relu", "sigmoid", "flatten", "dropout", "tanh", "identity"].contains(kind.lowercased())
    }

    /// A node with its size worked out: a block's children in columns, a set of branches side by
    /// side above the box that joins them. A block cut across the picture's columns is a plan
    /// for each part.
    struct Plan {
        var node: Node
        var width: Double, height: Double
        var style = Style.twoLines
        /// The lines of a layer's box.
        var lines: [String] = []
        /// A block's children (of this part), column by column.
        var columns: [[Plan]] = []
        /// The branches of a `.branches` node, each one column, and the box that joins them.
        var branches: [[Plan]] = []
        var merge: [Plan] = []
        /// Which part of a cut block this is: 0 for the first (or the whole).
        var part = 0
        /// A block's least width: its title's, as the first part and as a later one.
        var titleWidths = (first: 0.0, later: 0.0)
        /// The top-level node this is (nil for the input box and for what is inside a node).
        var index: Int?
    }

    /// How a layer's box is written.
    enum Style {
        /// Kind and settings on one line, the shape under them.
        case twoLines
        /// Kind, settings (and shape) each on a line of its own: inside branches, to keep them narrow.
        case stacked
        /// "ReLU  [1, 64, 48, 48]" in a thinner box: layers that do not change the picture much
        /// (activations, flatten), and the box that joins branches.
        case oneLine
    }

    /// Arrows inside a set of branches are shorter.
    static let branchArrow = 12.0
    /// A block's frame: its title and padding, above and below its children.
    static let chrome = 2 * pad + blockTitle

    /// `node` measured, a block's children in one column.
    func measure(_ node: Node, inBranch: Bool = false, _ canvas: Canvas) -> Plan {
        switch node {
        case let .layer(kind, detail, shape):
            let shape = inBranch && !shapesInBranches ? "" : shape
            if Self.isThin(kind) || detail.isEmpty && shape.isEmpty {
                let line = shape.isEmpty ? kind : kind + "  " + shape
                return Plan(node: node, width: canvas.textWidth(line, size: 12) + 2 * Self.pad, height: Self.thinHeight, style: .oneLine,
                            lines: [line])
            }
            let oneLine = canvas.textWidth(kind, size: 13, bold: true) + (detail.isEmpty ? 0 : 8 + canvas.textWidth(detail, size: 12))
            if inBranch && !detail.isEmpty && (shape.isEmpty || oneLine > Self.minWidth - 2 * Self.pad) {
                let lines = [kind, detail] + (shape.isEmpty ? [] : [shape])
                let w = max(canvas.textWidth(kind, size: 13, bold: true), lines.dropFirst().map { canvas.textWidth($0, size: 12) }.max() ?? 0)
                return Plan(node: node, width: max(w + 2 * Self.pad, Self.minWidth * 0.75), height: 10 + 15 * Double(lines.count),
                            style: .stacked, lines: lines)
            }
            let w = max(oneLine, canvas.textWidth(shape, size: 12)) + 2 * Self.pad
            return Plan(node: node, width: max(w, inBranch ? Self.minWidth * 0.75 : Self.minWidth), height: Self.boxHeight,
                        lines: [kind, detail, shape])
        case let .block(name, children, _):
            var plan = Plan(node: node, width: 0, height: 0, columns: [children.map { measure($0, inBranch: inBranch, canvas) }])
            plan.titleWidths = (canvas.textWidth(name, size: 12, bold: true) + 2 * Self.pad,
                                canvas.textWidth(name + Self.continued, size: 12, bold: true) + 2 * Self.pad)
            return framed(plan)
        case let .branches(name, branches, merge, shape):
            let columns = branches.map { $0.map { measure($0, inBranch: true, canvas) } }
            let sizes = columns.map { Self.columnSize($0, arrow: Self.branchArrow) }
            let mergeLine = merge + "  " + shape
            let mergePlan = Plan(node: .layer(merge, detail: "", shape: shape), width: canvas.textWidth(mergeLine, size: 12) + 2 * Self.pad,
                                 height: Self.thinHeight, style: .oneLine, lines: [mergeLine])
            let w = sizes.map(\.width).reduce(0, +) + Double(max(columns.count - 1, 0)) * Self.branchGap + 2 * Self.pad
            let h = Self.blockTitle + Self.branchArrow + (sizes.map(\.height).max() ?? 0) + 2 * Self.branchArrow + mergePlan.height
                + 2 * Self.pad
            return Plan(node: node, width: max(w, mergePlan.width + 2 * Self.pad, canvas.textWidth(name, size: 12, bold: true) + 2 * Self.pad),
                        height: h, branches: columns, merge: [mergePlan])
        }
    }

    /// A block's title as drawn: a part after the first says it continues.
    func blockTitle(_ plan: Plan) -> String {
        guard case let .block(name, _, _) = plan.node else { return "" }
        return plan.part == 0 ? name : name + Self.continued
    }

    static var continued: String { localized(" (continued)", zh: "（续）") }

    /// A block plan sized to its columns and its title.
    func framed(_ plan: Plan) -> Plan {
        var plan = plan
        let (w, h) = Self.extent(plan.columns)
        plan.width = max(w + 2 * Self.pad, plan.part == 0 ? plan.titleWidths.first : plan.titleWidths.later)
        plan.height = h + Self.chrome
        return plan
    }

    /// `plan` with every block's children in as few columns no taller than `limit` (less the
    /// frames around them, and at least two boxes tall) as will do, as even in height as they can be.
    func wrapped(_ plan: Plan, limit: Double) -> Plan {
        guard case .block = plan.node else { return plan }
        var plan = plan
        // Columns of a box each would read as a row of boxes joined by detours.
        let inner = max(limit - Self.chrome, 2 * Self.boxHeight + Self.arrow)
        let children = plan.columns.flatMap { $0 }.map { wrapped($0, limit: inner) }
        var columns = Self.wrap(children, limit: inner)
        if columns.count > 1 {
            // The lowest limit that needs no more columns than that.
            var low = children.map(\.height).max() ?? 0, high = columns.map { Self.columnSize($0).height }.max() ?? inner
            while high - low > 1 {
                let middle = (low + high) / 2
                if Self.wrap(children, limit: middle).count <= columns.count { high = middle } else { low = middle }
            }
            columns = Self.wrap(children, limit: high)
        }
        plan.columns = columns
        return framed(plan)
    }

    /// Plans in order, a new column whenever the next would make this one taller than `limit`.
    static func wrap(_ plans: [Plan], limit: Double) -> [[Plan]] {
        breaks(plans.map(\.height), limit: limit).map { Array(plans[$0]) }
    }

    /// Where `wrap` starts new columns, for items of these heights.
    static func breaks(_ heights: [Double], limit: Double) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0, height = 0.0
        for (i, h) in heights.enumerated() {
            if i > start && height + arrow + h > limit {
                ranges.append(start..<i)
                (start, height) = (i, 0)
            }
            height += (i > start ? arrow : 0) + h
        }
        if !heights.isEmpty { ranges.append(start..<heights.count) }
        return ranges
    }

    /// The top level cut into columns no taller than `limit`, as a newspaper cuts a text: whole
    /// boxes where they fit, and a block that does not fit in what is left of a column cut
    /// between its children, framed in each column it runs through.
    func flow(_ sequence: [Plan], limit: Double) -> [[Plan]] {
        var columns: [[Plan]] = [[]]
        var used = 0.0
        func room() -> Double { limit - used - (columns[columns.count - 1].isEmpty ? 0 : Self.arrow) }
        func place(_ plan: Plan) {
            used += (columns[columns.count - 1].isEmpty ? 0 : Self.arrow) + plan.height
            columns[columns.count - 1].append(plan)
        }
        func newColumn() { if !columns[columns.count - 1].isEmpty { columns.append([]); used = 0 } }
        for item in sequence {
            if item.height <= room() { place(item); continue }
            // Each part holds at least two children, so a block of fewer than four stays whole.
            let children = item.columns.flatMap { $0 }
            guard case .block = item.node, children.count >= 4 else { newColumn(); place(item); continue }
            var rest = children[...], part = 0
            while !rest.isEmpty {
                // As many children as fit in what is left of this column, leaving none or two.
                var taken = 0
                while taken < rest.count && Self.columnSize(Array(rest.prefix(taken + 1))).height + Self.chrome <= room() { taken += 1 }
                if rest.count - taken == 1 { taken -= 1 }
                if taken < 2 && rest.count > 1 {
                    if !columns[columns.count - 1].isEmpty { newColumn(); continue }
                    taken = min(2, rest.count)
                }
                var piece = item
                piece.columns = [Array(rest.prefix(max(taken, 1)))]
                piece.part = part
                place(framed(piece))
                rest = rest.dropFirst(max(taken, 1))
                part += 1
                if !rest.isEmpty { newColumn() }
            }
        }
        return columns
    }

    static func columnSize(_ plans: [Plan], arrow: Double = arrow) -> (width: Double, height: Double) {
        (plans.map(\.width).max() ?? 0, plans.map(\.height).reduce(0, +) + Double(max(plans.count - 1, 0)) * arrow)
    }

    /// The size of columns side by side, with the lanes for the arrows between them.
    static func extent(_ columns: [[Plan]]) -> (width: Double, height: Double) {
        let sizes = columns.map { columnSize($0) }
        let lanes = columns.count > 1 ? 2 * lane : 0
        return (sizes.map(\.width).reduce(0, +) + Double(max(columns.count - 1, 0)) * columnGap, (sizes.map(\.height).max() ?? 0) + lanes)
    }

    /// A way to lay the diagram out: the picture's size and its top-level columns.
    struct Arrangement {
        var width: Double, height: Double
        var columns: [[Plan]]
        /// How large the picture shows when fitted whole to `screen`: 1 for its own size.
        var fit: Double { min(ArchitectureDiagram.screen.width / width, ArchitectureDiagram.screen.height / height) }
    }

    /// The arrangement that shows largest on `screen` (the fewest columns among equals), of two
    /// kinds tried at many heights: blocks
    /// kept whole, their children wrapped into columns at one height and the top level (the
    /// input box, then the nodes) at another; or the top level cut like a newspaper's columns,
    /// blocks cut across them. A cut block is harder to follow: blocks are cut only when whole
    /// ones would show smaller than drawn, and cutting gains a twentieth.
    func layout(_ canvas: Canvas) -> Arrangement {
        var sequence = ([Node.layer(localized("Input", zh: "输入"), detail: "", shape: input)] + nodes).map { measure($0, canvas) }
        for i in sequence.indices.dropFirst() { sequence[i].index = i - 1 }
        let titleWidth = canvas.textWidth(title, size: 16, bold: true) + 2 * Self.margin
        let notes = self.notes
        let header = Self.header + (notes.isEmpty ? 0 : 6 + 17 * Double(notes.count))
        let headingWidth = max(titleWidth, (notes.map { canvas.textWidth($0, size: 12) }.max() ?? 0) + 2 * Self.margin)
        func arrangement(_ columns: [[Plan]]) -> Arrangement {
            let (w, h) = Self.extent(columns)
            return Arrangement(width: max(w + 2 * Self.margin, headingWidth), height: h + header + Self.margin, columns: columns)
        }
        let total = Self.columnSize(sequence).height
        let step = Self.boxHeight + Self.arrow
        var whole = arrangement([sequence])
        var tried: Set<[Double]> = []
        for blockLimit in [Double.infinity] + Array(stride(from: total, to: Self.boxHeight, by: -step / 2)) {
            let blocks = sequence.map { wrapped($0, limit: blockLimit) }
            let (widths, heights) = (blocks.map(\.width), blocks.map(\.height))
            guard tried.insert(widths + heights).inserted else { continue }
            // Sizes alone first; the columns of plans only for the best.
            var best: (fit: Double, limit: Double)?
            for limit in stride(from: Self.columnSize(blocks).height, to: Self.boxHeight, by: -8) {
                let ranges = Self.breaks(heights, limit: limit)
                let w = ranges.map { widths[$0].max()! }.reduce(0, +) + Double(ranges.count - 1) * Self.columnGap
                let h = ranges.map { heights[$0].reduce(0, +) + Double($0.count - 1) * Self.arrow }.max()!
                    + (ranges.count > 1 ? 2 * Self.lane : 0)
                let size = Arrangement(width: max(w + 2 * Self.margin, headingWidth), height: h + header + Self.margin, columns: [])
                if size.fit > (best?.fit ?? 0) + 1e-9 { best = (size.fit, limit) }
            }
            if let best, best.fit > whole.fit + 1e-9 { whole = arrangement(Self.wrap(blocks, limit: best.limit)) }
        }
        var cut = whole
        for limit in stride(from: total, to: Self.boxHeight, by: -4) {
            let candidate = arrangement(flow(sequence, limit: limit))
            if candidate.fit > cut.fit + 1e-9 { cut = candidate }
        }
        return whole.fit < 1 && cut.fit > whole.fit * 1.05 ? cut : whole
    }

    /// The lines under the title: what the diagram leaves out.
    var notes: [String] {
        let hasBranches = nodes.contains { node in
            func has(_ n: Node) -> Bool {
                switch n {
                case .layer: return false
                case .branches: return true
                case let .block(_, children, _): return children.contains(where: has)
                }
            }
            return has(node)
        }
        return hasBranches && !shapesInBranches
            ? [localized("Inside branches the boxes leave out their shapes: the box that joins the branches gives the block's output shape.",
                         zh: "分支里的方框省略了形状：汇合各分支的方框给出整个块的输出形状。")] : []
    }

    // MARK: Drawing

    /// Where a top-level node was drawn, in fractions of the picture's width and height: `node`
    /// counts the nodes from 0 (the input box is not one). A block cut across columns has a
    /// region for each part.
    public struct Region: Equatable, Sendable {
        public var node: Int
        public var x: Double, y: Double, width: Double, height: Double
    }

    public func render(scale: Double = 1) throws -> Canvas { try renderWithRegions(scale: scale).canvas }

    /// The picture, and where each top-level node is in it (to make the boxes clickable).
    public func renderWithRegions(scale: Double = 1) throws -> (canvas: Canvas, regions: [Region]) {
        let probe = try Canvas.probe()
        let arrangement = layout(probe)
        let (width, height, columns) = (arrangement.width, arrangement.height, arrangement.columns)
        let canvas = try Canvas(width: width, height: height, scale: scale)
        canvas.text(title, x: width / 2, y: 28, size: 16, bold: true, align: .center)
        for (i, note) in notes.enumerated() {
            canvas.text(note, x: width / 2, y: 48 + 17 * Double(i), size: 12, color: .muted, align: .center)
        }
        let header = Self.header + (notes.isEmpty ? 0 : 6 + 17 * Double(notes.count))
        let contentWidth = Self.extent(columns).width
        let placed = drawColumns(columns, left: (width - contentWidth) / 2, top: header - (columns.count > 1 ? Self.lane : 0), canvas)
        let regions = zip(columns.flatMap { $0 }, placed).compactMap { plan, box in
            plan.index.map { Region(node: $0, x: box.x / width, y: box.y / height, width: box.width / width, height: box.height / height) }
        }
        return (canvas, regions)
    }

    /// Draws columns side by side from (left, top), each top to bottom with arrows between its
    /// boxes, and an arrow from each column's end to the next one's start along the lanes above
    /// and below; returns where each plan was drawn, in order.
    @discardableResult
    func drawColumns(_ columns: [[Plan]], left: Double, top: Double, _ canvas: Canvas)
        -> [(x: Double, y: Double, width: Double, height: Double)] {
        let lane = columns.count > 1 ? Self.lane : 0
        let sizes = columns.map { Self.columnSize($0) }
        var placed: [(x: Double, y: Double, width: Double, height: Double)] = []
        var x = left
        for (i, column) in columns.enumerated() {
            let center = x + sizes[i].width / 2
            var y = top + lane
            for (j, plan) in column.enumerated() {
                if j > 0 { drawArrow(x: center, from: y, to: y + Self.arrow, canvas); y += Self.arrow }
                placed.append((center - plan.width / 2, y, plan.width, plan.height))
                y = draw(plan, centerX: center, top: y, canvas)
            }
            if i + 1 < columns.count {
                let gapX = x + sizes[i].width + Self.columnGap / 2
                let next = gapX + Self.columnGap / 2 + sizes[i + 1].width / 2
                let (low, high) = (y + lane / 2, top + lane / 2)
                canvas.line([(center, y), (center, low), (gapX, low), (gapX, high), (next, high), (next, top + lane - 5)],
                            color: .muted, width: 1.2)
                canvas.arrowHead(x: next, y: top + lane, size: 6, color: .muted)
            }
            x += sizes[i].width + Self.columnGap
        }
        return placed
    }

    func drawArrow(x: Double, from y0: Double, to y1: Double, _ canvas: Canvas) {
        canvas.line([(x, y0), (x, y1 - 5)], color: .muted, width: 1.2)
        canvas.arrowHead(x: x, y: y1, size: 6, color: .muted)
    }

    /// Draws a planned node with its top edge centred at (centerX, top); returns its bottom.
    func draw(_ plan: Plan, centerX: Double, top: Double, _ canvas: Canvas) -> Double {
        let (w, h) = (plan.width, plan.height)
        let left = centerX - w / 2
        switch plan.node {
        case let .layer(kind, detail, _):
            canvas.fillRoundedRect(x: left, y: top, width: w, height: h, radius: 6, color: Self.fill(kind))
            canvas.strokeRect(x: left, y: top, width: w, height: h, color: Self.boxEdge, cornerRadius: 6)
            switch plan.style {
            case .oneLine:
                canvas.text(plan.lines[0], x: centerX, y: top + h / 2 + 4.5, size: 12, color: .ink, align: .center)
            case .stacked:
                for (i, line) in plan.lines.enumerated() {
                    canvas.text(line, x: centerX, y: top + 17 + 15 * Double(i), size: i == 0 ? 13 : 12, color: i == 2 ? .muted : .ink,
                                bold: i == 0, align: .center)
                }
            case .twoLines:
                let titleWidth = canvas.textWidth(kind, size: 13, bold: true)
                let detailWidth = detail.isEmpty ? 0 : 8 + canvas.textWidth(detail, size: 12)
                let start = centerX - (titleWidth + detailWidth) / 2
                canvas.text(kind, x: start, y: top + 17, size: 13, bold: true)
                if !detail.isEmpty { canvas.text(detail, x: start + titleWidth + 8, y: top + 17, size: 12, color: .ink) }
                canvas.text(plan.lines[2], x: centerX, y: top + 33, size: 12, color: .muted, align: .center)
            }
        case .block:
            frame(blockTitle(plan), left: left, top: top, width: w, height: h, canvas)
            drawColumns(plan.columns, left: centerX - Self.extent(plan.columns).width / 2, top: top + Self.pad + Self.blockTitle, canvas)
        case let .branches(name, _, _, _):
            frame(name, left: left, top: top, width: w, height: h, canvas)
            let sizes = plan.branches.map { Self.columnSize($0, arrow: Self.branchArrow) }
            let total = sizes.map(\.width).reduce(0, +) + Double(max(sizes.count - 1, 0)) * Self.branchGap
            var x = centerX - total / 2
            let splitY = top + Self.pad + Self.blockTitle - 4, branchTop = splitY + 4 + Self.branchArrow
            let branchBottom = branchTop + (sizes.map(\.height).max() ?? 0)
            let mergeTop = branchBottom + 2 * Self.branchArrow
            for (branch, size) in zip(plan.branches, sizes) {
                let cx = x + size.width / 2
                canvas.line([(centerX, splitY), (cx, splitY + 5)], color: .muted, width: 1.2)
                drawArrow(x: cx, from: splitY + 5, to: branchTop, canvas)
                var y = branchTop
                for (j, part) in branch.enumerated() {
                    if j > 0 { drawArrow(x: cx, from: y, to: y + Self.branchArrow, canvas); y += Self.branchArrow }
                    y = draw(part, centerX: cx, top: y, canvas)
                }
                canvas.line([(cx, y), (cx, branchBottom + 8), (centerX, mergeTop - 5)], color: .muted, width: 1.2)
                x += size.width + Self.branchGap
            }
            canvas.arrowHead(x: centerX, y: mergeTop, size: 6, color: .muted)
            _ = draw(plan.merge[0], centerX: centerX, top: mergeTop, canvas)
        }
        return top + h
    }

    /// A block's frame: a light fill (so a click anywhere in it lands on it), its edge, its name.
    func frame(_ name: String, left: Double, top: Double, width: Double, height: Double, _ canvas: Canvas) {
        canvas.fillRoundedRect(x: left, y: top, width: width, height: height, radius: 8, color: Self.blockFill)
        canvas.strokeRect(x: left, y: top, width: width, height: height, color: Self.blockEdge, lineWidth: 1, cornerRadius: 8)
        canvas.text(name, x: left + Self.pad, y: top + 16, size: 12, color: .muted, bold: true)
    }
}
