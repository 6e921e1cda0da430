import Tensors

/// Max pooling layers of the chapter's networks (batch × channels, size, window, stride,
/// padding), forward: bytes of input read per second, as pooling is a pass over memory.
struct PoolCase {
    var name: String
    var n: Int, c: Int, size: Int, k: Int, stride: Int, padding: Int
}

let poolingCases = [
    PoolCase(name: "AlexNet 128×96 54² 3×3 stride 2", n: 128, c: 96, size: 54, k: 3, stride: 2, padding: 0),
    PoolCase(name: "VGG 128×16 224² 2×2 stride 2", n: 128, c: 16, size: 224, k: 2, stride: 2, padding: 0),
    PoolCase(name: "GoogLeNet 128×480 12² 3×3 stride 2 padding 1", n: 128, c: 480, size: 12, k: 3, stride: 2, padding: 1),
    PoolCase(name: "Inception 128×256 12² 3×3 stride 1 padding 1", n: 128, c: 256, size: 12, k: 3, stride: 1, padding: 1),
]

var poolingBenchmarks: [Benchmark] {
    poolingCases.map { t in
        Benchmark(name: "pool max " + t.name) {
            let input = ImageBatch(n: t.n, c: t.c, h: t.size, w: t.size)
            let window = Window(size: t.k, stride: t.stride, padding: t.padding)
            let outputs = t.n * t.c * window.outputSize(t.size) * window.outputSize(t.size)
            let x = randomBuffer(t.n * input.image)
            var y = [Float](repeating: 0, count: outputs), argmax = [Int32](repeating: 0, count: outputs)
            let seconds = medianSeconds { Kernels.maxPoolForward(x, input, window: window, &y, argmax: &argmax) }
            return [Row(name: "pool max \(t.name) forward", unit: "GB/s", value: Double(x.count * 4) / seconds / 1e9)]
        }
    }
}
