import Foundation
import Localization
import Tensors

/// One layer of a summary: what it is, what it gives, what it costs.
public struct LayerSummary: Codable, Equatable, Sendable {
    /// What the walk-through calls the layer: its type (`Conv2d`) or its stage's name (`b1`).
    public var name: String
    /// The layer's type: `Conv2d`, `Sequential`, `Inception`.
    public var type: String
    /// The layer with its settings: `Conv2d(1, 6, kernel_size=5, padding=2)`.
    public var description: String
    /// The settings in a few characters: `1→6, 5×5, pad 2`.
    public var settings: String
    public var outputShape: [Int]
    public var params: Int
    /// Multiply-adds for the summary's input (convolutions and matrix products).
    public var macs: Int
    /// The sub-layers of a block, in order, when it has any.
    public var children: [LayerSummary]?

    enum CodingKeys: String, CodingKey {
        case name, type, description, settings, outputShape = "output_shape", params, macs, children
    }

    public init(name: String, type: String, description: String, settings: String, outputShape: [Int],
                params: Int, macs: Int, children: [LayerSummary]?) {
        (self.name, self.type, self.description, self.settings, self.outputShape, self.params, self.macs, self.children) =
            (name, type, description, settings, outputShape, params, macs, children)
    }

    /// Reads summaries written before layers had a type and settings of their own (a comparison
    /// reads the metrics of earlier runs).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? name
        description = try c.decode(String.self, forKey: .description)
        settings = try c.decodeIfPresent(String.self, forKey: .settings) ?? ""
        outputShape = try c.decode([Int].self, forKey: .outputShape)
        params = try c.decode(Int.self, forKey: .params)
        macs = try c.decode(Int.self, forKey: .macs)
        children = try c.decodeIfPresent([LayerSummary].self, forKey: .children)
    }
}

/// A network's walk-through on one input: every top-level layer's output shape, parameters
/// and multiply-adds.
///
///     let s = try summarize(lenet, input: [1, 1, 28, 28])
///     print(s.walkThrough)     // Conv2d output shape: [1, 6, 28, 28] ...
///     print(s.table)
public struct NetworkSummary: Sendable {
    public var inputShape: Shape
    public var layers: [LayerSummary]
    public var params: Int { layers.reduce(0) { $0 + $1.params } }
    public var macs: Int { layers.reduce(0) { $0 + $1.macs } }

    /// One line per top-level layer, as the book prints it: `Conv2d output shape: [1, 6, 28, 28]`.
    public var walkThrough: String {
        let width = layers.map(\.name.count).max() ?? 0
        return layers.map { "\($0.name.padding(toLength: width, withPad: " ", startingAt: 0)) output shape: \(Shape($0.outputShape))" }
            .joined(separator: "\n")
    }

    /// A table: layer, settings, output shape, parameters, multiply-adds, with totals. At `depth`
    /// 1 one row per top-level layer; deeper, the layers inside each block follow it, indented and
    /// numbered within it (`2.1`), as torchinfo's `depth=`.
    public func table(depth: Int = 1) -> String {
        var rows: [[String]] = [["#", "Layer", "Settings", "Output shape", "Params", "Mult-adds"]]
        func add(_ layer: LayerSummary, path: String, level: Int) {
            rows.append([path, String(repeating: "  ", count: level - 1) + layer.name, layer.settings,
                         Shape(layer.outputShape).description, layer.params.grouped, layer.macs.grouped])
            guard level < depth else { return }
            for (i, child) in (layer.children ?? []).enumerated() { add(child, path: "\(path).\(i)", level: level + 1) }
        }
        for (i, layer) in layers.enumerated() { add(layer, path: String(i), level: 1) }
        rows.append(["", "Total", "", "", params.grouped, macs.grouped])
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max()! }
        func line(_ row: [String]) -> String {
            row.enumerated().map { c, cell in
                c >= 4 ? String(repeating: " ", count: widths[c] - cell.count) + cell
                    : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        return ([line(rows[0]), rule] + rows.dropFirst().dropLast().map(line) + [rule, line(rows.last!)])
            .joined(separator: "\n") + "\n" + localized("Input \(inputShape); multiply-adds are for this input.", zh: "输入 \(inputShape)；乘加运算按这个输入计算。")
            + (depth > 1 ? localized(" Indented rows are inside the block above them; totals count each layer once.",
                                     zh: "缩进的行属于它上面的块；合计中每层只算一次。") : "")
    }

    /// The table at depth 1.
    public var table: String { table(depth: 1) }
}

/// Passes a random input of `inputShape` through `net` (evaluation mode, no gradients) and
/// records each top-level layer: a `Sequential`'s layers, or the net itself otherwise.
public func summarize(_ net: any Layer, input inputShape: Shape,
                      using generator: RandomGenerator = RandomGenerator(seed: 0)) throws -> NetworkSummary {
    let x = Tensor.uniform(inputShape, 0, 1, using: generator)
    let topLevel: [any Layer] = (net as? Sequential)?.layers ?? [net]
    var summaries: [LayerSummary] = []
    try net.evaluating { try noGrad {
        var current = x
        for layer in topLevel {
            let ((output, calls), _) = try OpCounter.countMultiplyAdds {
                try LayerTracer.trace { try layer(current) }
            }
            summaries.append(summary(of: layer, in: calls))
            current = output
        }
    } }
    return NetworkSummary(inputShape: inputShape, layers: summaries)
}

/// The summary of `layer` from the calls traced while it ran; its children from theirs.
private func summary(of layer: any Layer, in calls: [LayerTracer.Call]) -> LayerSummary {
    let call = calls.first { $0.layer === layer }
    return LayerSummary(
        name: layer.displayName, type: layer.typeName, description: layer.description, settings: layer.hyperparameters,
        outputShape: call?.output.shape.dims ?? [], params: layer.parameterCount, macs: call?.multiplyAdds ?? 0,
        children: calledChildren(of: layer, in: calls).nilIfEmpty)
}

/// The sub-layers of `layer` that ran, in the order they ran (a `Residual` stores `bn1` after
/// `conv2` but calls it before); a container that was not itself called (a block's `Sequential`
/// whose layers its `forward` calls one by one) stands for its children.
private func calledChildren(of layer: any Layer, in calls: [LayerTracer.Call]) -> [LayerSummary] {
    func ran(_ layer: any Layer) -> [(order: Int, summary: LayerSummary)] {
        if let order = calls.firstIndex(where: { $0.layer === layer }) { return [(order, summary(of: layer, in: calls))] }
        return layer.namedChildren.flatMap { ran($0.layer) }
    }
    return layer.namedChildren.flatMap { ran($0.layer) }.sorted { $0.order < $1.order }.map(\.summary)
}

private extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}
