import Foundation
import NN
import Tensors

/// How far `TrainingMemory`'s estimate is from the truth: each network trains two steps in a
/// process of its own (`bench --peak-memory NAME BATCH`), which reports its peak resident memory.
var memoryBenchmarks: [Benchmark] {
    networkCases.map { t in
        Benchmark(name: "memory \(t.name)") {
            let batches = t.input <= 28 ? [256, 1024] : [32, 128]
            return batches.compactMap { batch in
                let child = Process()
                child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
                child.arguments = ["--peak-memory", t.name, String(batch)]
                let pipe = Pipe()
                child.standardOutput = pipe
                guard (try? child.run()) != nil else { return nil }
                let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                child.waitUntilExit()
                let numbers = output.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                guard numbers.count == 2 else { return nil }
                let (peak, estimate) = (numbers[0], numbers[1])
                return Row(name: "memory \(t.name) training, batch \(batch)", unit: "MB peak", value: peak / 1_048_576,
                           note: String(format: "estimate %.0f MB (%.2f× the peak)", estimate / 1_048_576, estimate / peak))
            }
        }
    }
}

/// In a process of its own: two training steps of network `name` at `batch`; prints the peak
/// resident bytes and the estimate.
func measurePeakMemory(name: String, batch: Int) throws {
    guard let t = networkCases.first(where: { $0.name == name }) else { throw ValidationErrorText("no network \(name)") }
    let net = t.make()
    xavierUniform(net)
    let estimate = try TrainingMemory(net, image: [1, t.input, t.input], batch: batch).bytes
    let x = Tensor.uniform([batch, 1, t.input, t.input], 0, 1)
    let labels = (0..<batch).map { Int32($0 % 10) }
    let optimizer = SGD(net.parameters, learningRate: 0.01)
    for _ in 0..<2 { try Trainer.step(net, optimizer: optimizer, images: x, labels: labels) }
    print(peakResidentBytes(), estimate)
}

/// This process's peak resident memory: Linux's VmHWM, which starts afresh at `exec`. (The
/// rusage maximum does not: it keeps the high-water mark of the parent that forked the process,
/// so a child of a bench that had run the big networks reported the parent's gigabytes.)
func peakResidentBytes() -> Int {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
        return kilobytes * 1024
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}

struct ValidationErrorText: Error, CustomStringConvertible {
    var description: String
    init(_ text: String) { description = text }
}
