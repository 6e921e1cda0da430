/// An n-dimensional array of `Float`s that remembers how it was computed, so gradients can flow
/// back through it.
///
///     let x = Tensor.randn([1, 1, 28, 28])
///     let w = Tensor.randn([6, 1, 5, 5], requiresGrad: true)
///     let y = try conv2d(x, w, padding: 2)      // [1, 6, 28, 28]
///     y.sum().backward()                        // w.grad now holds d(sum y)/dw
///
/// Tensors are reference types like PyTorch's: operations make new tensors, and only the
/// optimizer updates parameters in place.
/// Not `Sendable`: its gradient and its place in the graph change as it is used. The kernels
/// share its memory across threads only inside `Parallel.run`, which says why that is safe.
public final class Tensor {
    public let shape: Shape
    public let storage: Storage
    /// Whether gradients are wanted for this tensor: true for parameters, and for every result
    /// computed from one while gradients are being recorded.
    public var requiresGrad: Bool
    /// The gradient of the last `backward()` with respect to this tensor, same shape.
    public internal(set) var grad: Tensor?
    /// The operation that produced this tensor, kept until `backward()` has used it.
    var node: Node?

    public init(shape: Shape, storage: Storage, requiresGrad: Bool = false) {
        precondition(storage.count == shape.count, "storage of \(storage.count) floats for shape \(shape)")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// A tensor whose contents the caller fills.
    public convenience init(uninitialized shape: Shape) {
        self.init(shape: shape, storage: Storage(uninitializedCount: shape.count))
    }

    public convenience init(zeros shape: Shape, requiresGrad: Bool = false) {
        self.init(shape: shape, storage: Storage(zeros: shape.count), requiresGrad: requiresGrad)
    }

    public convenience init(repeating value: Float, shape: Shape) {
        self.init(uninitialized: shape)
        data.update(repeating: value, count: shape.count)
    }

    public convenience init(_ values: [Float], shape: Shape, requiresGrad: Bool = false) {
        precondition(values.count == shape.count, "\(values.count) values for shape \(shape)")
        self.init(uninitialized: shape)
        self.requiresGrad = requiresGrad
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    /// The elements, row-major.
    public var data: UnsafeMutablePointer<Float> {
        precondition(!storage.isShapeOnly, "the elements of a shape-only tensor \(shape) were asked for")
        return storage.pointer
    }
    public var count: Int { shape.count }
    public var scalars: [Float] { Array(storage.buffer) }

    /// The value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item of a tensor of shape \(shape)")
        return data[0]
    }

    public subscript(indices: Int...) -> Float {
        get { data[offset(indices)] }
        set { data[offset(indices)] = newValue }
    }

    private func offset(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.rank, "\(indices.count) indices for shape \(shape)")
        var offset = 0
        for (i, n) in zip(indices, shape.dims) {
            precondition(i >= 0 && i < n, "index \(indices) out of range for shape \(shape)")
            offset = offset * n + i
        }
        return offset
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String(format: "%.4f", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", ..." : "")])"
    }
}

import Foundation
