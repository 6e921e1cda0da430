extension Tensor {
    /// The same elements under another shape (sharing storage, like PyTorch's `view`). One
    /// dimension may be −1: it is inferred.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var dims = newShape
        if let hole = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            guard known > 0, count % known == 0 else {
                throw ShapeError("cannot reshape \(shape) (\(count) elements) to \(Shape(newShape.map { max($0, 0) }))")
            }
            dims[hole] = count / known
        }
        guard dims.allSatisfy({ $0 >= 0 }), dims.reduce(1, *) == count else {
            throw ShapeError("cannot reshape \(shape) (\(count) elements) to \(newShape)")
        }
        let y = Tensor(shape: Shape(dims), storage: storage)
        return y.recorded(from: [self]) { [shape] y in
            self.accumulateGrad(Tensor(shape: shape, storage: y.grad!.storage))
        }
    }

    /// Keeps the first `startDim` dimensions and folds the rest into one: (N, C, H, W) becomes
    /// (N, C·H·W).
    public func flattened(startDim: Int = 1) throws -> Tensor {
        guard startDim >= 0 && startDim < max(shape.rank, 1) else {
            throw ShapeError("cannot flatten \(shape) from dimension \(startDim): it has \(shape.rank)")
        }
        let kept = Array(shape.dims.prefix(startDim))
        return try reshaped(kept + [shape.dims.dropFirst(startDim).reduce(1, *)])
    }
}

/// Joins tensors along `axis` (channels by default); all other dimensions must agree.
public func cat(_ tensors: [Tensor], axis: Int = 1) throws -> Tensor {
    guard let first = tensors.first else { throw ShapeError("cat of no tensors") }
    let rank = first.shape.rank
    guard axis >= 0 && axis < rank else { throw ShapeError("cat along axis \(axis) of \(first.shape)") }
    for t in tensors where t.shape.rank != rank
        || zip(t.shape.dims, first.shape.dims).enumerated().contains(where: { $0.offset != axis && $0.element.0 != $0.element.1 }) {
        throw ShapeError("cat along axis \(axis): shapes \(tensors.map(\.shape)) differ outside that axis")
    }
    let outer = first.shape.dims.prefix(axis).reduce(1, *)
    let inner = first.shape.dims.dropFirst(axis + 1).reduce(1, *)
    let widths = tensors.map { $0.shape[axis] * inner }
    let total = widths.reduce(0, +)
    var shape = first.shape
    shape[axis] = widths.reduce(0, +) / inner
    if tensors.contains(where: \.isShapeOnly) { return Tensor(shapeOnly: shape) }
    let y = Tensor(uninitialized: shape)
    var start = 0
    for (t, width) in zip(tensors, widths) {
        Kernels.copyBlocks(outer, width: width, from: t.data, every: width, to: y.data + start, every: total)
        start += width
    }
    return y.recorded(from: tensors) { y in
        let dy = y.grad!
        var start = 0
        for (t, width) in zip(tensors, widths) {
            if t.requiresGrad {
                let dt = Tensor(uninitialized: t.shape)
                Kernels.copyBlocks(outer, width: width, from: dy.data + start, every: total, to: dt.data, every: width)
                t.accumulateGrad(dt)
            }
            start += width
        }
    }
}

/// Elementwise sum of two tensors of the same shape (a residual connection).
public func + (a: Tensor, b: Tensor) throws -> Tensor {
    guard a.shape == b.shape else { throw ShapeError("cannot add tensors of shapes \(a.shape) and \(b.shape)") }
    if let shapeOnly = Tensor.shapeOnlyResult(a.shape, of: a, b) { return shapeOnly }
    let y = Tensor(uninitialized: a.shape)
    Kernels.add(a.data, b.data, into: y.data, count: a.count)
    return y.recorded(from: [a, b]) { y in
        if a.requiresGrad { a.accumulateGrad(y.grad!) }
        if b.requiresGrad { b.accumulateGrad(y.grad!) }
    }
}
