import Dispatch
import Foundation
import Synchronization

/// Ctrl-C during a lesson: the first press asks training to stop after the current batch, so
/// everything done so far is saved; the second exits at once with status 130.
public final class Interrupt: Sendable {
    public static let shared = Interrupt()
    private let presses = Atomic<Int>(0)
    private let source = Mutex<(any DispatchSourceSignal)?>(nil)

    public var requested: Bool { presses.load(ordering: .relaxed) > 0 }

    /// Starts listening for SIGINT, unless already listening.
    public func installOnce(onFirst: @escaping @Sendable () -> Void) {
        guard source.withLock({ $0 == nil }) else { return }
        signal(SIGINT, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        s.setEventHandler { [self] in
            let count = presses.add(1, ordering: .relaxed).newValue
            if count == 1 { onFirst() } else { exit(130) }
        }
        s.resume()
        source.withLock { $0 = s }
    }
}
