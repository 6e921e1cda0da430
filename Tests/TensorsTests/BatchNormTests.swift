import Testing
import Tensors
import TestSupport

/// Batch normalization against the plain loops, gradients by central differences in Double.
@Suite struct BatchNormTests {
    static let shapes: [Shape] = [[4, 3, 5, 5], [2, 2, 3, 7], [7, 5], [3, 1, 1, 9], [3, 2, 6, 7], [9, 40]]

    @Test(arguments: shapes)
    func trainingModeGradients(_ shape: Shape) throws {
        let g = RandomGenerator(seed: 31)
        let c = shape[1], n = shape[0], s = shape.count / (n * c)
        let running = RunningStatistics(mean: Tensor(zeros: [c]), variance: Tensor(repeating: 1, shape: [c]), momentum: 0.1)
        let result = try gradientCheck(inputs: [
            CheckedInput(shape, low: -2, high: 3, using: g), CheckedInput([c], low: 0.5, high: 1.5, using: g),
            CheckedInput([c], using: g),
        ], valueTolerance: (1e-4, 1e-4), gradientTolerance: (2e-4, 2e-3)) { xs in
            try batchNorm(xs[0], gamma: xs[1], beta: xs[2], running: running, training: true)
        } reference: { xs in
            Reference.batchNorm(xs[0], n: n, c: c, s: s, gamma: xs[1], beta: xs[2])
        }
        #expect(result.passed, "\(result)")
    }

    @Test(arguments: shapes)
    func evaluationModeUsesRunningStatistics(_ shape: Shape) throws {
        let g = RandomGenerator(seed: 32)
        let c = shape[1], n = shape[0], s = shape.count / (n * c)
        let mean = Tensor.uniform([c], -1, 1, using: g), variance = Tensor.uniform([c], 0.5, 2, using: g)
        let running = RunningStatistics(mean: mean, variance: variance, momentum: 0.1)
        let result = try gradientCheck(inputs: [
            CheckedInput(shape, low: -2, high: 3, using: g), CheckedInput([c], low: 0.5, high: 1.5, using: g),
            CheckedInput([c], using: g),
        ]) { xs in
            try batchNorm(xs[0], gamma: xs[1], beta: xs[2], running: running, training: false)
        } reference: { xs in
            Reference.batchNorm(xs[0], n: n, c: c, s: s, gamma: xs[1], beta: xs[2],
                                running: (mean.scalars.map(Double.init), variance.scalars.map(Double.init)))
        }
        #expect(result.passed, "\(result)")
        #expect(mean.scalars == Tensor(mean.scalars, shape: [c]).scalars, "evaluation leaves the statistics alone")
    }

    /// `thenReLU` is relu(batchNorm(x)) in one op: the same bits forward and backward, in both
    /// modes, for images (the ReLU's gradient masked inside the batch norm's backward, vector
    /// body and scalar tail) and features (masked before it). Each of the two ops has its own
    /// gradient check above and in OperationTests. The largest shape puts values of y within
    /// 0.01 of the ReLU's threshold.
    @Test(arguments: shapes + [[16, 3, 12, 12]])
    func thenReLUGivesTheTwoOpsBits(_ shape: Shape) throws {
        let g = RandomGenerator(seed: 33)
        let c = shape[1]
        let x = Tensor.uniform(shape, -2, 3, using: g), seed = Tensor.uniform(shape, -1, 1, using: g)
        let gamma = Tensor.uniform([c], 0.5, 1.5, using: g), beta = Tensor.uniform([c], -0.5, 0.5, using: g)
        for training in [true, false] {
            func run(fused: Bool) throws -> [[Float]] {
                let (xs, gs, bs) = (Tensor(x.scalars, shape: shape), Tensor(gamma.scalars, shape: [c]), Tensor(beta.scalars, shape: [c]))
                for t in [xs, gs, bs] { t.requiresGrad = true }
                let running = RunningStatistics(mean: Tensor.uniform([c], -0.5, 0.5, using: RandomGenerator(seed: 34)),
                                                variance: Tensor(repeating: 1.5, shape: [c]), momentum: 0.1)
                let y = fused
                    ? try batchNorm(xs, gamma: gs, beta: bs, running: running, training: training, thenReLU: true)
                    : relu(try batchNorm(xs, gamma: gs, beta: bs, running: running, training: training))
                y.backward(seed: seed)
                return [y.scalars, xs.grad!.scalars, gs.grad!.scalars, bs.grad!.scalars, running.mean.scalars]
            }
            let (fused, apart) = (try run(fused: true), try run(fused: false))
            #expect(fused[0].contains(0) && fused[0].contains { $0 > 0 }, "the ReLU cuts some values and passes others")
            for (name, pair) in zip(["y", "dx", "dγ", "dβ", "running mean"], zip(fused, apart)) {
                #expect(pair.0 == pair.1, "\(name) of \(shape), training \(training)")
            }
        }
    }

