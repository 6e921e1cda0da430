/// Counts the multiply-adds of the convolutions and matrix products run inside
/// `countMultiplyAdds { }`, so a summary can report each layer's cost, whatever the layer is
/// made of.
public final class OpCounter: @unchecked Sendable {
    public private(set) var multiplyAdds = 0
    @TaskLocal public static var current: OpCounter?

    static func add(_ n: Int) { current?.multiplyAdds += n }

    /// Runs `body` and returns its result with the multiply-adds it performed.
    public static func countMultiplyAdds<T>(_ body: () throws -> T) rethrows -> (T, Int) {
        let counter = OpCounter()
        let result = try $current.withValue(counter, operation: body)
        return (result, counter.multiplyAdds)
    }
}
