/// max(x, 0), elementwise.
public func relu(_ x: Tensor) -> Tensor {
    if let shapeOnly = Tensor.shapeOnlyResult(x.shape, of: x) { return shapeOnly }
    let y = Tensor(uninitialized: x.shape)
    Kernels.reluForward(x.data, y.data, count: x.count)
    return y.recorded(from: [x]) { y in
        let dx = Tensor(uninitialized: x.shape)
        Kernels.reluBackward(y.data, y.grad!.data, dx.data, count: x.count)
        x.accumulateGrad(dx)
    }
}

/// 1 / (1 + e^−x), elementwise.
public func sigmoid(_ x: Tensor) -> Tensor {
    if let shapeOnly = Tensor.shapeOnlyResult(x.shape, of: x) { return shapeOnly }
    let y = Tensor(uninitialized: x.shape)
    Kernels.sigmoidForward(x.data, y.data, count: x.count)
    return y.recorded(from: [x]) { y in
        let dx = Tensor(uninitialized: x.shape)
        Kernels.sigmoidBackward(y.data, y.grad!.data, dx.data, count: x.count)
        x.accumulateGrad(dx)
    }
}

/// In training, zeroes each element with probability `p` and scales the rest by 1/(1 − p), so
/// the expected value is unchanged; otherwise returns x.
public func dropout(_ x: Tensor, p: Float, training: Bool,
                    using generator: RandomGenerator = Random.generator) throws -> Tensor {
    precondition(p >= 0 && p < 1, "dropout probability \(p) must be in [0, 1)")
    guard training && p > 0 else { return x }
    if let shapeOnly = Tensor.shapeOnlyResult(x.shape, of: x) {
        _ = Tensor(shapeOnly: x.shape)  // the mask, kept for the backward pass
        return shapeOnly
    }
    let mask = Tensor(uninitialized: x.shape)
    generator.fillUniform(mask.data, count: x.count, 0, 1)
    let keep = 1 / (1 - p)
    for i in 0..<x.count { mask.data[i] = mask.data[i] < p ? 0 : keep }
    return try x * mask
}

/// Elementwise product of two tensors of the same shape.
public func * (a: Tensor, b: Tensor) throws -> Tensor {
    guard a.shape == b.shape else { throw ShapeError("cannot multiply tensors of shapes \(a.shape) and \(b.shape) elementwise") }
    if let shapeOnly = Tensor.shapeOnlyResult(a.shape, of: a, b) { return shapeOnly }
    let y = Tensor(uninitialized: a.shape)
    for i in 0..<a.count { y.data[i] = a.data[i] * b.data[i] }
    return y.recorded(from: [a, b]) { y in
        let dy = y.grad!
        if a.requiresGrad {
            let da = Tensor(uninitialized: a.shape)
            for i in 0..<a.count { da.data[i] = dy.data[i] * b.data[i] }
            a.accumulateGrad(da)
        }
        if b.requiresGrad {
            let db = Tensor(uninitialized: b.shape)
            for i in 0..<b.count { db.data[i] = dy.data[i] * a.data[i] }
            b.accumulateGrad(db)
        }
    }
}
