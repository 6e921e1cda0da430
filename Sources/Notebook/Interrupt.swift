import Dispatch
import Files
import Foundation
import Synchronization

/// Ctrl-C, `kill`, `timeout` and a closed terminal during a lesson. The first SIGINT, SIGTERM or
/// SIGHUP asks the run to stop at the next safe point (after the current batch of training or
/// evaluation, before the next layer, picture or cell), so that everything done so far is saved;
/// the run then exits with 128 + the signal's number (130 for Ctrl-C). A second signal quits at
/// once, after removing the temporary files being written and putting back any previous run's
/// files that the run had set aside (`QuitCleanup`).
public final class Interrupt: Sendable {
    public static let shared = Interrupt()
    public static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// The first signal's number, 0 before any.
    private let first = Atomic<Int32>(0)
    private let sources = Mutex<[any DispatchSourceSignal]>([])

    public var requested: Bool { first.load(ordering: .relaxed) != 0 }
    /// The signal that asked the run to stop, if one did.
    public var signal: Int32? { let s = first.load(ordering: .relaxed); return s == 0 ? nil : s }

    /// Starts listening for the signals, unless already listening. `onFirst` is told the first
    /// signal's number (to say what happens next).
    public func install(onFirst: @escaping @Sendable (Int32) -> Void) {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for number in Self.signals {
                Glibc.signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [self] in
                    if first.compareExchange(expected: 0, desired: number, ordering: .relaxed).exchanged {
                        onFirst(number)
                    } else {
                        QuitCleanup.run()
                        _exit(128 + number)
                    }
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Forgets the stop request: after a Ctrl-C that was the normal way to end (closing the class
    /// page once its lesson is over). A second signal still quits at once.
    public func forgive() { first.store(0, ordering: .relaxed) }

    /// For a moment when nothing is being written (between two lessons of `lesson all`, before
    /// the process replaces itself with `execv`): from now on a signal ends the process at once,
    /// saying so, with 128 + its number; the process image that follows takes the signal's
    /// default action (the same end, silent) until it listens again (`install`). Returns false
    /// if a signal had already asked the run to stop; its handler runs on another thread, so it
    /// is given a moment to be seen here.
    public func endAtOnceOnSignal() -> Bool {
        for number in Self.signals {
            Glibc.signal(number) { number in
                let message: StaticString = "\nStopped between two lessons; every lesson before is saved.\n"
                _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
                _exit(128 + number)
            }
        }
        usleep(50_000)
        return !requested
    }

    /// Listens again after `endAtOnceOnSignal` (when `execv` failed).
    public func listenAgain() {
        for number in Self.signals { Glibc.signal(number, SIG_IGN) }
    }

    /// The words for a signal in messages: "Ctrl-C", "SIGTERM".
    public static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: return "Ctrl-C"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP (the terminal closed)"
        default: return "signal \(number)"
        }
    }
}

/// The run was asked to stop (see `Interrupt`); thrown at the next safe point.
public struct Interrupted: Error, CustomStringConvertible {
    public var signal: Int32
    public init(signal: Int32) { self.signal = signal }
    public var description: String { "stopped by \(Interrupt.name(signal))" }
}

/// What to undo when the process quits at once (a second Ctrl-C): each registered action, then
/// the removal of every temporary file in flight.
public enum QuitCleanup {
    private static let actions = Mutex<[Int: @Sendable () -> Void]>([:])
    private static let nextKey = Atomic<Int>(0)

    /// Registers `action`; returns a key for `remove`.
    public static func add(_ action: @escaping @Sendable () -> Void) -> Int {
        let key = nextKey.add(1, ordering: .relaxed).newValue
        actions.withLock { $0[key] = action }
        return key
    }

    public static func remove(_ key: Int) { _ = actions.withLock { $0.removeValue(forKey: key) } }

    public static func run() {
        for action in actions.withLock({ Array($0.values) }) { action() }
        TemporaryFiles.removeAll()
    }
}
