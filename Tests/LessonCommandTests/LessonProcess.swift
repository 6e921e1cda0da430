import Foundation
import TestSupport

/// The `lesson` command as a user runs it: the binary that `swift test` built beside the tests,
/// started through bash (for redirections, pipes and signals), on a miniature data set.
final class LessonProcess: @unchecked Sendable {  // used by one test at a time
    /// `lesson`, found beside the test bundle (or in the package's debug build folder).
    static let binary: String = {
        var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path]
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates += ["debug", "release"].map { package.appendingPathComponent(".build/\($0)").path }
        let found = candidates.map { $0 + "/lesson" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        precondition(found != nil, "the lesson binary is not built (looked in \(candidates)); run `swift build` first")
        return found!
    }()

    /// A miniature Fashion-MNIST, shared by every test (written once).
    static let data: TemporaryFolder = {
        let folder = TemporaryFolder()
        folder.writeFashionMNIST(train: 256, test: 64)
        return folder
    }()

    let process = Process()
    let log: String

    /// Starts `bash -c script`; `$LESSON` and `$DATA` name the binary and the data set. With
    /// `exec` in front of the command, the process is the lesson itself (for signals).
    init(_ script: String, log: String) throws {
        self.log = log
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        var environment = ProcessInfo.processInfo.environment
        environment["LESSON"] = Self.binary
        environment["DATA"] = Self.data.path
        environment["NO_COLOR"] = nil
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits up to `seconds` for `text` to appear in the log, then does `next` at once, on the
    /// thread that saw it (a signal must reach the run while it is where the text says, however
    /// long the test's own task then waits for a thread); whether the text came.
    func waitFor(_ text: String, seconds: Double = 120, then next: @escaping @Sendable () -> Void = {}) async -> Bool {
        (try? await offTheTestPool {
            let seen = self.waitForBlocking(text, seconds: seconds)
            if seen { next() }
            return seen
        }) ?? false
    }

    func waitForBlocking(_ text: String, seconds: Double = 120) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let written = try? String(contentsOfFile: log, encoding: .utf8), written.contains(text) { return true }
            if !process.isRunning { return (try? String(contentsOfFile: log, encoding: .utf8))?.contains(text) == true }
            usleep(20_000)
        }
        return false
    }

    /// Waits for the end (killing the process after `seconds`); the exit status, or 128 + the
    /// signal that ended it.
    @discardableResult
    func finish(seconds: Double = 180) async -> Int32 {
        (try? await offTheTestPool { self.finishBlocking(seconds: seconds) }) ?? -1
    }

    func finishBlocking(seconds: Double = 180) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate(); process.waitUntilExit(); return -1 }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Runs `script` to the end; its status and everything it printed. Waits on a thread of its
    /// own (see `offTheTestPool`).
    static func run(_ script: String, in folder: TemporaryFolder, seconds: Double = 180) async throws -> (status: Int32, output: String) {
        let process = try LessonProcess(script + " > \(folder.path)/log 2>&1", log: folder.path + "/log")
        let status = await process.finish(seconds: seconds)
        return (status, process.output)
    }

    /// `run`, holding the calling thread (one of `offTheTestPool`'s).
    static func runBlocking(_ script: String, in folder: TemporaryFolder, seconds: Double = 180) throws -> (status: Int32, output: String) {
        let process = try LessonProcess(script + " > \(folder.path)/log 2>&1", log: folder.path + "/log")
        let status = process.finishBlocking(seconds: seconds)
        return (status, process.output)
    }
}

extension TemporaryFolder {
    /// Files in `sub` (hidden ones too), by name.
    func files(in sub: String) -> [String: Data] {
        let folder = path + "/" + sub
        var out: [String: Data] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            out[name] = FileManager.default.contents(atPath: folder + "/" + name)
        }
        return out
    }

    func metrics(_ lesson: String) -> [String: Any]? {
        FileManager.default.contents(atPath: path + "/\(lesson)/metrics.json")
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }
}
