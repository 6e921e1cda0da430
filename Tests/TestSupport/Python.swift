import Foundation

/// python3 with PyTorch, for the tests of the bridge to PyTorch (scripts/train_pytorch.py,
/// scripts/pytorch_checkpoint.py).
public enum PyTorchAvailability {
    /// The package's folder (scripts/ is in it).
    public static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Why torch, safetensors and numpy cannot be used here, or nil if they can. Said on the
    /// console once, so that a skipped test never passes for a checked one unnoticed; give it to
    /// `.enabled(if:)` as the comment.
    public static let missing: String? = {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import torch, safetensors, numpy"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        let imports = (try? probe.run()).map { probe.waitUntilExit(); return probe.terminationStatus == 0 } ?? false
        guard !imports else { return nil }
        let reason = "skipped: torch is not installed (pip install torch safetensors numpy)"
        FileHandle.standardError.write(Data("PyTorch bridge tests: \(reason)\n".utf8))
        return reason
    }()

    /// The environment for PyTorch in the tests: one thread, so that a core is left to the tests
    /// that run beside them (servers timed in seconds); and Python's fault handler, so that a
    /// process that dies of a signal (a C++ abort in gloo, say) prints the Python line it was on.
    public static var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(["OMP_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1"]) { $1 }
    }

    /// Runs `python3 arguments...` from the package's folder; its status and standard output.
    public static func python(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let folder = TemporaryFolder()
        let status = try await runToEnd(["python3"] + arguments, environment: environment, directory: package,
                                        output: folder.path + "/out", errors: folder.path + "/errors")
        let printed = (try? String(contentsOfFile: folder.path + "/out", encoding: .utf8)) ?? ""
        return (status, status == 0 ? printed : printed + ((try? String(contentsOfFile: folder.path + "/errors", encoding: .utf8)) ?? ""))
    }
}

/// Runs `command` (found on the PATH) to its end, its standard output (and error, if `errors` is
/// nil) to the file `output`; its exit status, or 128 + the signal that ended it. Awaits the end
/// without holding a thread of the test pool, which the tests of servers need, while the
/// process (PyTorch, a lesson) takes its minute.
public func runToEnd(_ command: [String], environment: [String: String]? = nil, directory: String? = nil,
                     output: String, errors: String? = nil) async throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = command
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.standardInput = FileHandle.nullDevice
    precondition(FileManager.default.createFile(atPath: output, contents: nil), "cannot write \(output)")
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
    defer { try? out.close() }
    process.standardOutput = out
    if let errors {
        precondition(FileManager.default.createFile(atPath: errors, contents: nil), "cannot write \(errors)")
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
    } else {
        process.standardError = out
    }
    return try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { ended in
            continuation.resume(returning: ended.terminationReason == .uncaughtSignal ? 128 + ended.terminationStatus : ended.terminationStatus)
        }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
}

/// Lets the tests that run PyTorch take turns, across test targets (one process runs them all), so
/// that no more than one of them loads the machine at a time; waiting holds no thread.
public actor OneAtATime {
    public static let pyTorch = OneAtATime()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy { await withCheckedContinuation { waiting.append($0) } } else { busy = true }
        defer { if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() } }
        return try await body()
    }
}

