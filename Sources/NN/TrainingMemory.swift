import Foundation
import Tensors

/// What a training step of a network needs in memory, worked out from a shape-only forward pass
/// (see `Tensor(shapeOnly:)`), so that a batch that cannot fit is refused in milliseconds, before
/// anything is allocated:
///
///     let memory = try TrainingMemory(alexNet(), image: [1, 224, 224], batch: 128)
///     memory.bytes            // about 7 GB
///     memory.largestBatch(fitting: 4 << 30)
public struct TrainingMemory: Sendable {
    /// Bytes of what the forward pass of one example leaves for the backward pass: every
    /// operation's output, and what operations keep (masks, winners' indices, probabilities).
    public var activationBytesPerExample: Int
    /// Bytes of the largest single output of the forward pass of one example.
    public var largestActivationBytesPerExample: Int
    /// Bytes of the parameters and buffers.
    public var parameterBytes: Int
    public var batch: Int

    /// The backward pass holds, beside the activations, their gradients while it goes, then the
    /// parameters' gradients; freed buffers wait in the pool for the next step. `bench memory`
    /// measured the peak at 1.4 to 2.1 times the activations (the most for the concatenating
    /// GoogLeNet and DenseNet) plus about 3 times the parameters; so: activations × 2,
    /// parameters × 3, and 64 MB for the kernels' packed panels and the rest of the process.
    /// Plus the largest activation once more: an op's backward may hold a temporary the size of
    /// its output beside that output's gradient (a fused ReLU's masked gradient), and in a net
    /// whose first layers dominate, as VGG's do, that is the peak.
    public var bytes: Int { bytes(batch: batch) }

    public func bytes(batch: Int) -> Int {
        let (activations, overflow) = bytesPerExample.multipliedReportingOverflow(by: batch)
        guard !overflow, activations < Int.max / 2 else { return .max }
        return activations + fixedBytes
    }

    /// What grows with the batch, per example.
    var bytesPerExample: Int { activationBytesPerExample * 2 + largestActivationBytesPerExample }

    /// What does not grow with the batch: parameters × 3 and 64 MB.
    var fixedBytes: Int { parameterBytes * 3 + (64 << 20) }

    /// The largest batch whose step fits in `available` bytes (0 if not even one example does).
    public func largestBatch(fitting available: Int) -> Int {
        guard available > fixedBytes else { return 0 }
        guard bytesPerExample > 0 else { return .max }
        return (available - fixedBytes) / bytesPerExample
    }

    /// `net` in training mode on `batch` images of `image` (channels, height, width). Throws
    /// the net's shape error if the images do not fit it.
    public init(_ net: any Layer, image: Shape, batch: Int) throws {
        // Two examples (batch norm in training needs more than one value per channel), halved.
        let (_, bytes) = try net.inMode(training: true) {
            try ShapeOnly.countBytes { try net(Tensor(shapeOnly: Shape([2] + image.dims))) }
        }
        activationBytesPerExample = bytes.all / 2
        largestActivationBytesPerExample = bytes.largest / 2
        parameterBytes = net.stateByPath().reduce(0) { $0 + $1.tensor.count * MemoryLayout<Float>.stride }
        self.batch = batch
    }
}

/// Memory this process may still use: the kernel's estimate of what is available without
/// swapping (`MemAvailable`), or less if a cgroup (a container) sets a lower limit.
public func availableMemory() -> Int {
    var available = Int(ProcessInfo.processInfo.physicalMemory)
    if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
       let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
       let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
        available = min(available, kilobytes * 1024)
    }
    func number(_ path: String) -> Int? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
    if let limit = number("/sys/fs/cgroup/memory.max"), let used = number("/sys/fs/cgroup/memory.current") {
        available = min(available, max(limit - used, 0))
    }
    return available
}
