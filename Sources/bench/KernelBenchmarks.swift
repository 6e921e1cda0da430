import Foundation
import Tensors

func randomBuffer(_ count: Int, seed: UInt64 = 1) -> [Float] {
    let g = RandomGenerator(seed: seed)
    return (0..<count).map { _ in g.uniform(-1, 1) }
}

var gemmBenchmarks: [Benchmark] {
    squareGEMMBenchmarks + [fullyConnectedBenchmark]
}

/// VGG's first fully connected layer (6272 → 4096 at a batch of 128) as `linear` runs its three
/// products: forward as weight · xᵀ, the input gradient dy · weight, the weight gradient dyᵀ · x.
/// The weight (103 MB) and its gradient stream from memory; the batch is short.
var fullyConnectedBenchmark: Benchmark {
    Benchmark(name: "gemm VGG fc1") {
        let (batch, inFeatures, outFeatures) = (128, 6272, 4096)
        let x = randomBuffer(batch * inFeatures), weight = randomBuffer(outFeatures * inFeatures, seed: 2)
        let dy = randomBuffer(batch * outFeatures, seed: 3)
        // Outputs in tensors' own (64-byte aligned) storage, as `linear` writes them.
        let y = Storage(zeros: outFeatures * batch), dx = Storage(zeros: batch * inFeatures)
        let dweight = Storage(zeros: outFeatures * inFeatures)
        let flops = 2.0 * Double(batch * inFeatures * outFeatures)
        let passes: [(String, () -> Void)] = [
            ("forward", { Kernels.gemm(transB: true, m: outFeatures, n: batch, k: inFeatures, a: weight, lda: inFeatures,
                                       b: x, ldb: inFeatures, c: y.pointer, ldc: batch) }),
            ("input", { Kernels.gemm(m: batch, n: inFeatures, k: outFeatures, a: dy, lda: outFeatures,
                                     b: weight, ldb: inFeatures, c: dx.pointer, ldc: inFeatures) }),
            ("weight", { Kernels.gemm(transA: true, m: outFeatures, n: inFeatures, k: batch, a: dy, lda: outFeatures,
                                      b: x, ldb: inFeatures, c: dweight.pointer, ldc: inFeatures) }),
        ]
        defer { withExtendedLifetime((y, dx, dweight)) {} }
        return passes.map { pass, body in
            let timing = timed(besidePeak: true, body)
            return Row(name: "gemm VGG fc1 128×6272→4096 \(pass)", unit: "GFLOP/s", value: flops / timing.seconds / 1e9,
                       shareOfPeak: timing.shareOfPeak(flops: flops))
        }
    }
}

var squareGEMMBenchmarks: [Benchmark] {
    [256, 512, 1024, 2048].map { n in
        Benchmark(name: "gemm \(n)") {
            let a = randomBuffer(n * n), b = randomBuffer(n * n, seed: 2)
            var c = [Float](repeating: 0, count: n * n)
            let flops = 2.0 * Double(n * n * n)
            var rows: [Row] = []
            for (label, transA, transB) in [("", false, false), (" Aᵀ", true, false), (" Bᵀ", false, true)] {
                let timing = timed(besidePeak: true) {
                    Kernels.gemm(transA: transA, transB: transB, m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: &c, ldc: n)
                }
                rows.append(Row(name: "gemm \(n)×\(n)×\(n)\(label)", unit: "GFLOP/s", value: flops / timing.seconds / 1e9,
                                shareOfPeak: timing.shareOfPeak(flops: flops)))
            }
            if n == 256 {
                let ad = a.map(Double.init), bd = b.map(Double.init)
                let seconds = medianSeconds(warmups: 0, runs: 1, minimumSeconds: 0) { _ = Reference.gemm(m: n, n: n, k: n, a: ad, b: bd) }
                rows.append(Row(name: "gemm \(n)×\(n)×\(n) reference loop (Double)", unit: "GFLOP/s", value: flops / seconds / 1e9))
            }
            return rows
        }
    }
}

/// Convolution layers of the chapter's networks (batch, in → out, size, kernel, padding); the
/// same cases as scripts/pytorch_bench.py, which scripts/compare_speed runs beside this.
struct ConvCase {
    var name: String
    var n: Int, c: Int, o: Int, size: Int, k: Int, stride = 1, padding: Int
}

