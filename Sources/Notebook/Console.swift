import Files
import Foundation
import Synchronization

/// The standard output and error of a lesson, written so that nothing that happens to them can
/// stop a run: a closed stream (`>&-`), a full disk (`> /dev/full`), a reader that went away
/// (`| head -1`, quitting `less`), a terminal that was closed. The first failed write marks the
/// stream broken and later writes are dropped; the run goes on and writes its files.
public final class ConsoleStream: Sendable {
    public static let output = ConsoleStream(fd: STDOUT_FILENO)
    public static let error = ConsoleStream(fd: STDERR_FILENO)

    let fd: Int32
    private let broken = Atomic<Bool>(false)

    init(fd: Int32) { self.fd = fd }

    /// Whether a write has failed (later ones are dropped).
    public var isBroken: Bool { broken.load(ordering: .relaxed) }

    public func write(_ text: String) {
        guard !isBroken else { return }
        let failure = Array(text.utf8).withUnsafeBytes { writeAll($0, to: fd) }
        if failure != nil { broken.store(true, ordering: .relaxed) }
    }

    /// Makes the process safe for the above, once, before anything is printed: a write to a pipe
    /// whose reader has gone fails with EPIPE instead of killing the process (SIGPIPE), and a
    /// standard stream that was closed is opened on /dev/null, so that no file the run opens
    /// later can take its number and receive what was meant for the console.
    public static func prepareProcess() {
        signal(SIGPIPE, SIG_IGN)
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let null = open("/dev/null", O_RDWR)
            if null >= 0 && null != fd { dup2(null, fd); close(null) }
        }
    }
}
