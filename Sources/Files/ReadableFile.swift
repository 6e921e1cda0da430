import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reading a file that someone named on the command line, trusting nothing about it: it must
/// exist, be readable and be a regular file (not a folder, a named pipe that would block, or a
/// device that never ends), and every failure is a `FileError` in words.
///
///     let bytes = try ReadableFile.contents(of: "t10k-labels-idx1-ubyte")
///     let mapped = try ReadableFile.mapped("alexnet.safetensors")   // pages read on demand
public enum ReadableFile {
    /// The whole file, read into memory. With `followingLinks: false`, a symbolic link is refused
    /// (for serving files from a folder: a planted link must not reach outside it).
    public static func contents(of path: String, followingLinks: Bool = true) throws -> Data {
        let (fd, size) = try open(path, followingLinks: followingLinks)
        defer { close(fd) }
        var data = Data(count: size)
        var done = 0
        let failure: Int32? = data.withUnsafeMutableBytes { buffer in
            while done < size {
                let n = pread(fd, buffer.baseAddress! + done, size - done, off_t(done))
                if n < 0 { if errno == EINTR { continue }; return errno }
                if n == 0 { break }  // the file shrank while we read it
                done += n
            }
            return nil
        }
        if let failure { throw FileError(path: path, errno: failure, doing: "be read") }
        if done < size { data.count = done }
        return data
    }

    /// The file mapped into memory: nothing is read until it is used, so checking a header costs
    /// one page, whatever the size of the file.
    public static func mapped(_ path: String) throws -> Data {
        let (fd, size) = try open(path)
        defer { close(fd) }
        guard size > 0 else { return Data() }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw FileError(path: path, errno: errno, doing: "be mapped into memory")
        }
        return Data(bytesNoCopy: address, count: size, deallocator: .custom { pointer, count in munmap(pointer, count) })
    }

    /// Opens `path` for reading and checks that it is a regular file; returns the descriptor and
    /// the size. O_NONBLOCK keeps a named pipe from blocking the open until a writer comes.
    static func open(_ path: String, followingLinks: Bool = true) throws -> (Int32, Int) {
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followingLinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP && !followingLinks { throw FileError(path: path, problem: "is a symbolic link, not a file") }
            throw FileError(path: path, problem: code == ENOENT ? "does not exist" : "cannot be opened: \(String(cString: strerror(code)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw FileError(path: path, errno: code, doing: "be examined")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw FileError(path: path, problem: "is \(kind(info.st_mode)), not a file")
        }
        return (fd, Int(info.st_size))
    }

    /// What a mode says the thing at a path is, in words: "a file", "a folder", ...
    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a file"
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a named pipe (FIFO)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "something unusual"
        }
    }
}
