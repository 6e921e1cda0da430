import Foundation

/// Runs `body` on a thread of its own and awaits it: for a test's long synchronous work (a
/// lesson run, a process it waits for), so that it holds no thread of Swift's shared pool. The
/// pool has a thread a core (two here), and the class server's connections are served by tasks
/// of that pool: two tests blocking it for a minute would keep the server's tests from an answer.
public func offTheTestPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A value handed to `offTheTestPool`'s thread by a test that uses it only there until the
/// thread is done (a lesson run, which is not `Sendable`).
public struct HandedOver<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
