import Tensors

/// A fully connected layer, as PyTorch's `nn.Linear`: y = x·Wᵀ + b.
///
/// Input (N, inFeatures) → output (N, outFeatures). Weight (out, in) and bias (out) start
/// uniform in ±1/√in, as PyTorch's.
///
///     Linear(400, 120)     // [256, 400] -> [256, 120]
public final class Linear: Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let inFeatures: Int, outFeatures: Int

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        precondition(inFeatures >= 1 && outFeatures >= 1, "Linear(\(inFeatures), \(outFeatures))")
        (self.inFeatures, self.outFeatures) = (inFeatures, outFeatures)
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = .uniform([outFeatures, inFeatures], -bound, bound, requiresGrad: true)
        self.bias = bias ? .uniform([outFeatures], -bound, bound, requiresGrad: true) : nil
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.shape.rank == 2, x.shape[1] == inFeatures else {
            throw ShapeError("expects input [batch, \(inFeatures)], got \(x.shape)"
                + (x.shape.rank == 2 ? " (\(x.shape[1]) features)" : ""))
        }
        return try linear(x, weight: weight, bias: bias)
    }

    public var description: String {
        "Linear(in_features=\(inFeatures), out_features=\(outFeatures)" + (bias == nil ? ", bias=False" : "") + ")"
    }

    public var hyperparameters: String { "\(inFeatures)→\(outFeatures)" }
}
