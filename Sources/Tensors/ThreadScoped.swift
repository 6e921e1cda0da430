import Foundation

/// A value bound to the current thread for the length of a call: what `@TaskLocal` does, for
/// values that are not `Sendable` (a tracer that keeps the tensors it saw). The calls it watches
/// (layers, operations) run on the thread that bound it; the kernels' worker threads never make
/// them.
///
///     static let current = ThreadScoped<LayerTracer>("LayerTracer")
///     try current.withValue(tracer) { try net(x) }     // inside: current.value === tracer
public struct ThreadScoped<Value: AnyObject>: Sendable {
    let key: String

    public init(_ key: String) { self.key = "convbook." + key }

    /// The value bound on this thread, if any.
    public var value: Value? { Thread.current.threadDictionary[key] as? Value }

    /// Runs `body` with `value` bound on this thread (nil unbinds), then restores the binding
    /// that was there.
    public func withValue<R>(_ value: Value?, _ body: () throws -> R) rethrows -> R {
        let bindings = Thread.current.threadDictionary
        let previous = bindings[key]
        bindings[key] = value
        defer { bindings[key] = previous }
        return try body()
    }
}
