import Foundation
import Tensors

func randomBuffer(_ count: Int, seed: UInt64 = 1) -> [Float] {
    let g = RandomGenerator(seed: seed)
    return (0..<count).map { _ in g.uniform(-1, 1) }
}

let gemmBenchmarks: [Benchmark] = [256, 512, 1024, 2048].map { n in
    Benchmark(name: "gemm \(n)") {
        let a = randomBuffer(n * n), b = randomBuffer(n * n, seed: 2)
        var c = [Float](repeating: 0, count: n * n)
        let flops = 2.0 * Double(n * n * n)
        var rows: [Row] = []
        for (label, transA, transB) in [("", false, false), (" Aᵀ", true, false), (" Bᵀ", false, true)] {
            let seconds = medianSeconds {
                Kernels.gemm(transA: transA, transB: transB, m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: &c, ldc: n)
            }
            rows.append(Row(name: "gemm \(n)×\(n)×\(n)\(label)", unit: "GFLOP/s", value: flops / seconds / 1e9))
        }
        if n == 256 {
            let ad = a.map(Double.init), bd = b.map(Double.init)
            let seconds = medianSeconds(warmups: 0, runs: 1, minimumSeconds: 0) { _ = Reference.gemm(m: n, n: n, k: n, a: ad, b: bd) }
            rows.append(Row(name: "gemm \(n)×\(n)×\(n) reference loop (Double)", unit: "GFLOP/s", value: flops / seconds / 1e9))
        }
        return rows
    }
}

/// The convolution layers the issue measured PyTorch on (batch, in → out, size, kernel, padding).
struct ConvCase {
    var name: String
    var n: Int, c: Int, o: Int, size: Int, k: Int, stride = 1, padding: Int
    /// PyTorch's GFLOP/s on this machine, forward and both backward passes (from the issue).
    var pytorch: (forward: Double, backward: Double)
}

let convolutionCases = [
    ConvCase(name: "LeNet conv2 256×6→16 14² 5×5", n: 256, c: 6, o: 16, size: 14, k: 5, padding: 0, pytorch: (383, 108)),
    ConvCase(name: "AlexNet conv2 128×96→256 26² 5×5", n: 128, c: 96, o: 256, size: 26, k: 5, padding: 2, pytorch: (489, 493)),
    ConvCase(name: "VGG 128×32→64 56² 3×3", n: 128, c: 32, o: 64, size: 56, k: 3, padding: 1, pytorch: (394, 366)),
    ConvCase(name: "VGG 128×64→128 28² 3×3", n: 128, c: 64, o: 128, size: 28, k: 3, padding: 1, pytorch: (444, 428)),
    ConvCase(name: "Inception 128×96→128 12² 3×3", n: 128, c: 96, o: 128, size: 12, k: 3, padding: 1, pytorch: (423, 453)),
    ConvCase(name: "NiN 128×96→96 54² 1×1", n: 128, c: 96, o: 96, size: 54, k: 1, padding: 0, pytorch: (234, 216)),
]

let convolutionBenchmarks: [Benchmark] = convolutionCases.map { t in
    Benchmark(name: "conv " + t.name) {
        let input = ImageBatch(n: t.n, c: t.c, h: t.size, w: t.size)
        let window = Window(size: t.k, stride: t.stride, padding: t.padding)
        let out = window.outputSize(t.size)
        let x = randomBuffer(t.n * input.image), w = randomBuffer(t.o * t.c * t.k * t.k, seed: 2)
        let b = randomBuffer(t.o, seed: 3), dy = randomBuffer(t.n * t.o * out * out, seed: 4)
        var y = [Float](repeating: 0, count: dy.count), dx = [Float](repeating: 0, count: x.count)
        var dw = [Float](repeating: 0, count: w.count), db = [Float](repeating: 0, count: t.o)
        let flops = 2.0 * Double(t.n * t.o * out * out * t.c * t.k * t.k)

        let forward = medianSeconds {
            Kernels.conv2dForward(x: x, input, weight: w, bias: b, outChannels: t.o, window: window, y: &y)
        }
        let backwardInput = medianSeconds {
            Kernels.conv2dBackwardInput(dy: dy, weight: w, outChannels: t.o, window: window, dx: &dx, input)
        }
        let backwardWeight = medianSeconds {
            Kernels.conv2dBackwardWeight(dy: dy, x: x, input, outChannels: t.o, window: window, dweight: &dw, dbias: &db)
        }
        let backward = backwardInput + backwardWeight
        // The plain loops, on one image (Double), for scale.
        let one = ImageBatch(n: 1, c: t.c, h: t.size, w: t.size)
        let xd = x.prefix(one.image).map(Double.init), wd = w.map(Double.init)
        let reference = medianSeconds(warmups: 0, runs: 1, minimumSeconds: 0) {
            _ = Reference.conv2d(xd, one, weight: wd, bias: nil, outChannels: t.o, window: window)
        }
        return [
            Row(name: "conv \(t.name) forward", unit: "GFLOP/s", value: flops / forward / 1e9,
                note: String(format: "PyTorch %.0f", t.pytorch.forward)),
            Row(name: "conv \(t.name) backward", unit: "GFLOP/s", value: 2 * flops / backward / 1e9,
                note: String(format: "PyTorch %.0f", t.pytorch.backward)),
            Row(name: "conv \(t.name) backward input", unit: "GFLOP/s", value: flops / backwardInput / 1e9),
            Row(name: "conv \(t.name) backward weight", unit: "GFLOP/s", value: flops / backwardWeight / 1e9),
            Row(name: "conv \(t.name) reference loop, 1 image", unit: "GFLOP/s", value: flops / Double(t.n) / reference / 1e9),
        ]
    }
}
