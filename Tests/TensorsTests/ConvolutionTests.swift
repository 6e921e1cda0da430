import Testing
import Tensors
import TestSupport

/// Convolution forward and both backward kernels against the plain loops, on awkward shapes,
/// and the op's gradients against central differences of the reference in Double.
@Suite struct ConvolutionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var n, c, h, w, o, k, stride, padding: Int
        var testDescription: String { "N\(n) C\(c) \(h)x\(w) -> O\(o) k\(k) s\(stride) p\(padding)" }
        var input: ImageBatch { ImageBatch(n: n, c: c, h: h, w: w) }
        var window: Window { Window(size: k, stride: stride, padding: padding) }
    }

    static let cases: [Case] = [
        Case(n: 1, c: 1, h: 5, w: 5, o: 1, k: 1, stride: 1, padding: 0),
        Case(n: 2, c: 3, h: 7, w: 9, o: 5, k: 3, stride: 1, padding: 1),
        Case(n: 3, c: 2, h: 9, w: 8, o: 4, k: 3, stride: 2, padding: 0),
        Case(n: 1, c: 3, h: 13, w: 11, o: 3, k: 5, stride: 4, padding: 2),
        Case(n: 4, c: 5, h: 6, w: 6, o: 7, k: 1, stride: 1, padding: 0),
        Case(n: 2, c: 4, h: 7, w: 7, o: 9, k: 1, stride: 2, padding: 0),
        Case(n: 5, c: 1, h: 12, w: 12, o: 6, k: 5, stride: 1, padding: 2),
        Case(n: 1, c: 2, h: 4, w: 4, o: 3, k: 4, stride: 1, padding: 3),
        Case(n: 3, c: 6, h: 10, w: 10, o: 16, k: 5, stride: 1, padding: 0),
        Case(n: 2, c: 1, h: 23, w: 23, o: 4, k: 11, stride: 4, padding: 1),
        Case(n: 9, c: 2, h: 5, w: 5, o: 3, k: 3, stride: 1, padding: 1),
        // Wide rows (tiles of 32 outputs along a row), a long flat 1×1 plane, more than one
        // KC-deep slice of the sum (C·K·K = 270 > 256) with a weight large enough for the GEMM
        // weight gradient, channels not a multiple of 8.
        Case(n: 2, c: 3, h: 9, w: 40, o: 9, k: 3, stride: 1, padding: 1),
        Case(n: 1, c: 2, h: 5, w: 33, o: 17, k: 1, stride: 1, padding: 0),
        Case(n: 2, c: 30, h: 6, w: 19, o: 70, k: 3, stride: 1, padding: 1),
        Case(n: 3, c: 3, h: 6, w: 20, o: 5, k: 5, stride: 1, padding: 2),
        Case(n: 2, c: 4, h: 17, w: 17, o: 6, k: 3, stride: 2, padding: 1),
        // Stride 1 on a small map with many channels (the packed GEMM forward, as GoogLeNet's 6×6).
        Case(n: 3, c: 8, h: 6, w: 6, o: 40, k: 3, stride: 1, padding: 1),
        // LeNet's two layers.
        Case(n: 3, c: 1, h: 28, w: 28, o: 6, k: 5, stride: 1, padding: 2),
        Case(n: 3, c: 6, h: 14, w: 14, o: 16, k: 5, stride: 1, padding: 0),
    ]

    @Test(arguments: cases)
    func kernelsMatchReference(_ t: Case) {
        let g = RandomGenerator(seed: 11)
        let x = randomValues(t.input.n * t.input.image, using: g)
        let w = randomValues(t.o * t.c * t.k * t.k, using: g), b = randomValues(t.o, using: g)
        let (oh, ow) = (t.window.outputSize(t.h), t.window.outputSize(t.w))
        let dy = randomValues(t.n * t.o * oh * ow, using: g)

        let expected = Reference.conv2d(x.map(Double.init), t.input, weight: w.map(Double.init),
                                        bias: b.map(Double.init), outChannels: t.o, window: t.window)
        let grads = Reference.conv2dBackward(dy: dy.map(Double.init), x.map(Double.init), t.input,
                                             weight: w.map(Double.init), outChannels: t.o, window: t.window)
        for threads in [1, 2, 3] {
            var y = [Float](repeating: .nan, count: expected.count)
            Kernels.conv2dForward(x: x, t.input, weight: w, bias: b, outChannels: t.o, window: t.window, y: &y, threads: threads)
            #expect(worstError(y, expected, atol: 1e-5, rtol: 1e-5) <= 1, "forward, \(threads) threads")

            var dx = [Float](repeating: .nan, count: x.count)
            Kernels.conv2dBackwardInput(dy: dy, weight: w, outChannels: t.o, window: t.window, dx: &dx, t.input, threads: threads)
            #expect(worstError(dx, grads.dx, atol: 1e-5, rtol: 1e-5) <= 1, "input gradient, \(threads) threads")

            var dw = [Float](repeating: .nan, count: w.count), db = [Float](repeating: .nan, count: t.o)
            Kernels.conv2dBackwardWeight(dy: dy, x: x, t.input, outChannels: t.o, window: t.window,
                                         dweight: &dw, dbias: &db, threads: threads)
            #expect(worstError(dw, grads.dweight, atol: 1e-4, rtol: 1e-5) <= 1, "weight gradient, \(threads) threads")
            #expect(worstError(db, grads.dbias, atol: 1e-4, rtol: 1e-5) <= 1, "bias gradient, \(threads) threads")
        }
    }

    @Test(arguments: cases.prefix(8))
    func gradientsMatchCentralDifferences(_ t: Case) throws {
        let g = RandomGenerator(seed: 5)
        let result = try gradientCheck(inputs: [
            CheckedInput(t.input.shape, using: g),
            CheckedInput([t.o, t.c, t.k, t.k], using: g),
            CheckedInput([t.o], using: g),
        ]) { xs in
            try conv2d(xs[0], weight: xs[1], bias: xs[2], stride: t.stride, padding: t.padding)
        } reference: { xs in
            Reference.conv2d(xs[0], t.input, weight: xs[1], bias: xs[2], outChannels: t.o, window: t.window)
        }
        #expect(result.passed, "\(result)")
    }

    @Test func sameBitsForEveryThreadCount() throws {
        let g = RandomGenerator(seed: 9)
        let x = Tensor.uniform([13, 6, 14, 14], -1, 1, using: g)
        let w = Tensor.uniform([16, 6, 5, 5], -1, 1, requiresGrad: true, using: g)
        func run(_ threads: Int) throws -> ([Float], [Float]) {
            try Parallel.$threadCount.withValue(threads) {
                let y = try conv2d(x, weight: w)
                w.zeroGrad()
                y.sum().backward()
                return (y.scalars, w.grad!.scalars)
            }
        }
        let one = try run(1)
        for threads in [2, 4] {
            let other = try run(threads)
            #expect(other.0 == one.0 && other.1 == one.1, "\(threads) threads")
        }
    }

    @Test func mismatchedChannelsNameBothShapes() {
        let x = Tensor(zeros: [1, 3, 8, 8]), w = Tensor(zeros: [4, 2, 3, 3])
        #expect(throws: ShapeError("conv2d with weight [4, 2, 3, 3] expects 2 input channels, got input [1, 3, 8, 8]")) {
            try conv2d(x, weight: w)
        }
    }
}
