/// Matrix product of a (M, K) and b (K, N): (M, N).
public func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    guard a.shape.rank == 2, b.shape.rank == 2, a.shape[1] == b.shape[0] else {
        throw ShapeError("matmul of \(a.shape) and \(b.shape): inner sizes must agree")
    }
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
    OpCounter.add(m * n * k)
    if let shapeOnly = Tensor.shapeOnlyResult([m, n], of: a, b) { return shapeOnly }
    let y = Tensor(uninitialized: [m, n])
    Kernels.gemm(m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: n, c: y.data, ldc: n)
    return y.recorded(from: [a, b]) { y in
        let dy = y.grad!
        if a.requiresGrad {  // da = dy · bᵀ
            let da = Tensor(uninitialized: a.shape)
            Kernels.gemm(transB: true, m: m, n: k, k: n, a: dy.data, lda: n, b: b.data, ldb: n, c: da.data, ldc: k)
            a.accumulateGrad(da)
        }
        if b.requiresGrad {  // db = aᵀ · dy
            let db = Tensor(uninitialized: b.shape)
            Kernels.gemm(transA: true, m: k, n: n, k: m, a: a.data, lda: k, b: dy.data, ldb: n, c: db.data, ldc: n)
            b.accumulateGrad(db)
        }
    }
}

/// The affine map of a dense layer: x (N, in) · weightᵀ + bias, with weight (out, in) as PyTorch
/// stores it and bias (out). Output (N, out).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
    guard weight.shape.rank == 2 else { throw ShapeError("linear expects a weight [out, in], got \(weight.shape)") }
    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
    guard x.shape.rank == 2, x.shape[1] == inFeatures else {
        throw ShapeError("linear expects input [batch, \(inFeatures)], got \(x.shape)")
    }
    if let bias, bias.shape != [outFeatures] {
        throw ShapeError("linear expects a bias of shape [\(outFeatures)], got \(bias.shape)")
    }
    let n = x.shape[0]
    OpCounter.add(n * outFeatures * inFeatures)
    if let shapeOnly = Tensor.shapeOnlyResult([n, outFeatures], of: x, weight) { return shapeOnly }
    let y = Tensor(uninitialized: [n, outFeatures])
    if outFeatures >= n {
        // yᵀ = weight · xᵀ, then transposed: the weight, the larger operand, goes in as GEMM's A
        // (packed MC rows at a time from rows read in place) and the batch as B's slivers, which
        // stay in L2. VGG's 6272 → 4096 and 4096 → 4096 at a batch of 128 ran 1.17 times as
        // fast as by x · weightᵀ (`compare_builds --rounds 6`, lowest 1.09). Each output sums the
        // same products in the same order either way, so the bits do not depend on the batch's size.
        let transposed = Storage(uninitializedCount: outFeatures * n)
        if let bias {
            for j in 0..<outFeatures { (transposed.pointer + j * n).update(repeating: bias.data[j], count: n) }
        }
        Kernels.gemm(transB: true, m: outFeatures, n: n, k: inFeatures, a: weight.data, lda: inFeatures,
                     b: x.data, ldb: inFeatures, c: transposed.pointer, ldc: n, accumulate: bias != nil)
        Kernels.transpose(transposed.pointer, rows: outFeatures, columns: n, into: y.data)
        withExtendedLifetime(transposed) {}
    } else {
        if let bias {
            for i in 0..<n { (y.data + i * outFeatures).update(from: bias.data, count: outFeatures) }
        }
        Kernels.gemm(transB: true, m: n, n: outFeatures, k: inFeatures, a: x.data, lda: inFeatures,
                     b: weight.data, ldb: inFeatures, c: y.data, ldc: outFeatures, accumulate: bias != nil)
    }

    return y.recorded(from: [x, weight] + (bias.map { [$0] } ?? [])) { y in
        let dy = y.grad!
        if x.requiresGrad {  // dx (N, in) = dy (N, out) · weight (out, in)
            let dx = Tensor(uninitialized: x.shape)
            Kernels.gemm(m: n, n: inFeatures, k: outFeatures, a: dy.data, lda: outFeatures,
                         b: weight.data, ldb: inFeatures, c: dx.data, ldc: inFeatures)
            x.accumulateGrad(dx)
        }
        if weight.requiresGrad {  // dweight (out, in) = dyᵀ (out, N) · x (N, in)
            let dweight = Tensor(uninitialized: weight.shape)
            Kernels.gemm(transA: true, m: outFeatures, n: inFeatures, k: n, a: dy.data, lda: outFeatures,
                         b: x.data, ldb: inFeatures, c: dweight.data, ldc: inFeatures)
            weight.accumulateGrad(dweight)
        }
        if let bias, bias.requiresGrad {  // dbias = column sums of dy
            let dbias = Tensor(zeros: bias.shape)
            for i in 0..<n { for j in 0..<outFeatures { dbias.data[j] += dy.data[i * outFeatures + j] } }
            bias.accumulateGrad(dbias)
        }
    }
}
