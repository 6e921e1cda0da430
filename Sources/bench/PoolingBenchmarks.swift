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

/// A convolution, its ReLU and the max pool after it: forward image by image in cache
/// (`conv2dReLUMaxPoolForward`), and backward the weight gradient from the pool's where it
/// applies (as for a first layer, no input gradient: `conv2dReLUMaxPoolWeightGradient`),
/// against the two ops one after the other over the whole batch, in milliseconds, at a batch
/// of 128, 3×3 kernels and 2×2 pools. `conv2dReLUMaxPool2d` fuses them from 2 MB of feature
/// maps an image (VGG's first layer, 1 → 16), not below (its second).
struct ConvolutionPoolCase {
    var name: String
    var n: Int, c: Int, o: Int, size: Int, k: Int, padding: Int, pool: Int
}

let convolutionPoolCases = [
    ConvolutionPoolCase(name: "VGG conv1 224²", n: 128, c: 1, o: 16, size: 224, k: 3, padding: 1, pool: 2),
    ConvolutionPoolCase(name: "VGG 16→32 112²", n: 128, c: 16, o: 32, size: 112, k: 3, padding: 1, pool: 2),
]

var convolutionPoolBenchmarks: [Benchmark] {
    convolutionPoolCases.map { t in
        Benchmark(name: "fused conv+relu+max " + t.name) {
            let input = ImageBatch(n: t.n, c: t.c, h: t.size, w: t.size)
            let window = Window(size: t.k, stride: 1, padding: t.padding), pool = Window(size: t.pool, stride: t.pool, padding: 0)
            let maps = ImageBatch(n: t.n, c: t.o, h: window.outputSize(t.size), w: window.outputSize(t.size))
            let pooledCount = t.n * t.o * pool.outputSize(maps.h) * pool.outputSize(maps.w)
            let x = randomBuffer(t.n * input.image), w = randomBuffer(t.o * t.c * t.k * t.k, seed: 2)
            let b = randomBuffer(t.o, seed: 3)
            // 64-byte aligned, as a tensor's storage and the op's winners (whose whole vectors the
            // fused forward writes past the caches).
            let (pooled, winners) = (Storage(zeros: pooledCount), Storage(zeros: pooledCount))
            let y = pooled.pointer
            let argmax = UnsafeMutableRawPointer(winners.pointer).bindMemory(to: Int32.self, capacity: pooledCount)
            let full = Storage(uninitializedCount: maps.shape.count)
            let twoOps = medianSeconds {
                Kernels.conv2dForward(x: x, input, weight: w, bias: b, outChannels: t.o, window: window, y: full.pointer)
                Kernels.maxPoolForward(full.pointer, maps, window: pool, y, argmax: argmax, thenReLU: true)
            }
            let fused = medianSeconds {
                Kernels.conv2dReLUMaxPoolForward(x: x, input, weight: w, bias: b, outChannels: t.o, window: window, pool: pool,
                                                 y: y, argmax: argmax)
            }
            // Backward without an input gradient, as for a first layer.
            let dy = randomBuffer(pooledCount, seed: 4)
            var (dw, db) = ([Float](repeating: 0, count: w.count), [Float](repeating: 0, count: t.o))
            let twoOpsBackward = medianSeconds {
                Kernels.maxPoolBackward(dy, argmax: argmax, maps, window: pool, full.pointer)
                Kernels.conv2dBackwardWeight(dy: full.pointer, x: x, input, outChannels: t.o, window: window, dweight: &dw, dbias: &db)
            }
            let unpools = Kernels.unpoolsIntoWeightGradient(input, outChannels: t.o, window: window, pool: pool)
            let fusedBackward = !unpools ? nil : medianSeconds {
                Kernels.conv2dReLUMaxPoolWeightGradient(dy: dy, argmax: argmax, x: x, input, outChannels: t.o,
                                                        window: window, pool: pool, dweight: &dw, dbias: &db)
            }
            withExtendedLifetime((full, pooled)) {}
            _ = UnsafeMutableRawPointer(argmax).bindMemory(to: Float.self, capacity: pooledCount)
            withExtendedLifetime(winners) {}
            let name = "fused conv+relu+max \(t.name)"
            return [Row(name: "\(name) forward, two ops", unit: "ms", value: twoOps * 1e3),
                    Row(name: "\(name) forward, fused", unit: "ms", value: fused * 1e3),
                    Row(name: "\(name) backward, two ops", unit: "ms", value: twoOpsBackward * 1e3)]
                + (fusedBackward.map { [Row(name: "\(name) backward, fused", unit: "ms", value: $0 * 1e3)] } ?? [])
        }
    }
}
