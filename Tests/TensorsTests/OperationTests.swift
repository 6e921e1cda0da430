import Foundation
import Testing
import Tensors
import TestSupport

/// Every other operation: forward against the plain loops, gradients against central differences
/// of the plain loops in Double.
@Suite struct OperationTests {
    /// Distinct values spaced far apart compared with the finite-difference step, so no max-pool
    /// window has a near-tie that a nudge could flip.
    static func distinctValues(_ count: Int, seed: UInt64) -> [Float] {
        var values = (0..<count).map { Float($0) * 0.01 - Float(count) * 0.005 + 0.005 }
        RandomGenerator(seed: seed).shuffle(&values)
        return values
    }

    static let poolCases: [(shape: Shape, k: Int, stride: Int, padding: Int)] = [
        ([1, 1, 4, 4], 2, 2, 0), ([2, 3, 7, 5], 3, 2, 1), ([1, 2, 9, 9], 3, 1, 1),
        ([3, 1, 6, 7], 2, 1, 0), ([1, 2, 11, 11], 3, 2, 0), ([2, 1, 5, 5], 5, 3, 2),
        // 2×2 stride 2 on odd sizes, and rows long enough for whole 16-output vectors.
        ([2, 3, 7, 9], 2, 2, 0), ([1, 2, 5, 70], 2, 2, 0), ([1, 1, 4, 33], 2, 2, 0),
    ]

    @Test(arguments: poolCases)
    func maxPoolGradient(_ t: (shape: Shape, k: Int, stride: Int, padding: Int)) throws {
        let window = Window(size: t.k, stride: t.stride, padding: t.padding)
        let result = try gradientCheck(inputs: [CheckedInput(t.shape, Self.distinctValues(t.shape.count, seed: 3))]) {
            try maxPool2d($0[0], kernelSize: t.k, stride: t.stride, padding: t.padding)
        } reference: { Reference.maxPool2d($0[0], ImageBatch(t.shape), window: window) }
        #expect(result.passed, "\(result)")
    }

