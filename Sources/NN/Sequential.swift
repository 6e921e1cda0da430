import Tensors

/// Layers applied one after another, as PyTorch's `nn.Sequential`.
///
///     let net = Sequential {
///         Conv2d(1, 6, kernelSize: 5, padding: 2); Sigmoid()
///         AvgPool2d(kernelSize: 2, stride: 2)
///         Flatten()
///         Linear(1176, 10)
///     }
///
/// or from an array, when a loop builds the layers: `Sequential(blocks)`. Sub-layers are named
/// `0`, `1`, ... as in PyTorch. A stage can carry the name the book gives it, which diagrams,
/// tables and walk-through steps show instead of "Sequential": `Sequential(name: "b1") { ... }`.
public final class Sequential: Layer {
    public let layers: [any Layer]
    /// The book's name for this stage (`b1`, `vgg_block`), if it has one.
    public let name: String?

    public init(_ layers: [any Layer], name: String? = nil) { (self.layers, self.name) = (layers, name) }

    public init(name: String? = nil, @LayerBuilder _ build: () -> [any Layer]) { (self.layers, self.name) = (build(), name) }

    public func forward(_ x: Tensor) throws -> Tensor { try forward(x, leavingOutLastReLU: false) }

    /// The layers in turn; with `leavingOutLastReLU`, without the ReLU this stage ends with (its
    /// last layer's, or a nested stage's last), which the caller's max pool applies instead.
    ///
    /// A layer and the ReLU after it run as one op (`ReLUFusing`), unless a tracer watches the
    /// layers one by one (summaries, diagrams, feature maps). A ReLU right before a max pool goes
    /// with the pool, as max(relu(x)) = relu(max(x)): the convolution before it then writes its
    /// output once, and the ReLU's passes both ways run over the pool's output (a quarter of the
    /// map, for the pools that halve it). So does a ReLU that ends a stage before a max pool,
    /// as NiN's blocks do. A convolution right before such a ReLU runs with the two as one op
    /// (`conv2dReLUMaxPool2d`), which keeps VGG's first layer's feature maps in cache.
    func forward(_ x: Tensor, leavingOutLastReLU: Bool) throws -> Tensor {
        let fusing = LayerTracer.scope.value == nil
        // Whether the ReLU that layer i ends with is left to a max pool: the next layer, or the
        // caller's (`leavingOutLastReLU`).
        func reluLeftToAPool(at i: Int) -> Bool {
            guard i < layers.count, Self.endsWithReLU(layers[i]) else { return false }
            return i + 1 < layers.count ? layers[i + 1] is MaxPool2d : leavingOutLastReLU
        }
        var y = x, i = 0
        while i < layers.count {
            if fusing, let conv = layers[i] as? Conv2d, i + 2 < layers.count, layers[i + 1] is ReLU,
               let pool = layers[i + 2] as? MaxPool2d {
                // The convolution, its ReLU and the pool. The op checks all shapes before any
                // work; if one does not fit, the layers one by one throw it, naming its layer.
                if let fused = try? conv.call(y, { try conv.forward($0, thenReLUAndMaxPool: pool) }) {
                    y = fused
                } else {
                    y = try pool(layers[i + 1](conv(y)))
                }
                i += 2
            } else if fusing, let pool = layers[i] as? MaxPool2d, i > 0, reluLeftToAPool(at: i - 1) {
                y = try pool.call(y) { try pool.forward($0, thenReLU: true) }
            } else if fusing, reluLeftToAPool(at: i) {
                // A ReLU is taken by the pool; a stage runs without its last one.
                if let stage = layers[i] as? Sequential {
                    y = try stage.call(y) { try stage.forward($0, leavingOutLastReLU: true) }
                }
            } else if fusing, let layer = layers[i] as? any ReLUFusing, i + 1 < layers.count, layers[i + 1] is ReLU,
                      !reluLeftToAPool(at: i + 1) {
                y = try layer.call(y) { try layer.forward($0, thenReLU: true) }
                i += 1
            } else {
                y = try layers[i](y)
            }
            i += 1
        }
        return y
    }

    /// Whether `layer`'s output is a ReLU's: a ReLU, or a stage whose last layer's output is.
    static func endsWithReLU(_ layer: any Layer) -> Bool {
        if layer is ReLU { return true }
        guard let stage = layer as? Sequential, let last = stage.layers.last else { return false }
        return endsWithReLU(last)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { [] }

    public var namedChildren: [(name: String, layer: any Layer)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public var displayName: String { name ?? typeName }

    public var description: String { (name.map { "\($0): " } ?? "") + "Sequential(\(layers.count) layers)" }

    public var hyperparameters: String { "\(layers.count) layer\(layers.count == 1 ? "" : "s")" }
}

/// A layer that can apply the ReLU after it within its own op, which `Sequential` asks of it:
/// the same numbers and gradients as the two layers, with one tensor fewer kept for the
/// backward pass and fewer passes over memory. A batch norm folds the ReLU into its own passes
/// both ways (DenseNet has one before every convolution); a convolution applies it in place
/// (VGG and AlexNet keep half as many activations); a max pool applies it to its output and
/// takes its gradient from there.
protocol ReLUFusing: Layer {
    func forward(_ x: Tensor, thenReLU: Bool) throws -> Tensor
}

/// Collects the layers written inside a `Sequential { }` block; `if`, `for` and arrays of layers
/// are allowed.
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    public static func buildExpression(_ layers: [any Layer]) -> [any Layer] { layers }
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    public static func buildEither(first: [any Layer]) -> [any Layer] { first }
    public static func buildEither(second: [any Layer]) -> [any Layer] { second }
}
