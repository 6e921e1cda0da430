import Foundation
import Plot

public enum OutputFiles {
    /// Creates `directory` if needed and checks that a file can be written in it, so a lesson
    /// fails before training rather than after.
    public static func prepare(_ directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw OutputError(path: directory.path, problem: AtomicFile.reason(error))
        }
        let probe = directory.appendingPathComponent(".write-test-\(getpid())")
        guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
            throw OutputError(path: directory.path, problem: String(cString: strerror(errno)))
        }
        try? FileManager.default.removeItem(at: probe)
    }
}
