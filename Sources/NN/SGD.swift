import Tensors

/// Plain stochastic gradient descent: w ← w − lr·∂loss/∂w for every parameter, then the
/// gradients are cleared for the next batch.
public final class SGD {
    public let parameters: [Tensor]
    public var learningRate: Float

    public init(_ parameters: [Tensor], learningRate: Float) {
        self.parameters = parameters
        self.learningRate = learningRate
    }

    public func step() {
        for p in parameters {
            guard let g = p.grad else { continue }
            Kernels.sgdStep(p.data, g.data, lr: learningRate, count: p.count)
        }
    }

    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }
}
