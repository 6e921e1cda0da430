import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One writer per folder: a lock file (`.lock`) held with `flock` for as long as the process
/// lives. The kernel releases it when the process ends, however it ends, so a killed run never
/// leaves the folder locked; the file holds the holder's process id, for the message to others.
public final class FolderLock: Sendable {
    public let folder: String
    private let fd: Mutex<Int32>

    /// Another process holds the folder.
    public struct Held: Error, CustomStringConvertible {
        public var folder: String
        public var holder: Int32?
        public var description: String {
            "\(folder) is being written by another run" + (holder.map { " (process \($0))" } ?? "")
                + "; wait for it to finish, or stop it"
        }
    }

    /// Creates `folder` if needed and takes its lock, or throws `Held` naming the process that has it.
    public init(_ folder: String) throws {
        self.folder = folder
        try Folder.create(folder)
        let path = (folder as NSString).appendingPathComponent(".lock")
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw FileError(path: path, errno: code, doing: code == ELOOP ? "be opened: it is a symbolic link, not the lock file" : "be opened as the folder's lock")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            guard code == EWOULDBLOCK else { throw FileError(path: folder, errno: code, doing: "be locked") }
            let holder = n > 0 ? Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) : nil
            throw Held(folder: folder, holder: holder)
        }
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) != 0 || pwrite(fd, pid, pid.count, 0) != pid.count {
            let code = errno
            close(fd)
            throw FileError(path: folder, errno: code, doing: "be written")
        }
        self.fd = Mutex(fd)
    }

    /// Lets the next run in; also done when the lock is released from memory.
    public func release() {
        fd.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    deinit { release() }
}

public enum Folder {
    /// Creates `root` (which may be a symlink the user chose) and then each folder of `path`
    /// below it, refusing any of those that is a symbolic link: a link planted there would send
    /// every file of a run somewhere else.
    public static func createReal(_ path: String, below root: String) throws {
        try create(root)
        // Textually, not with standardizingPath, which would follow the very links to refuse.
        let rootPath = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        guard path.hasPrefix(rootPath + "/") else { return try create(path) }
        var current = rootPath
        for component in path.dropFirst(rootPath.count + 1).split(separator: "/") where component != "." {
            current = (current as NSString).appendingPathComponent(String(component))
            if mkdir(current, 0o755) == 0 { continue }
            let code = errno
            var info = stat()
            guard code == EEXIST, lstat(current, &info) == 0 else { throw FileError(path: current, errno: code, doing: "be created") }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: continue
            case S_IFLNK:
                throw FileError(path: current, problem: "is a symbolic link; a run writes only into real folders it made (remove the link)")
            default:
                throw FileError(path: current, problem: "is \(ReadableFile.kind(info.st_mode)), not a folder")
            }
        }
    }

    /// Creates `path` and its parents if needed; a clear error if something else is in the way.
    public static func create(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw FileError(path: path, problem: "is \(ReadableFile.kind(info.st_mode)), not a folder")
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try create(parent) }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw FileError(path: path, errno: errno, doing: "be created")
        }
    }
}