let convolutionCases = [
    ConvCase(name: "LeNet conv1 256×1→6 28² 5×5", n: 256, c: 1, o: 6, size: 28, k: 5, padding: 2),
    ConvCase(name: "LeNet conv2 256×6→16 14² 5×5", n: 256, c: 6, o: 16, size: 14, k: 5, padding: 0),
    ConvCase(name: "AlexNet conv2 128×96→256 26² 5×5", n: 128, c: 96, o: 256, size: 26, k: 5, padding: 2),
    ConvCase(name: "AlexNet conv4 128×384→384 12² 3×3", n: 128, c: 384, o: 384, size: 12, k: 3, padding: 1),
    ConvCase(name: "VGG conv1 128×1→16 224² 3×3", n: 128, c: 1, o: 16, size: 224, k: 3, padding: 1),
    ConvCase(name: "VGG 128×16→32 112² 3×3", n: 128, c: 16, o: 32, size: 112, k: 3, padding: 1),
    ConvCase(name: "VGG 128×32→64 56² 3×3", n: 128, c: 32, o: 64, size: 56, k: 3, padding: 1),
    ConvCase(name: "VGG 128×64→128 28² 3×3", n: 128, c: 64, o: 128, size: 28, k: 3, padding: 1),
    ConvCase(name: "Inception 128×96→128 12² 3×3", n: 128, c: 96, o: 128, size: 12, k: 3, padding: 1),
    ConvCase(name: "DenseNet 128×160→32 12² 3×3", n: 128, c: 160, o: 32, size: 12, k: 3, padding: 1),
    ConvCase(name: "NiN 128×96→96 54² 1×1", n: 128, c: 96, o: 96, size: 54, k: 1, padding: 0),
    ConvCase(name: "NiN 128×384→10 5² 3×3", n: 128, c: 384, o: 10, size: 5, k: 3, padding: 1),
    ConvCase(name: "GoogLeNet 128×480→192 6² 1×1", n: 128, c: 480, o: 192, size: 6, k: 1, padding: 0),
    ConvCase(name: "ResNet 128×256→256 6² 3×3", n: 128, c: 256, o: 256, size: 6, k: 3, padding: 1),
    ConvCase(name: "ResNet 128×64→128 24² 3×3 stride 2", n: 128, c: 64, o: 128, size: 24, k: 3, stride: 2, padding: 1),
    ConvCase(name: "ResNet 128×64→128 24² 1×1 stride 2", n: 128, c: 64, o: 128, size: 24, k: 1, stride: 2, padding: 0),
]

