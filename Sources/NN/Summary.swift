import Foundation
import Tensors

/// One layer of a summary: what it is, what it gives, what it costs.
public struct LayerSummary: Codable, Equatable, Sendable {
    /// The layer's type, as the book's walk-through prints it: `Conv2d`.
    public var name: String
    /// The layer with its settings: `Conv2d(1, 6, kernel_size=5, padding=2)`.
    public var description: String
    public var outputShape: [Int]
    public var params: Int
    /// Multiply-adds for the summary's input (convolutions and matrix products).
    public var macs: Int
    /// The sub-layers of a block, in order, when it has any.
    public var children: [LayerSummary]?

    enum CodingKeys: String, CodingKey {
        case name, description, outputShape = "output_shape", params, macs, children
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

    /// A table: layer, output shape, parameters, multiply-adds, with totals.
    public var table: String {
        var rows: [[String]] = [["#", "Layer", "Output shape", "Params", "Mult-adds"]]
        for (i, layer) in layers.enumerated() {
            rows.append([String(i), layer.description, Shape(layer.outputShape).description,
                         layer.params.grouped, layer.macs.grouped])
        }
        rows.append(["", "Total", "", params.grouped, macs.grouped])
        let widths = (0..<5).map { c in rows.map { $0[c].count }.max()! }
        func line(_ row: [String]) -> String {
            row.enumerated().map { c, cell in
                c >= 3 ? String(repeating: " ", count: widths[c] - cell.count) + cell
                    : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 8)
        return ([line(rows[0]), rule] + rows.dropFirst().dropLast().map(line) + [rule, line(rows.last!)])
            .joined(separator: "\n") + "\nInput \(inputShape); multiply-adds are for this input."
    }
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
    let children = layer.namedChildren.compactMap { child in
        calls.contains { $0.layer === child.layer } ? summary(of: child.layer, in: calls) : nil
    }
    return LayerSummary(
        name: layer.typeName, description: layer.description, outputShape: call?.output.shape.dims ?? [],
        params: layer.parameterCount, macs: call?.multiplyAdds ?? 0, children: children.isEmpty ? nil : children)
}
