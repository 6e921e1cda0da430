import Foundation

/// A file that could not be written, and why.
public struct OutputError: Error, CustomStringConvertible {
    public var path: String
    public var problem: String
    public init(path: String, problem: String) { (self.path, self.problem) = (path, problem) }
    public var description: String {
        let reason = problem.hasSuffix(".") ? String(problem.dropLast()) : problem
        return "cannot write \(path): \(reason). Choose another output folder with --output DIR, or free some space."
    }
}

public enum AtomicFile {
    /// Writes `data` to a temporary file beside `url`, then renames it into place: a reader (or
    /// an image viewer left open on it) sees the old file or the new one, never half of one.
    public static func write(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw OutputError(path: url.path, problem: reason(error))
        }
        guard rename(temporary.path, url.path) == 0 else {
            let problem = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw OutputError(path: url.path, problem: problem)
        }
    }

    /// The system's words for a failed write ("Permission denied", "No space left on device").
    public static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        return nsError.localizedDescription
    }
}
