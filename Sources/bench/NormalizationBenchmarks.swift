import Tensors

/// Batch normalizations of the chapter's networks in training (batch × channels, size, and
/// whether a ReLU follows inside the op), forward and backward: bytes of x read per second, as
/// each pass is a few sweeps over memory.
struct NormalizationCase {
    var name: String
    var n: Int, c: Int, size: Int, thenReLU: Bool
}

let normalizationCases = [
    NormalizationCase(name: "BN-LeNet 256×6 24²", n: 256, c: 6, size: 24, thenReLU: false),
    NormalizationCase(name: "BN-LeNet 256×16 8²", n: 256, c: 16, size: 8, thenReLU: false),
    NormalizationCase(name: "ResNet 128×64 24² +ReLU", n: 128, c: 64, size: 24, thenReLU: true),
    NormalizationCase(name: "DenseNet 256×64 48² +ReLU", n: 256, c: 64, size: 48, thenReLU: true),
    NormalizationCase(name: "DenseNet 256×192 12² +ReLU", n: 256, c: 192, size: 12, thenReLU: true),
]

var normalizationBenchmarks: [Benchmark] {
    normalizationCases.map { t in
        Benchmark(name: "norm batch " + t.name) {
            let (n, c, s) = (t.n, t.c, t.size * t.size)
            let x = randomBuffer(n * c * s), dy = randomBuffer(n * c * s, seed: 2)
            let gamma = randomBuffer(c, seed: 3), beta = randomBuffer(c, seed: 4)
            var y = [Float](repeating: 0, count: x.count), dx = y
            var (mean, variance, inverseStd) = ([Float](repeating: 0, count: c), [Float](repeating: 0, count: c), [Float](repeating: 0, count: c))
            var (dgamma, dbeta) = ([Float](repeating: 0, count: c), [Float](repeating: 0, count: c))
            let forward = medianSeconds {
                Kernels.batchNormTrainingForward(x, n: n, c: c, s: s, gamma: gamma, beta: beta, epsilon: 1e-5, y: &y, mean: &mean,
                                                 variance: &variance, inverseStd: &inverseStd, thenReLU: t.thenReLU)
            }
            let backward = medianSeconds {
                Kernels.batchNormTrainingBackward(dy, x, n: n, c: c, s: s, gamma: gamma, mean: mean, inverseStd: inverseStd,
                                                  dx: &dx, dgamma: &dgamma, dbeta: &dbeta, reluBeta: t.thenReLU ? beta : nil)
            }
            let bytes = Double(x.count * 4)
            return [Row(name: "norm batch \(t.name) forward", unit: "GB/s", value: bytes / forward / 1e9),
                    Row(name: "norm batch \(t.name) backward", unit: "GB/s", value: bytes / backward / 1e9)]
        }
    }
}
