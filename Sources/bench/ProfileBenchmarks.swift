import Foundation
import NN
import Tensors

/// Where a network's training step spends its time, operation by operation, in the order they
/// run: each forward operation, then each backward step, then the optimizer's step. Asked for
/// by name only (`bench "profile AlexNet"`), not in a full run. Each figure is the time from the
/// end of the operation before, so it holds the operation and the work around it; medians of
/// five steps after two.
///
/// Compare with `scripts/pytorch_bench.py --profile AlexNet` (PyTorch's profiler, same net and
/// batch), to see which layers are behind.
var profileBenchmarks: [Benchmark] {
    networkCases.map { t in
        Benchmark(name: "profile \(t.name)") {
            let step = t.training().step
            let profile = StepProfile()
            var steps: [[(label: String, seconds: Double)]] = []
            for run in 0..<7 {
                profile.start()
                OperationTrace.scope.withValue(profile, step)
                profile.lap("optimizer step, and the rest")
                if run >= 2 { steps.append(profile.events) }
            }
            let median = { (values: [Double]) in values.sorted()[values.count / 2] }
            let total = median(steps.map { $0.reduce(0) { $0 + $1.seconds } })
            var rows = [Row(name: "profile \(t.name) training step, batch \(t.batch)", unit: "ms", value: total * 1000)]
            for (index, event) in steps[0].enumerated() {
                let seconds = median(steps.map { $0[index].seconds })
                rows.append(Row(name: "profile \(t.name) \(event.label)", unit: "ms", value: seconds * 1000,
                                note: String(format: "%5.1f%%", 100 * seconds / total)))
            }
            return rows
        }
    }
}

/// Times the operations of a step as they happen: each operation's forward and backward is told
/// to the observer just after it ran (see `OperationObserver`).
final class StepProfile: OperationObserver {
    private let clock = ContinuousClock()
    private var last: ContinuousClock.Instant
    private(set) var events: [(label: String, seconds: Double)] = []

    init() { last = clock.now }

    func start() {
        events = []
        last = clock.now
    }

    func lap(_ label: String) {
        let now = clock.now
        events.append((label, (now - last).seconds))
        last = now
    }

    func operation(_ name: String, inputs: [Tensor], output: Tensor) { lap("forward  " + Self.label(name, output)) }
    func gradientComputed(_ name: String, output: Tensor) { lap("backward " + Self.label(name, output)) }

    /// `conv2d 128×96×54×54`: the function's base name and the shape it made.
    static func label(_ name: String, _ output: Tensor) -> String {
        String(name.prefix { $0 != "(" }) + " " + output.shape.dims.map(String.init).joined(separator: "×")
    }
}