/// Every case by every algorithm that has the pass (`ConvolutionAlgorithm`), side by side; the
/// forward and backward rows are the algorithms the kernels choose, which training uses. The
/// reference loops (in Float) run on one image, once: they are hundreds of times slower.
/// `passes` limits the passes timed; `chosenOnly` times only the algorithm each pass chooses
/// (a quicker run, for comparing two builds). With `rounds` above 1, a pass's algorithms are
/// timed in turn, round after round, and each gets the median of its rounds: on a shared
/// machine whose speed drifts over minutes, algorithms timed one after the other can be
/// compared at different speeds of the machine, while in turns they share its slow and fast
/// spells.
func convolutionBenchmarks(passes: [ConvolutionAlgorithm.Pass] = ConvolutionAlgorithm.Pass.allCases,
                           chosenOnly: Bool = false, rounds: Int = 1) -> [Benchmark] {
    convolutionCases.map { t in
        Benchmark(name: "conv " + t.name) {
            let input = ImageBatch(n: t.n, c: t.c, h: t.size, w: t.size)
            let window = Window(size: t.k, stride: t.stride, padding: t.padding)
            let out = window.outputSize(t.size)
            let x = randomBuffer(t.n * input.image), w = randomBuffer(t.o * t.c * t.k * t.k, seed: 2)
            let b = randomBuffer(t.o, seed: 3), dy = randomBuffer(t.n * t.o * out * out, seed: 4)
            var y = [Float](repeating: 0, count: dy.count), dx = [Float](repeating: 0, count: x.count)
            var dw = [Float](repeating: 0, count: w.count), db = [Float](repeating: 0, count: t.o)
            let flops = 2.0 * Double(t.n * t.o * out * out * t.c * t.k * t.k)
    
            func run(_ pass: ConvolutionAlgorithm.Pass, _ algorithm: ConvolutionAlgorithm, _ batch: ImageBatch) {
                switch pass {
                case .forward:
                    Kernels.conv2dForward(x: x, batch, weight: w, bias: b, outChannels: t.o, window: window, y: &y, algorithm: algorithm)
                case .inputGradient:
                    Kernels.conv2dBackwardInput(dy: dy, weight: w, outChannels: t.o, window: window, dx: &dx, batch, algorithm: algorithm)
                case .weightGradient:
                    Kernels.conv2dBackwardWeight(dy: dy, x: x, batch, outChannels: t.o, window: window, dweight: &dw, dbias: &db,
                                                 algorithm: algorithm)
                }
            }
            let one = ImageBatch(n: 1, c: t.c, h: t.size, w: t.size)
            var rows: [Row] = []
            var chosenSeconds: [ConvolutionAlgorithm.Pass: Double] = [:]
            var chosenShares: [ConvolutionAlgorithm.Pass: Double] = [:]
            for pass in passes {
                let chosen = ConvolutionAlgorithm.chosen(for: pass, input, outChannels: t.o, window: window)
                let algorithms = ConvolutionAlgorithm.allCases.filter {
                    $0.supports(pass, window: window) && (!chosenOnly || $0 == chosen)
                }
                // Each fast algorithm's time in each round (the reference loops run once, apart).
                // The chosen one's runs each follow a peak probe, for its share of the peak.
                var times: [ConvolutionAlgorithm: [Timing]] = [:]
                for round in 0..<rounds {
                    for algorithm in algorithms where algorithm != .reference {
                        times[algorithm, default: []].append(rounds == 1
                            ? timed(besidePeak: algorithm == chosen) { run(pass, algorithm, input) }
                            : timed(warmups: round == 0 ? 2 : 0, runs: 3, minimumSeconds: 0.2, besidePeak: algorithm == chosen) {
                                run(pass, algorithm, input)
                            })
                    }
                }
                for algorithm in algorithms {
                    let gflops: Double
                    if algorithm == .reference {
                        let seconds = medianSeconds(warmups: 0, runs: 1, minimumSeconds: 0) { run(pass, algorithm, one) }
                        gflops = flops / Double(t.n) / seconds / 1e9
                    } else {
                        let seconds = median(times[algorithm]!.map(\.seconds))
                        if algorithm == chosen {
                            chosenSeconds[pass] = seconds
                            chosenShares[pass] = Timing(runs: times[algorithm]!.flatMap(\.runs)).shareOfPeak(flops: flops)
                        }
                        gflops = flops / seconds / 1e9
                    }
                    rows.append(Row(name: "conv \(t.name) \(pass.label), \(algorithm.rawValue)", unit: "GFLOP/s", value: gflops,
                                    note: algorithm == chosen ? "chosen" : algorithm == .reference ? "1 image" : "",
                                    algorithm: algorithm.rawValue, pass: pass.rawValue))
                }
            }
            var summary: [Row] = []
            if let forward = chosenSeconds[.forward] {
                summary.append(Row(name: "conv \(t.name) forward", unit: "GFLOP/s", value: flops / forward / 1e9,
                                   shareOfPeak: chosenShares[.forward]))
            }
            if let backwardInput = chosenSeconds[.inputGradient], let backwardWeight = chosenSeconds[.weightGradient] {
                // The two passes' shares, weighted by their times.
                let share = chosenShares[.inputGradient].flatMap { input in
                    chosenShares[.weightGradient].map { (input * backwardInput + $0 * backwardWeight) / (backwardInput + backwardWeight) }
                }
                summary.append(Row(name: "conv \(t.name) backward", unit: "GFLOP/s", value: 2 * flops / (backwardInput + backwardWeight) / 1e9,
                                   shareOfPeak: share))
            }
            if let backwardInput = chosenSeconds[.inputGradient] {
                summary.append(Row(name: "conv \(t.name) backward input", unit: "GFLOP/s", value: flops / backwardInput / 1e9,
                                   shareOfPeak: chosenShares[.inputGradient]))
            }
            if let backwardWeight = chosenSeconds[.weightGradient] {
                summary.append(Row(name: "conv \(t.name) backward weight", unit: "GFLOP/s", value: flops / backwardWeight / 1e9,
                                   shareOfPeak: chosenShares[.weightGradient]))
            }
            return summary + rows
        }
    }
}

/// The rows of one convolution case by algorithm as a table: a line per pass, a column per
/// algorithm (a dash where it lacks the pass or was not timed), the chosen one starred; passes
/// not timed (`--pass`) left out.
func algorithmTable(_ rows: [Row]) -> [String] {
    func cell(_ text: String) -> String { String(repeating: " ", count: max(0, 12 - text.count)) + text }
    let header = "  GFLOP/s".padding(toLength: 20, withPad: " ", startingAt: 0)
        + ConvolutionAlgorithm.allCases.map { cell($0.rawValue) + " " }.joined() + "  (* chosen; reference: Float, 1 image)"
    let passes = ConvolutionAlgorithm.Pass.allCases.filter { pass in rows.contains { $0.pass == pass.rawValue } }
    return [header] + passes.map { pass in
        let cells = ConvolutionAlgorithm.allCases.map { algorithm in
            guard let row = rows.first(where: { $0.pass == pass.rawValue && $0.algorithm == algorithm.rawValue }) else {
                return cell("-") + " "
            }
            return cell(String(format: "%.1f", row.value)) + (row.note == "chosen" ? "*" : " ")
        }
        var line = ("  " + pass.label).padding(toLength: 20, withPad: " ", startingAt: 0) + cells.joined()
        while line.hasSuffix(" ") { line.removeLast() }
        return line
    }
}

extension ConvolutionAlgorithm.Pass {
    /// The pass as the bench's rows name it.
    var label: String {
        switch self {
        case .forward: "forward"
        case .inputGradient: "backward input"
        case .weightGradient: "backward weight"
        }
    }
}