    /// The max-pool kernel's winners against one window at a time, on values with many ties
    /// (drawn from 0, 1, 2) and NaNs: the first of equal maxima wins, NaN never does. The first
    /// plane is all NaN, so that no window there has a winner: each names its first cell inside.
    @Test(arguments: poolCases + [([2, 3, 9, 40], 3, 1, 1), ([1, 2, 13, 37], 3, 2, 1), ([2, 2, 28, 30], 2, 2, 0),
                                  ([1, 3, 27, 27], 3, 2, 0), ([1, 1, 3, 3], 3, 2, 1)])
    func maxPoolKeepsTheFirstOfEqualMaxima(_ t: (shape: Shape, k: Int, stride: Int, padding: Int)) {
        let input = ImageBatch(t.shape), window = Window(size: t.k, stride: t.stride, padding: t.padding)
        let g = RandomGenerator(seed: 8)
        let x: [Float] = (0..<t.shape.count).map { i in
            let draw = g.uniform(0, 3.2)
            return draw >= 3 || i < input.plane ? .nan : draw.rounded(.down)
        }
        let (oh, ow) = (window.outputSize(input.h), window.outputSize(input.w))
        var y = [Float](repeating: 0, count: input.n * input.c * oh * ow), argmax = [Int32](repeating: -1, count: y.count)
        Kernels.maxPoolForward(x, input, window: window, &y, argmax: &argmax, threads: 2)
        for plane in 0..<(input.n * input.c) {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = -Float.infinity, winner: Int? = nil
                    for iy in (oy * t.stride - t.padding)..<(oy * t.stride - t.padding + t.k) where iy >= 0 && iy < input.h {
                        for ix in (ox * t.stride - t.padding)..<(ox * t.stride - t.padding + t.k) where ix >= 0 && ix < input.w {
                            if winner == nil { winner = iy * input.w + ix }
                            let v = x[plane * input.plane + iy * input.w + ix]
                            if v > best { (best, winner) = (v, iy * input.w + ix) }
                        }
                    }
                    let o = plane * oh * ow + oy * ow + ox
                    #expect(y[o] == best && argmax[o] == Int32(winner!), "plane \(plane), output (\(oy), \(ox))")
                }
            }
        }
    }

    /// With `thenReLU`, an output the ReLU cuts (y ≤ 0) has no winner (`Kernels.reluCut`), so
    /// that the backward pass needs no y; every other output keeps the pool's winner: on every
    /// path of the forward kernel (2×2 in vectors and their tails, strides 1 and 2 in vectors,
    /// the general loop), over values of both signs and zeros.
    @Test(arguments: poolCases + [([2, 3, 9, 40], 3, 1, 1), ([1, 3, 27, 27], 3, 2, 0), ([2, 2, 28, 30], 2, 2, 0)])
    func maxPoolThenReLUHasNoWinnerWhereItCuts(_ t: (shape: Shape, k: Int, stride: Int, padding: Int)) {
        let input = ImageBatch(t.shape), window = Window(size: t.k, stride: t.stride, padding: t.padding)
        let g = RandomGenerator(seed: 9)
        // The first half of x has no positive value, so some windows have none.
        let half = t.shape.count / 2
        let x: [Float] = (0..<t.shape.count).map { i in (g.uniform(i < half ? -3 : -2, i < half ? 0 : 2) * 2).rounded(.down) / 2 }
        let count = input.n * input.c * window.outputSize(input.h) * window.outputSize(input.w)
        var (plain, plainWinners) = ([Float](repeating: 0, count: count), [Int32](repeating: 0, count: count))
        var (cut, cutWinners) = (plain, plainWinners)
        Kernels.maxPoolForward(x, input, window: window, &plain, argmax: &plainWinners, threads: 2)
        Kernels.maxPoolForward(x, input, window: window, &cut, argmax: &cutWinners, thenReLU: true, threads: 2)
        #expect(plain.contains { $0 <= 0 } && plain.contains { $0 > 0 }, "the ReLU cuts some outputs and passes others")
        for o in 0..<count {
            #expect(cut[o] == max(plain[o], 0), "output \(o)")
            #expect(cutWinners[o] == (plain[o] > 0 ? plainWinners[o] : Kernels.reluCut), "winner of output \(o)")
        }
    }

    /// `thenReLU` is relu(maxPool2d(x)) = maxPool2d(relu(x)) in one op: the same bits as the ReLU
    /// before the pool, forward and backward, on values with ties, zeros and windows with no
    /// positive value (where the ReLU's gradient is zero either way: the first half of x has none).
    @Test(arguments: poolCases + [([2, 3, 9, 40], 3, 1, 1), ([1, 3, 27, 27], 3, 2, 0), ([2, 2, 28, 30], 2, 2, 0)])
    func maxPoolThenReLUGivesTheBitsOfTheReLUBefore(_ t: (shape: Shape, k: Int, stride: Int, padding: Int)) throws {
        let g = RandomGenerator(seed: 12), half = t.shape.count / 2
        let x = Tensor((0..<t.shape.count).map { i in (g.uniform(i < half ? -3 : -2, i < half ? 0 : 2) * 2).rounded(.down) / 2 },
                       shape: t.shape)
        let pooledShape = try maxPool2d(x, kernelSize: t.k, stride: t.stride, padding: t.padding).shape
        let seed = Tensor.uniform(pooledShape, -1, 1, using: g)
        func run(fused: Bool) throws -> (y: [Float], dx: [Float]) {
            let xs = Tensor(x.scalars, shape: x.shape)
            xs.requiresGrad = true
            let y = fused
                ? try maxPool2d(xs, kernelSize: t.k, stride: t.stride, padding: t.padding, thenReLU: true)
                : try maxPool2d(relu(xs), kernelSize: t.k, stride: t.stride, padding: t.padding)
            y.backward(seed: seed)
            return (y.scalars, xs.grad!.scalars)
        }
        let (fused, apart) = (try run(fused: true), try run(fused: false))
        #expect(fused.y.contains(0) && fused.y.contains { $0 > 0 }, "some windows have no positive value, some do")
        #expect(fused.dx.contains { $0 != 0 }, "some gradient passes")
        #expect(differingBits(fused.y, apart.y) == 0, "outputs that differ")
        #expect(differingBits(fused.dx, apart.dx) == 0, "gradients that differ")
    }

    @Test(arguments: poolCases)
    func avgPoolGradient(_ t: (shape: Shape, k: Int, stride: Int, padding: Int)) throws {
        let window = Window(size: t.k, stride: t.stride, padding: t.padding)
        let result = try gradientCheck(inputs: [CheckedInput(t.shape, using: RandomGenerator(seed: 4))]) {
            try avgPool2d($0[0], kernelSize: t.k, stride: t.stride, padding: t.padding)
        } reference: { Reference.avgPool2d($0[0], ImageBatch(t.shape), window: window) }
        #expect(result.passed, "\(result)")
    }

    static let adaptiveCases: [(shape: Shape, oh: Int, ow: Int)] = [
        ([1, 2, 5, 5], 1, 1), ([2, 3, 7, 9], 3, 2), ([1, 1, 6, 6], 4, 4), ([1, 2, 3, 3], 5, 5),
    ]

    @Test(arguments: adaptiveCases)
    func adaptiveAvgPoolGradient(_ t: (shape: Shape, oh: Int, ow: Int)) throws {
        let result = try gradientCheck(inputs: [CheckedInput(t.shape, using: RandomGenerator(seed: 5))]) {
            try adaptiveAvgPool2d($0[0], outputSize: (t.oh, t.ow))
        } reference: { Reference.adaptiveAvgPool2d($0[0], ImageBatch(t.shape), outputHeight: t.oh, outputWidth: t.ow) }
        #expect(result.passed, "\(result)")
    }

    @Test func reluGradientAwayFromTheKink() {
        // |x| ≥ 0.05, far from 0 compared with the finite-difference step.
        let values = randomValues(60, 0.05, 1, using: RandomGenerator(seed: 6)).enumerated().map { $0.offset % 2 == 0 ? $0.element : -$0.element }
        let result = gradientCheck(inputs: [CheckedInput([3, 20], values)]) { relu($0[0]) } reference: { Reference.relu($0[0]) }
        #expect(result.passed, "\(result)")
    }

    @Test func sigmoidGradient() {
        let result = gradientCheck(inputs: [CheckedInput([2, 3, 4, 5], low: -6, high: 6, using: RandomGenerator(seed: 7))]) {
            sigmoid($0[0])
        } reference: { Reference.sigmoid($0[0]) }
        #expect(result.passed, "\(result)")
    }

    @Test(arguments: [(1, 1, 1), (5, 7, 3), (9, 33, 17), (3, 40, 12)])
    func linearGradient(_ t: (n: Int, inFeatures: Int, outFeatures: Int)) throws {
        let g = RandomGenerator(seed: 8)
        let result = try gradientCheck(inputs: [
            CheckedInput([t.n, t.inFeatures], using: g), CheckedInput([t.outFeatures, t.inFeatures], using: g),
            CheckedInput([t.outFeatures], using: g),
        ]) { try linear($0[0], weight: $0[1], bias: $0[2]) } reference: {
            Reference.linear($0[0], rows: t.n, weight: $0[1], bias: $0[2], inFeatures: t.inFeatures, outFeatures: t.outFeatures)
        }
        #expect(result.passed, "\(result)")
    }

    /// A layer at least as wide as the batch runs as weight · xᵀ, transposed after, and a
    /// narrower one as x · weightᵀ: a row's outputs have the same bits either way, so a single
    /// image gets the logits it gets in a batch, and they are the plain sums. The transpose goes
    /// in 16 × 16 blocks: 45 and 37 leave ragged ones, 70 rows split over the threads.
    @Test func linearGivesARowTheSameBitsInABatchOfAnySize() throws {
        let g = RandomGenerator(seed: 31)
        let (n, inFeatures, outFeatures) = (70, 37, 45)
        let xs = randomValues(n * inFeatures, using: g), w = randomValues(outFeatures * inFeatures, using: g)
        let b = randomValues(outFeatures, using: g)
        let (weight, bias) = (Tensor(w, shape: [outFeatures, inFeatures]), Tensor(b, shape: [outFeatures]))
        let whole = try linear(Tensor(xs, shape: [n, inFeatures]), weight: weight, bias: bias).scalars
        for rows in [0..<1, 3..<20, 25..<70] {   // 1, 17 and 45 rows go the transposed way, all 70 the plain one
            let part = try linear(Tensor(Array(xs[(rows.lowerBound * inFeatures)..<(rows.upperBound * inFeatures)]),
                                         shape: [rows.count, inFeatures]), weight: weight, bias: bias).scalars
            let differing = differingBits(part, whole[(rows.lowerBound * outFeatures)..<(rows.upperBound * outFeatures)])
            #expect(differing == 0, "rows \(rows) alone: \(differing) of \(part.count) outputs differ from the whole batch's")
        }
        let plain = Reference.linear(xs.map(Double.init), rows: n, weight: w.map(Double.init), bias: b.map(Double.init),
                                     inFeatures: inFeatures, outFeatures: outFeatures)
        let worst = zip(whole, plain).map { abs(Double($0) - $1) }.max()!
        #expect(worst < 1e-5, "largest difference from the plain sums in Double: \(worst)")
    }

    @Test func matmulGradient() throws {
        let g = RandomGenerator(seed: 9)
        let result = try gradientCheck(inputs: [CheckedInput([7, 11], using: g), CheckedInput([11, 35], using: g)]) {
            try matmul($0[0], $0[1])
        } reference: { Reference.gemm(m: 7, n: 35, k: 11, a: $0[0], b: $0[1]) }
        #expect(result.passed, "\(result)")
    }

    @Test func concatenationAlongChannels() throws {
        let g = RandomGenerator(seed: 10)
        let shapes: [Shape] = [[2, 1, 3, 4], [2, 3, 3, 4], [2, 2, 3, 4]]
        let result = try gradientCheck(inputs: shapes.map { CheckedInput($0, using: g) }) { try cat($0) } reference: {
            Reference.concatChannels($0, shapes.map(ImageBatch.init))
        }
        #expect(result.passed, "\(result)")
        #expect(throws: ShapeError.self) { try cat([Tensor(zeros: [1, 2, 3, 3]), Tensor(zeros: [1, 2, 4, 3])]) }
    }

    /// Images large enough that the copies are shared among the threads: the same values as the
    /// plain loop, and each input's gradient its own channels of the output's.
    @Test func concatenationOfLargeImagesSplitAmongTheThreads() throws {
        let g = RandomGenerator(seed: 13)
        let shapes: [Shape] = [[7, 2, 120, 120], [7, 3, 120, 120], [7, 1, 120, 120]]
        let inputs = shapes.map { Tensor(randomValues($0.count, using: g), shape: $0, requiresGrad: true) }
        let y = try cat(inputs)
        let plain = Reference.concatChannels(inputs.map(\.scalars), shapes.map(ImageBatch.init))
        let differing = zip(y.scalars, plain).filter { $0 != $1 }.count
        #expect(y.count == plain.count && differing == 0, "\(differing) outputs differ from the plain loop's")
        let seed = randomValues(y.count, using: g)
        y.backward(seed: Tensor(seed, shape: y.shape))
        var first = 0
        for (input, shape) in zip(inputs, shapes) {
            let width = shape.count / shape[0], total = y.count / shape[0]
            let expected = (0..<shape[0]).flatMap { seed[($0 * total + first)..<($0 * total + first + width)] }
            let gradient = input.grad?.scalars ?? []
            #expect(gradient.count == expected.count && zip(gradient, expected).allSatisfy { $0 == $1 },
                    "the gradient of the input of shape \(shape)")
            first += width
        }
    }

    @Test func additionAndReshapeAndReductions() throws {
        let g = RandomGenerator(seed: 12)
        let add = try gradientCheck(inputs: [CheckedInput([2, 3, 4], using: g), CheckedInput([2, 3, 4], using: g)]) {
            try $0[0] + $0[1]
        } reference: { zip($0[0], $0[1]).map(+) }
        #expect(add.passed, "\(add)")

        let reshape = try gradientCheck(inputs: [CheckedInput([2, 3, 4, 5], using: g)]) {
            try $0[0].reshaped([-1, 20]).flattened(startDim: 0)
        } reference: { $0[0] }
        #expect(reshape.passed, "\(reshape)")

        let sum = gradientCheck(inputs: [CheckedInput([3, 7], using: g)]) { $0[0].sum() } reference: { [$0[0].reduce(0, +)] }
        #expect(sum.passed, "\(sum)")
        let mean = gradientCheck(inputs: [CheckedInput([3, 7], using: g)]) { $0[0].mean() } reference: { [$0[0].reduce(0, +) / 21] }
        #expect(mean.passed, "\(mean)")

        #expect(throws: ShapeError("cannot add tensors of shapes [2, 3] and [3, 2]")) { try Tensor(zeros: [2, 3]) + Tensor(zeros: [3, 2]) }
        #expect(throws: ShapeError.self) { try Tensor(zeros: [2, 3]).reshaped([4, -1]) }
    }

    @Test func crossEntropyIsStableAndDifferentiable() throws {
        let g = RandomGenerator(seed: 13)
        let labels: [Int32] = [3, 0, 9, 9, 5]
        let result = try gradientCheck(inputs: [CheckedInput([5, 10], low: -4, high: 4, using: g)]) {
            try crossEntropy($0[0], labels: labels)
        } reference: { [Reference.softmaxCrossEntropy($0[0], labels: labels.map(Int.init), classes: 10)] }
        #expect(result.passed, "\(result)")

        // Logits far beyond exp's range still give the exact loss: log(1 + e^−1000) ≈ 0 and 1000.
        let big = Tensor([1000, 0, 0, 1000], shape: [2, 2])
        let loss = try crossEntropy(big, labels: [0, 1])
        #expect(loss.item == 0)
        #expect(try crossEntropy(big, labels: [1, 0]).item == 1000)
        #expect(throws: ShapeError("cross_entropy: label 2 is outside 0..<2")) { try crossEntropy(big, labels: [0, 2]) }
    }

    @Test func argmaxTakesTheFirstOfTies() throws {
        let t = Tensor([0, 2, 2, 1, -5, -1, -3, -1], shape: [2, 4])
        #expect(try t.argmax() == [1, 1])
    }

    @Test func dropoutKeepsTheExpectedValue() throws {
        let x = Tensor(repeating: 1, shape: [100_000])
        x.requiresGrad = true
        let y = try dropout(x, p: 0.3, training: true, using: RandomGenerator(seed: 14))
        let zeros = y.scalars.filter { $0 == 0 }.count
        #expect(abs(Double(zeros) / 100_000 - 0.3) < 0.01)
        #expect(y.scalars.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-6 })
        y.sum().backward()
        #expect(x.grad!.scalars == y.scalars, "the gradient passes exactly where the value did")
        #expect(try dropout(x, p: 0.3, training: false) === x)
    }

    @Test func gradientsAccumulateWhereATensorIsUsedTwice() throws {
        let x = Tensor([1, -2, 3], shape: [3], requiresGrad: true)
        let y = try (relu(x) + x) + x   // dy/dx = relu'(x) + 2
        y.sum().backward()
        #expect(x.grad!.scalars == [3, 2, 3])
    }

    @Test func noGradRecordsNothing() {
        let x = Tensor([1, 2], shape: [2], requiresGrad: true)
        let y = noGrad { sigmoid(x) }
        #expect(!y.requiresGrad)
    }
}

@Suite struct VectorMathTests {
    /// Against the C library's exp in Double, over the whole float range that does not
    /// overflow, and beyond it (saturation).
    @Test func expIsAccurateEverywhere() {
        var worst = 0.0
        var x: Float = -87
        while x < 88.3 {
            var v = SIMD16<Float>()
            for j in 0..<16 { v[j] = x + Float(j) * 0.0037 }
            let e = Kernels.exp(v)
            for j in 0..<16 {
                let want = Foundation.exp(Double(v[j]))
                worst = max(worst, abs(Double(e[j]) - want) / want)
            }
            x += 0.0599
        }
        #expect(worst < 2e-7, "worst relative error \(worst)")
        let extremes = Kernels.exp(SIMD16<Float>(repeating: 1000))
        #expect(extremes[0].isFinite && extremes[0] > 2e38)
        #expect(Kernels.exp(SIMD16<Float>(repeating: -1000))[0] < 1e-37)
        #expect(Kernels.sigmoid(SIMD16<Float>(repeating: -1000))[0] >= 0)
    }
}
