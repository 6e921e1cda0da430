import Foundation

/// A file or folder that could not be written, and why.
public struct OutputError: Error, CustomStringConvertible {
    public var path: String
    public var problem: String
    public var description: String {
        "cannot write \(path): \(problem). Choose another output folder with --output DIR, or free some space."
    }
}

public enum OutputFiles {
    /// Creates `directory` if needed and checks that a file can be written in it, so a lesson
    /// fails before training rather than after.
    public static func prepare(_ directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw OutputError(path: directory.path, problem: reason(error))
        }
        let probe = directory.appendingPathComponent(".write-test-\(getpid())")
        guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
            throw OutputError(path: directory.path, problem: String(cString: strerror(errno)))
        }
        try? FileManager.default.removeItem(at: probe)
    }

    /// Writes `data` to a temporary file beside `url`, then renames it into place: a reader
    /// (or an image viewer left open on it) sees the old file or the new one, never half of one.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
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

    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        return nsError.localizedDescription
    }
}
