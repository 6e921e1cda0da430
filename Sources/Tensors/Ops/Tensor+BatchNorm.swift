/// The running statistics a batch-normalization layer keeps for evaluation, updated in training
/// as PyTorch does: new = (1 − momentum)·old + momentum·batch, with the batch's unbiased variance.
public struct RunningStatistics {
    public let mean: Tensor
    public let variance: Tensor
    public let momentum: Float
    public init(mean: Tensor, variance: Tensor, momentum: Float) {
        (self.mean, self.variance, self.momentum) = (mean, variance, momentum)
    }
}

/// Batch normalization of x (N, C) or (N, C, H, W) per channel C: in training with the batch's
/// mean and variance (and the running statistics updated), in evaluation with the running ones;
/// then scaled by gamma and shifted by beta (both (C)).
///
/// `thenReLU` gives relu(batchNorm(x)), the same numbers and gradients as the two ops, in one
/// pass over memory each way and without keeping the normalized tensor for the ReLU's backward.
public func batchNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, running: RunningStatistics, training: Bool,
                      epsilon: Float = 1e-5, thenReLU: Bool = false) throws -> Tensor {
    guard x.shape.rank == 2 || x.shape.rank == 4 else {
        throw ShapeError("batch_norm expects [batch, channels] or [batch, channels, height, width], got \(x.shape)")
    }
    let (n, c) = (x.shape[0], x.shape[1])
    let s = x.shape.rank == 4 ? x.shape[2] * x.shape[3] : 1
    guard gamma.shape == [c], beta.shape == [c], running.mean.shape == [c], running.variance.shape == [c] else {
        throw ShapeError("batch_norm over \(c) channels (input \(x.shape)) got parameters of shape \(gamma.shape)")
    }
    if training && n * s <= 1 {
        throw ShapeError("batch_norm in training needs more than one value per channel, got input \(x.shape)")
    }
    if let shapeOnly = Tensor.shapeOnlyResult(x.shape, of: x) { return shapeOnly }
    let y = Tensor(uninitialized: x.shape)
    let mean = Tensor(uninitialized: [c]), inverseStd = Tensor(uninitialized: [c])
    if training {
        let variance = Tensor(uninitialized: [c])
        Kernels.batchNormTrainingForward(x.data, n: n, c: c, s: s, gamma: gamma.data, beta: beta.data, epsilon: epsilon,
                                         y: y.data, mean: mean.data, variance: variance.data, inverseStd: inverseStd.data,
                                         thenReLU: thenReLU)
        let m = running.momentum, unbiased = Float(n * s) / Float(n * s - 1)
        for ch in 0..<c {
            running.mean.data[ch] = (1 - m) * running.mean.data[ch] + m * mean.data[ch]
            running.variance.data[ch] = (1 - m) * running.variance.data[ch] + m * variance.data[ch] * unbiased
        }
    } else {
        let scale = Tensor(uninitialized: [c]), shift = Tensor(uninitialized: [c])
        for ch in 0..<c {
            mean.data[ch] = running.mean.data[ch]
            inverseStd.data[ch] = 1 / (running.variance.data[ch] + epsilon).squareRoot()
            (scale.data[ch], shift.data[ch]) = Kernels.affine(gamma: gamma.data[ch], beta: beta.data[ch], mean: mean.data[ch],
                                                              inverseStd: inverseStd.data[ch])
        }
        Kernels.channelAffine(x.data, n: n, c: c, s: s, scale: scale.data, shift: shift.data, y: y.data, thenReLU: thenReLU)
    }

    return y.recorded(from: [x, gamma, beta], operation: operationName(thenReLU: thenReLU)) { y in
        // The training backward of images masks the ReLU's gradient as it goes; the other cases
        // take it masked here, from y, as the ReLU's own backward would.
        let foldsReLU = thenReLU && training && s > 1
        var dy = y.grad!
        if thenReLU && !foldsReLU {
            let passed = Tensor(uninitialized: x.shape)
            Kernels.reluBackward(y.data, dy.data, passed.data, count: x.count)
            dy = passed
        }
        let dgamma = Tensor(uninitialized: [c]), dbeta = Tensor(uninitialized: [c])
        let dx = x.requiresGrad ? Tensor(uninitialized: x.shape) : nil
        if training {
            Kernels.batchNormTrainingBackward(dy.data, x.data, n: n, c: c, s: s, gamma: gamma.data, mean: mean.data,
                                              inverseStd: inverseStd.data, dx: dx?.data, dgamma: dgamma.data, dbeta: dbeta.data,
                                              reluBeta: foldsReLU ? beta.data : nil)
        } else {
            Kernels.channelGradientSums(dy.data, x.data, n: n, c: c, s: s, mean: mean.data, inverseStd: inverseStd.data,
                                        dgamma: dgamma.data, dbeta: dbeta.data)
            if let dx {
                let scale = Tensor(uninitialized: [c])
                for ch in 0..<c { scale.data[ch] = gamma.data[ch] * inverseStd.data[ch] }
                Kernels.channelAffine(dy.data, n: n, c: c, s: s, scale: scale.data, shift: nil, y: dx.data)
            }
        }
        if let dx { x.accumulateGrad(dx) }
        if gamma.requiresGrad { gamma.accumulateGrad(dgamma) }
        if beta.requiresGrad { beta.accumulateGrad(dbeta) }
    }
}
