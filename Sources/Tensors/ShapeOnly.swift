import Synchronization

/// Shape-only tensors: a shape and no elements, like PyTorch's "meta" device. Every operation
/// checks its inputs' shapes as usual and returns a shape-only result without computing
/// anything, so a whole network can be checked against an input size, or its memory for a
/// batch counted, in microseconds and without allocating:
///
///     let y = try net(Tensor(shapeOnly: [256, 1, 224, 224]))    // throws if 224 does not fit
///     let (_, bytes) = try ShapeOnly.countBytes { try net(Tensor(shapeOnly: [256, 1, 224, 224])) }
///     bytes.all, bytes.largest
///
/// Asking a shape-only tensor for its elements (`data`) stops the program: an operation that
/// forgot to check is a bug, never a silent wrong answer.
extension Tensor {
    public convenience init(shapeOnly shape: Shape) {
        self.init(shape: shape, storage: Storage(shapeOnlyCount: shape.count))
        ShapeOnly.tally?.add(shape.count)
    }

    /// Whether this tensor has a shape only, no elements.
    public var isShapeOnly: Bool { storage.isShapeOnly }

    /// The result of an operation on `inputs` with output `shape`, if any input is shape-only:
    /// then the operation returns this instead of computing.
    static func shapeOnlyResult(_ shape: Shape, of inputs: Tensor...) -> Tensor? {
        inputs.contains(where: \.isShapeOnly) ? Tensor(shapeOnly: shape) : nil
    }
}

public enum ShapeOnly {
    /// Counts the elements of the shape-only tensors made inside `countBytes`, and the largest.
    final class Tally: Sendable {
        private let count = Atomic<Int>(0)
        private let largestCount = Atomic<Int>(0)
        var elements: Int { count.load(ordering: .relaxed) }
        var largest: Int { largestCount.load(ordering: .relaxed) }
        func add(_ n: Int) {
            count.add(n, ordering: .relaxed)
            largestCount.max(n, ordering: .relaxed)
        }
    }
    @TaskLocal static var tally: Tally?

    public struct Bytes: Sendable, Equatable {
        /// All the shape-only tensors': for a forward pass, the outputs of all its operations,
        /// which training keeps for the backward pass.
        public var all: Int
        /// The largest one's.
        public var largest: Int
    }

    /// Runs `body` and returns its result with the bytes of the shape-only tensors it made.
    public static func countBytes<T>(_ body: () throws -> T) rethrows -> (T, Bytes) {
        let counter = Tally()
        let result = try $tally.withValue(counter, operation: body)
        let float = MemoryLayout<Float>.stride
        return (result, Bytes(all: counter.elements * float, largest: counter.largest * float))
    }
}
