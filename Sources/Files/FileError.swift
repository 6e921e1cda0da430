#if canImport(Glibc)
import Glibc
#endif

/// A file or folder that could not be read or written, and why, in words: the path first, then
/// what is wrong ("is a named pipe (FIFO), not a file", "No space left on device").
public struct FileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var problem: String

    public init(path: String, problem: String) { (self.path, self.problem) = (path, problem) }

    /// The system's words for `code` (an errno value), e.g. "Permission denied".
    public init(path: String, errno code: Int32, doing action: String? = nil) {
        let words = String(cString: strerror(code))
        self.init(path: path, problem: action.map { "cannot \($0): \(words)" } ?? words)
    }

    public var description: String { "\(path): \(problem)" }
}
