import ArgumentParser
import Foundation
import Lessons
import NN
import Notebook
import Tensors

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Speed of the kernels and the networks on this machine (run with -c release).",
        discussion: "Cases: gemm, conv, pool, fused (a convolution, ReLU and pool, one op against two), net, memory (filter by any word of their names), and, asked for by name, \"profile <network>\". Figures are medians of repeated runs after a warm-up.")

    @Option(parsing: .unconditional, help: "Threads for the kernels (default: all cores).", transform: { try FlagChecks.threads.parse($0) })
    var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Also write the results to this JSON file.") var json: String?
    @Argument(help: "Run only the cases whose name contains one of these words.") var filter: [String] = []
    @Option(name: .customLong("pass"), help: "Convolutions: time only this pass (forward, input, weight; repeatable).")
    var passes: [PassName] = []
    @Flag(help: "Convolutions: time only the algorithm each pass chooses (quicker, to compare two builds).")
    var chosenOnly = false
    @Option(help: "Convolutions: time a pass's algorithms in turn this many rounds and take each one's median (steadier on a shared machine).")
    var rounds = 1
    @Option(parsing: .upToNextOption, help: .hidden) var peakMemory: [String] = []

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be 1 or more, not \(rounds)") }
    }

    func wanted(_ name: String) -> Bool { filter.isEmpty || filter.contains { name.lowercased().contains($0.lowercased()) } }

    func run() throws {
        if peakMemory.count == 2, let batch = Int(peakMemory[1]) {
            return try Parallel.$threadCount.withValue(threads) { try measurePeakMemory(name: peakMemory[0], batch: batch) }
        }
        var results = Results(threads: threads, cores: ProcessInfo.processInfo.activeProcessorCount)
        print("Convbook bench: \(results.cores) cores, \(threads) thread\(threads == 1 ? "" : "s")")
        #if DEBUG
        print("warning: a debug build; the kernels are optimized, everything around them is not. Use -c release.")
        #endif
        let convolutions = convolutionBenchmarks(passes: passes.isEmpty ? ConvolutionAlgorithm.Pass.allCases : passes.map(\.pass),
                                                 chosenOnly: chosenOnly, rounds: rounds)
        Parallel.$threadCount.withValue(threads) {
            results.peakGFLOPS = measuredPeakGFLOPS(threads: threads)
            print(String(format: "FP32 FMA peak measured: %.0f GFLOP/s (%d thread%@, best of 5 probes)\n",
                         results.peakGFLOPS, threads, threads == 1 ? "" : "s"))
            // Profiles only when asked for by name: they time operations, not kernels or networks.
            let profiles = filter.contains { $0.lowercased().contains("profile") } ? profileBenchmarks : []
            for benchmark in gemmBenchmarks + convolutions + poolingBenchmarks + convolutionPoolBenchmarks + normalizationBenchmarks + networkBenchmarks + memoryBenchmarks + profiles
                where wanted(benchmark.name) {
                let rows = benchmark.run()
                for row in rows where row.algorithm == nil { print(row.line(peak: results.peakGFLOPS)) }
                if rows.contains(where: { $0.algorithm != nil }) { algorithmTable(rows).forEach { print($0) } }
                results.rows += rows
            }
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json))
        }
    }
}

/// A convolution pass as the command line names it.
enum PassName: String, ExpressibleByArgument, CaseIterable {
    case forward, input, weight
    var pass: ConvolutionAlgorithm.Pass {
        switch self {
        case .forward: .forward
        case .input: .inputGradient
        case .weight: .weightGradient
        }
    }
}

struct Results: Codable {
    var threads: Int
    var cores: Int
    var peakGFLOPS = 0.0
    var rows: [Row] = []
}

/// One measured figure.
struct Row: Codable {
    var name: String
    var unit: String
    var value: Double
    var note: String = ""
    /// For a convolution by one algorithm (`ConvolutionAlgorithm`): printed in a table, not a line.
    var algorithm: String? = nil
    var pass: String? = nil
    /// For a rate in GFLOP/s: its share of the peak probed beside each timed run
    /// (`Timing.shareOfPeak`), which a shared machine's drift does not skew.
    var shareOfPeak: Double? = nil

    func line(peak: Double) -> String {
        var text = name.padding(toLength: 58, withPad: " ", startingAt: 0) + String(format: "%10.1f ", value) + unit
        if let shareOfPeak {
            text += String(format: "  (%.0f%% of the peak probed beside it)", 100 * shareOfPeak)
        } else if unit == "GFLOP/s" && peak > 0 {
            text += String(format: "  (%.0f%% of peak)", 100 * value / peak)
        }
        return text + (note.isEmpty ? "" : "  " + note)
    }
}

struct Benchmark {
    var name: String
    var run: () -> [Row]
}
