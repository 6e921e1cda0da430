import Synchronization

/// Counts the multiply-adds of the convolutions and matrix products run inside
/// `countMultiplyAdds { }`, so a summary can report each layer's cost, whatever the layer is
/// made of. (An atomic count: kernels on other threads could add to it as well.)
public final class OpCounter: Sendable {
    private let count = Atomic<Int>(0)
    public var multiplyAdds: Int { count.load(ordering: .relaxed) }
    @TaskLocal public static var current: OpCounter?

    static func add(_ n: Int) { current?.count.add(n, ordering: .relaxed) }

    /// Runs `body` and returns its result with the multiply-adds it performed.
    public static func countMultiplyAdds<T>(_ body: () throws -> T) rethrows -> (T, Int) {
        let counter = OpCounter()
        let result = try $current.withValue(counter, operation: body)
        return (result, counter.multiplyAdds)
    }
}
