import Tensors

/// Batch normalization (Ioffe and Szegedy, 2015): each channel standardized with its mean and
/// variance over the batch, then scaled and shifted by a learned γ (`weight`, starting at 1)
/// and β (`bias`, starting at 0). Shape unchanged.
///
/// In training it uses the batch's statistics and keeps running averages of them (momentum 0.1,
/// as PyTorch); in evaluation it uses the running averages, so one example's output does not
/// depend on the rest of its batch. `BatchNorm2d` normalizes (N, C, H, W) over N, H and W;
/// `BatchNorm1d` normalizes (N, C) over N.
public class BatchNorm: ModeDependent, ReLUFusing {
    public let weight: Tensor
    public let bias: Tensor
    public let runningMean: Tensor
    public let runningVar: Tensor
    /// Training batches seen, as PyTorch's `num_batches_tracked`.
    public internal(set) var numBatchesTracked = 0
    public let numFeatures: Int
    public let momentum: Float
    public let epsilon: Float
    public var isTraining = true
    let inputRank: Int

    init(_ numFeatures: Int, momentum: Float, epsilon: Float, inputRank: Int) {
        precondition(numFeatures >= 1 && momentum >= 0 && momentum <= 1 && epsilon > 0)
        (self.numFeatures, self.momentum, self.epsilon, self.inputRank) = (numFeatures, momentum, epsilon, inputRank)
        weight = Tensor(repeating: 1, shape: [numFeatures])
        weight.requiresGrad = true
        bias = Tensor(zeros: [numFeatures], requiresGrad: true)
        runningMean = Tensor(zeros: [numFeatures])
        runningVar = Tensor(repeating: 1, shape: [numFeatures])
    }

    public func forward(_ x: Tensor) throws -> Tensor { try forward(x, thenReLU: false) }

    func forward(_ x: Tensor, thenReLU: Bool) throws -> Tensor {
        guard x.shape.rank == inputRank, x.shape[1] == numFeatures else {
            throw ShapeError("expects input [batch, \(numFeatures)\(inputRank == 4 ? ", height, width" : "")], got \(x.shape)")
        }
        if isTraining && !x.isShapeOnly { numBatchesTracked += 1 }
        return try batchNorm(x, gamma: weight, beta: bias,
                             running: RunningStatistics(mean: runningMean, variance: runningVar, momentum: momentum),
                             training: isTraining, epsilon: epsilon, thenReLU: thenReLU)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }
    public var namedBuffers: [(name: String, tensor: Tensor)] { [("running_mean", runningMean), ("running_var", runningVar)] }
    public var namedChildren: [(name: String, layer: any Layer)] { [] }
    public var description: String { "\(typeName)(\(numFeatures), eps=\(epsilon), momentum=\(momentum))" }
    public var hyperparameters: String { "\(numFeatures) channels" }
}

/// Batch normalization of (N, C, H, W) per channel, over N, H and W.
public final class BatchNorm2d: BatchNorm {
    public init(_ numFeatures: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        super.init(numFeatures, momentum: momentum, epsilon: epsilon, inputRank: 4)
    }
}

/// Batch normalization of (N, C) per feature, over N.
public final class BatchNorm1d: BatchNorm {
    public init(_ numFeatures: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        super.init(numFeatures, momentum: momentum, epsilon: epsilon, inputRank: 2)
    }
}