    @Test func runningStatisticsFollowPyTorchsRule() throws {
        // Channel 0 holds 1, 2, 3, 4: mean 2.5, unbiased variance 5/3.
        let x = Tensor([1, 2, 3, 4], shape: [4, 1])
        let running = RunningStatistics(mean: Tensor([10], shape: [1]), variance: Tensor([2], shape: [1]), momentum: 0.1)
        _ = try batchNorm(x, gamma: Tensor([1], shape: [1]), beta: Tensor([0], shape: [1]), running: running, training: true)
        #expect(abs(running.mean.item - (0.9 * 10 + 0.1 * 2.5)) < 1e-6)
        #expect(abs(running.variance.item - (0.9 * 2 + 0.1 * 5.0 / 3)) < 1e-6)
    }

    /// The statistics read each row once, in pieces of `Moments.piece` floats combined by Chan's
    /// rule, the batch outermost: over rows longer than a piece and values far from zero they
    /// agree with sums in Double, and every pass gives the same bits on 1, 2 or 3 threads.
    @Test func statisticsOfLongRowsAgreeWithDoubleOnAnyThreadCount() {
        let (n, c, s) = (3, 5, 65 * 65)
        #expect(s > Kernels.Moments.piece)
        let g = RandomGenerator(seed: 35)
        // Far from zero, with means that differ from image to image and along each row.
        let x: [Float] = (0..<n * c * s).map { i in Float(1000 + i / s % c + 2 * (i / (c * s))) + Float(i % s) / 1000 + g.uniform(-1, 1) }
        let dy: [Float] = (0..<n * c * s).map { _ in g.uniform(-1, 1) }
        let (gamma, beta) = ([Float](repeating: 1.5, count: c), [Float](repeating: 0.25, count: c))
        func run(threads: Int) -> [[Float]] {
            var (y, dx) = ([Float](repeating: 0, count: x.count), [Float](repeating: 0, count: x.count))
            var (mean, variance, inverseStd, dgamma, dbeta) = ([Float](repeating: 0, count: c), [Float](repeating: 0, count: c),
                                                              [Float](repeating: 0, count: c), [Float](repeating: 0, count: c),
                                                              [Float](repeating: 0, count: c))
            Kernels.batchNormTrainingForward(x, n: n, c: c, s: s, gamma: gamma, beta: beta, epsilon: 1e-5, y: &y, mean: &mean,
                                             variance: &variance, inverseStd: &inverseStd, thenReLU: true, threads: threads)
            Kernels.batchNormTrainingBackward(dy, x, n: n, c: c, s: s, gamma: gamma, mean: mean, inverseStd: inverseStd,
                                              dx: &dx, dgamma: &dgamma, dbeta: &dbeta, reluBeta: beta, threads: threads)
            return [y, mean, variance, dx, dgamma, dbeta]
        }
        let one = run(threads: 1)
        for ch in 0..<c {
            var values: [Double] = []
            for i in 0..<n { values += x[(i * c + ch) * s ..< (i * c + ch + 1) * s].map { Double($0) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            #expect(abs(Double(one[1][ch]) - mean) <= 4 * Double(Float(mean).ulp), "mean of channel \(ch)")
            #expect(abs(Double(one[2][ch]) - variance) < 1e-3 * variance, "variance of channel \(ch)")
        }
        for threads in [2, 3] { #expect(run(threads: threads) == one, "\(threads) threads") }
    }

    @Test func oneValuePerChannelIsRefusedInTraining() {
        let running = RunningStatistics(mean: Tensor(zeros: [3]), variance: Tensor(repeating: 1, shape: [3]), momentum: 0.1)
        #expect(throws: ShapeError.self) {
            try batchNorm(Tensor(zeros: [1, 3]), gamma: Tensor(zeros: [3]), beta: Tensor(zeros: [3]), running: running, training: true)
        }
    }
}
