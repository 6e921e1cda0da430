import Foundation
import Testing
import TestSupport

/// What the PyTorch bridge needs here: torch and safetensors in python3, and the real Fashion-MNIST.
enum PyTorchBridge {
    static let script = PyTorchAvailability.package + "/scripts/train_pytorch.py"
    static let data = ProcessInfo.processInfo.environment["FASHION_MNIST"].flatMap { $0.isEmpty ? nil : $0 }
        ?? "/usr/share/datasets/fashion-mnist"

    /// Why the tests cannot run here, or nil if they can (said on the console).
    static let missing: String? = {
        if let reason = PyTorchAvailability.missing { return reason }
        guard FileManager.default.fileExists(atPath: data + "/t10k-images-idx3-ubyte.gz") else {
            let reason = "skipped: Fashion-MNIST is not in \(data) (apt-get install dataset-fashion-mnist)"
            FileHandle.standardError.write(Data("PyTorchBridgeTests: \(reason)\n".utf8))
            return reason
        }
        return nil
    }()
}

/// scripts/train_pytorch.py on this machine's CPU with tiny settings, its checkpoint viewed by the
/// lesson: the test accuracy measured here on the loaded weights is the one the script reported.
@Suite(.serialized) struct PyTorchBridgeTests {
    /// Runs `script` with bash to its end (see `runToEnd`); its status and all it printed.
    static func run(_ script: String, in folder: TemporaryFolder) async throws -> (status: Int32, output: String) {
        let log = folder.path + "/log"
        let status = try await OneAtATime.pyTorch.run {
            try await runToEnd(["bash", "-c", script], environment: PyTorchAvailability.environment, output: log)
        }
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// What a failed run printed that says why: its first Python traceback, error line or C++
    /// abort (under torchrun, a rank's, which torchrun's own summary at the end would push out of
    /// a plain tail), then its last lines.
    static func whyItFailed(_ output: String) -> String {
        let tail = String(output.suffix(1500))
        let first = ["Traceback", "Error", "error:", "terminate called", "what():", "Fatal Python"]
            .compactMap { output.range(of: $0)?.lowerBound }.min()
        guard let first, output.distance(from: first, to: output.endIndex) > 1500 else { return tail }
        return String(output[first...].prefix(2500)) + "\n…\n" + tail
    }

    @Test(.enabled(if: PyTorchBridge.missing == nil, Comment(rawValue: PyTorchBridge.missing ?? "")),
          arguments: [
            // LeNet as the book has it (a few hundred images leave the sigmoid net at chance, so
            // BN-LeNet, which learns at once, checks agreement on a net that tells classes apart:
            // two epochs let its running statistics settle); ResNet-18 (batch norm, residual
            // blocks) at 32×32; the same under torchrun, two processes with DistributedDataParallel on gloo.
            ("lenet", "python3", 1, ""),
            ("batchnorm", "python3", 2, "--train-size 1000 --batch-size 32"),
            ("resnet", "python3", 1, "--resize 32 --batch-size 32"),
            ("resnet", "torchrun --standalone --nproc_per_node 2", 1, "--resize 32 --batch-size 32"),
          ])
    func weightsTrainedInPyTorchTestTheSameHere(_ lesson: String, _ launcher: String, _ epochs: Int, _ flags: String) async throws {
        let out = TemporaryFolder()
        let started = Date()
        let trained = try await Self.run("\(launcher) \(PyTorchBridge.script) \(lesson) --epochs \(epochs) --train-size 300 --test-size 200 "
            + "--device cpu --data \(PyTorchBridge.data) --output \(out.path)/pytorch \(flags)", in: out)
        let seconds = Date().timeIntervalSince(started)
        try #require(trained.status == 0, "\(Self.whyItFailed(trained.output))")
        let theirs = try #require(out.metrics("pytorch/\(lesson)"))
        let reported = try #require((theirs["final"] as? [String: Any])?["test_acc"] as? Double)
        #expect(theirs["trained_in"] as? String != nil && (theirs["history"] as? [Any])?.count == epochs)

        let checkpoint = "\(out.path)/pytorch/\(lesson)/\(lesson).safetensors"
        let viewed = try await Self.run("\(LessonProcess.binary) \(lesson) --threads 1 --checkpoint \(checkpoint) --test-size 200 --data \(PyTorchBridge.data) "
            + "--output \(out.path)/here", in: out)
        try #require(viewed.status == 0, "\(Self.whyItFailed(viewed.output))")
        let ours = try #require(out.metrics("here/\(lesson)/checkpoint"))
        let measured = try #require((ours["final"] as? [String: Any])?["test_acc"] as? Double)
        print("\(launcher) train_pytorch.py \(lesson) \(flags): \(String(format: "%.1f", seconds)) s; "
            + "test accuracy \(reported) there, \(measured) here on 200 test images")
        #expect(abs(measured - reported) <= 0.002, "PyTorch reported \(reported), measured here \(measured)")
        #expect((ours["trained_in"] as? String)?.hasPrefix("PyTorch ") == true)
        #expect((ours["history"] as? [Any])?.count == epochs)
        #expect(viewed.output.contains("Trained in PyTorch"))
    }
}
