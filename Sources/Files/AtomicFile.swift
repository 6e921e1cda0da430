import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writing a file so that a reader (or an image viewer left open on it) sees the old file or the
/// new one, never half of one, and so that nothing can be made to write elsewhere:
///
/// 1. the bytes go to a temporary file beside the target, created exclusively (`O_EXCL`,
///    `O_NOFOLLOW`) under an unpredictable name, so a symlink planted in the folder is never
///    written through;
/// 2. the file is flushed to the disk (`fsync`), then renamed over the target, and the folder
///    flushed too, so that after a power loss the target is the old file or the new one.
///
/// Temporary files in flight are known to `TemporaryFiles`, which removes them when the process
/// is told to quit at once; a run killed outright leaves them behind for the next run to remove
/// (`TemporaryFiles.removeStale(in:)`).
public enum AtomicFile {
    /// Writes `data` to `url` atomically and durably.
    public static func write(_ data: Data, to url: URL) throws {
        try StagedFile(data, beside: url).install()
    }
}

/// Bytes written to a temporary file beside their target, flushed to the disk, not yet in place.
public struct StagedFile {
    public let target: URL
    let temporary: String

    /// Writes `data` to a new temporary file in `target`'s folder.
    public init(_ data: Data, beside target: URL) throws {
        self.target = target
        let folder = target.deletingLastPathComponent().path
        var attempt = 0
        while true {
            let name = ".\(target.lastPathComponent)\(TemporaryFiles.marker)\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
            let path = (folder as NSString).appendingPathComponent(name)
            TemporaryFiles.register(path)
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd < 0 {
                let code = errno
                TemporaryFiles.unregister(path)
                attempt += 1
                if code == EEXIST && attempt < 8 { continue }  // a name taken: draw another
                throw FileError(path: target.path, errno: code, doing: "be written")
            }
            temporary = path
            defer { close(fd) }
            if let code = data.withUnsafeBytes({ writeAll($0, to: fd) }) ?? (fsync(fd) == 0 ? nil : errno) {
                unlink(path)
                TemporaryFiles.unregister(path)
                throw FileError(path: target.path, errno: code, doing: "be written")
            }
            return
        }
    }

    /// Renames the temporary file over the target and flushes the folder.
    public func install() throws {
        guard rename(temporary, target.path) == 0 else {
            let code = errno
            discard()
            throw FileError(path: target.path, errno: code, doing: "be written")
        }
        TemporaryFiles.unregister(temporary)
        let folder = open(target.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 { fsync(folder); close(folder) }
    }

    /// Removes the temporary file.
    public func discard() {
        unlink(temporary)
        TemporaryFiles.unregister(temporary)
    }
}

/// Writes all of `bytes` to `fd`, through short writes and interruptions; the errno of the first
/// failure, or nil.
public func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) -> Int32? {
    var done = 0
    while done < bytes.count {
        let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 { if errno == EINTR { continue }; return errno }
        done += n
    }
    return nil
}

/// The temporary files this process is writing, so that quitting at once leaves none behind.
public enum TemporaryFiles {
    /// Part of every temporary file's name: `.metrics.json.tmp-k3j9x0a1`.
    public static let marker = ".tmp-"
    private static let paths = Mutex<Set<String>>([])

    static func register(_ path: String) { _ = paths.withLock { $0.insert(path) } }
    static func unregister(_ path: String) { _ = paths.withLock { $0.remove(path) } }

    /// Removes every temporary file in flight, or only those in `folder`; for a process about to
    /// exit. (Tests name their folder: the other tests of the process are writing theirs.)
    public static func removeAll(in folder: String? = nil) {
        let folder = folder.map { ($0 as NSString).standardizingPath }
        for path in paths.withLock({ $0 }) where folder == nil || (path as NSString).deletingLastPathComponent == folder {
            unlink(path)
        }
    }

    /// Removes the temporary files that a killed process left in `folder` (only call while holding
    /// the folder's lock, so none of them can be another live process's). Symlinks are removed as
    /// links, never followed.
    public static func removeStale(in folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(".") && name.contains(marker) {
            unlink((folder as NSString).appendingPathComponent(name))
        }
    }
}
