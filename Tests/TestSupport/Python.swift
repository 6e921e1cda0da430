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

    /// Runs `python3 arguments...` from the package's folder; its status and standard output.
    public static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: package)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
