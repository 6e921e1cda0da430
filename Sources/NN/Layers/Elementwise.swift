import Tensors

/// max(x, 0) elementwise; shape unchanged.
public final class ReLU: ParameterFree {
    public init() {}
    public func forward(_ x: Tensor) throws -> Tensor { relu(x) }
    public var description: String { "ReLU()" }
}

/// 1 / (1 + e^−x) elementwise; shape unchanged.
public final class Sigmoid: ParameterFree {
    public init() {}
    public func forward(_ x: Tensor) throws -> Tensor { sigmoid(x) }
    public var description: String { "Sigmoid()" }
}

/// In training, zeroes each element with probability `p` and scales the survivors by 1/(1 − p);
/// in evaluation, passes x through. Shape unchanged.
public final class Dropout: ParameterFree, ModeDependent {
    public let p: Float
    public var isTraining = true

    public init(_ p: Float = 0.5) {
        precondition(p >= 0 && p < 1, "Dropout(p: \(p)): p must be in [0, 1)")
        self.p = p
    }

    public func forward(_ x: Tensor) throws -> Tensor { try dropout(x, p: p, training: isTraining) }
    public var description: String { "Dropout(p=\(p))" }
    public var hyperparameters: String { "p = \(p)" }
}

/// Folds every dimension after the first into one: (N, C, H, W) → (N, C·H·W).
public final class Flatten: ParameterFree {
    public init() {}
    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.shape.rank >= 2 else { throw ShapeError("expects a batch of at least 2 dimensions, got \(x.shape)") }
        return try x.flattened(startDim: 1)
    }
    public var description: String { "Flatten()" }
}
