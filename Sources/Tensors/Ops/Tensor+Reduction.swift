extension Tensor {
    /// The sum of all elements, as a one-element tensor.
    public func sum() -> Tensor {
        if let shapeOnly = Tensor.shapeOnlyResult([], of: self) { return shapeOnly }
        let y = Tensor(repeating: Kernels.sum(data, count: count), shape: [])
        return y.recorded(from: [self]) { y in
            self.accumulateGrad(Tensor(repeating: y.grad!.item, shape: self.shape))
        }
    }

    /// The mean of all elements, as a one-element tensor.
    public func mean() -> Tensor {
        if let shapeOnly = Tensor.shapeOnlyResult([], of: self) { return shapeOnly }
        let y = Tensor(repeating: Kernels.sum(data, count: count) / Float(count), shape: [])
        return y.recorded(from: [self]) { y in
            self.accumulateGrad(Tensor(repeating: y.grad!.item / Float(self.count), shape: self.shape))
        }
    }

    /// For each row of a (N, C) tensor, the index of its largest value (the first, on ties).
    public func argmax() throws -> [Int] {
        guard shape.rank == 2 else { throw ShapeError("argmax expects [rows, classes], got \(shape)") }
        let (n, c) = (shape[0], shape[1])
        if isShapeOnly { return Array(repeating: 0, count: n) }
        return (0..<n).map { i in
            var best = 0
            for j in 1..<max(c, 1) where data[i * c + j] > data[i * c + best] { best = j }
            return best
        }
    }
}

/// The mean over the batch of −log softmax(logits)[label]: the loss of a classifier.
/// logits (N, C); labels: N class indices in 0..<C.
public func crossEntropy(_ logits: Tensor, labels: [Int32]) throws -> Tensor {
    guard logits.shape.rank == 2 else {
        throw ShapeError("cross_entropy expects logits [batch, classes], got \(logits.shape)")
    }
    let (n, c) = (logits.shape[0], logits.shape[1])
    guard labels.count == n else {
        throw ShapeError("cross_entropy: \(labels.count) labels for \(n) rows of logits \(logits.shape)")
    }
    if let bad = labels.first(where: { $0 < 0 || Int($0) >= c }) {
        throw ShapeError("cross_entropy: label \(bad) is outside 0..<\(c)")
    }
    if let shapeOnly = Tensor.shapeOnlyResult([], of: logits) {
        _ = Tensor(shapeOnly: logits.shape)  // the probabilities kept for the backward pass
        return shapeOnly
    }
    let probabilities = Tensor(uninitialized: logits.shape)
    let losses = Storage(uninitializedCount: n)
    labels.withUnsafeBufferPointer { l in
        Kernels.softmaxCrossEntropyForward(logits.data, labels: l.baseAddress!, rows: n, classes: c,
                                           losses: losses.pointer, probabilities: probabilities.data)
    }
    let y = Tensor(repeating: Kernels.sum(losses.pointer, count: n) / Float(n), shape: [])
    return y.recorded(from: [logits]) { y in
        let dlogits = Tensor(uninitialized: logits.shape)
        labels.withUnsafeBufferPointer { l in
            Kernels.softmaxCrossEntropyBackward(probabilities: probabilities.data, labels: l.baseAddress!, rows: n,
                                                classes: c, scale: y.grad!.item / Float(n), dlogits: dlogits.data)
        }
        logits.accumulateGrad(dlogits)
    }
}
