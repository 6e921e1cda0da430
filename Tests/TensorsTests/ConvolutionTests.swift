import Testing
@testable import Tensors
import TestSupport

/// Convolution forward and both backward kernels, by every algorithm, against the plain loops
/// on awkward shapes, and the op's gradients against central differences of the reference in
/// Double.
@Suite struct ConvolutionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var n, c, h, w, o, k, stride, padding: Int
        var testDescription: String { "N\(n) C\(c) \(h)x\(w) -> O\(o) k\(k) s\(stride) p\(padding)" }
        var input: ImageBatch { ImageBatch(n: n, c: c, h: h, w: w) }
        var window: Window { Window(size: k, stride: stride, padding: padding) }
        var geometry: ConvGeometry { ConvGeometry(input, outChannels: o, window: window) }
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
        // Wide rows (tiles of 32 outputs along a row), a long flat 1×1 plane, a weight large
        // enough for the GEMM weight gradient, channels not a multiple of 8. (Sums longer than
        // one KC slice of the GEMM are `longSumsRunInChunks`'.)
        Case(n: 2, c: 3, h: 9, w: 40, o: 9, k: 3, stride: 1, padding: 1),
        Case(n: 1, c: 2, h: 5, w: 33, o: 17, k: 1, stride: 1, padding: 0),
        Case(n: 2, c: 30, h: 6, w: 19, o: 70, k: 3, stride: 1, padding: 1),
        Case(n: 3, c: 3, h: 6, w: 20, o: 5, k: 5, stride: 1, padding: 2),
        Case(n: 2, c: 4, h: 17, w: 17, o: 6, k: 3, stride: 2, padding: 1),
        // Stride 1 on a small map with many channels (the packed GEMM forward, as GoogLeNet's 6×6).
        Case(n: 3, c: 8, h: 6, w: 6, o: 40, k: 3, stride: 1, padding: 1),
        // 32 output channels or more: the direct weight gradient's 8-tap × 32-channel tiles, with
        // channels past a multiple of 32 and taps past a multiple of 8, on a flat 1×1 plane too.
        Case(n: 3, c: 3, h: 5, w: 7, o: 33, k: 3, stride: 1, padding: 1),
        Case(n: 2, c: 5, h: 7, w: 9, o: 32, k: 1, stride: 1, padding: 0),
        // channelLanes' tiles across the images of a group (3×3 planes, 8 to a group, the second
        // group partial), and with stride 2, channels past a multiple of 32.
        Case(n: 11, c: 5, h: 3, w: 3, o: 40, k: 3, stride: 1, padding: 1),
        Case(n: 3, c: 4, h: 11, w: 11, o: 36, k: 3, stride: 2, padding: 1),
        // channelLanes' classes of positions by the taps inside the image: padding as large as
        // the kernel (corner outputs with no tap inside, only the bias), and a 7×7 stride-2 stem.
        Case(n: 4, c: 2, h: 4, w: 5, o: 33, k: 3, stride: 1, padding: 3),
        Case(n: 3, c: 1, h: 19, w: 18, o: 32, k: 7, stride: 2, padding: 3),
        // Part-filled tiles of channelLanes' classes mixed into one class of every tap (9×9,
        // 5×5, padding 2: 2 images a group, the last group of one).
        Case(n: 3, c: 2, h: 9, w: 9, o: 33, k: 5, stride: 1, padding: 2),
        // The direct forward's classes of tile rows: padding past the kernel, so that a whole
        // two-row tile has no tap inside (its outputs are the bias), and a 6-row tile.
        Case(n: 2, c: 2, h: 3, w: 3, o: 4, k: 2, stride: 1, padding: 3),
        // channelLanes' weight gradient over more than one chunk of 1,024 rows of dy: 37×35
        // positions, 37 channels (a block of 32 and 5 past it; 16 positions at a time and a
        // tail); and stride 2 with 14 channels (tiles of 16 lanes) over 35×34 positions.
        Case(n: 2, c: 2, h: 37, w: 35, o: 37, k: 3, stride: 1, padding: 1),
        Case(n: 2, c: 3, h: 69, w: 67, o: 14, k: 3, stride: 2, padding: 1),
        // The direct weight gradient over a plane whose block does not fit in L1, in chunks
        // (three, the last shorter), as VGG's first layer.
        Case(n: 2, c: 1, h: 50, w: 47, o: 7, k: 3, stride: 1, padding: 1),
        // A 1×1 layer on a plane of 256 positions or more, which the chooser runs as a matrix
        // product per image in every pass (im2colGEMM), with 6 or more input channels.
        Case(n: 2, c: 7, h: 17, w: 16, o: 9, k: 1, stride: 1, padding: 0),
        // A 1×1 weight gradient on a plane under 16 positions, which the chooser runs by packed
        // (one GEMM over the images of each of 2 slices of 100).
        Case(n: 200, c: 3, h: 3, w: 5, o: 5, k: 1, stride: 1, padding: 0),
        // No padding: channelLanes reads whole groups of images in place (GoogLeNet's 1×1 layers
        // at 3²: 8 images a group) and copies a last group of fewer (here 3).
        Case(n: 11, c: 5, h: 3, w: 3, o: 40, k: 1, stride: 1, padding: 0),
        // channelLanes' forward in 6-position × 64-channel tiles: output channels in blocks of 64 (classes
        // of positions not a multiple of 6, rows of 7 inside, 3 images; a 1×1 layer read in
        // place; and stride 2 with 128), and an input gradient, run as a forward, onto 64
        // input channels.
        Case(n: 3, c: 3, h: 6, w: 9, o: 64, k: 3, stride: 1, padding: 1),
        Case(n: 3, c: 5, h: 7, w: 7, o: 64, k: 1, stride: 1, padding: 0),
        Case(n: 2, c: 3, h: 9, w: 9, o: 128, k: 3, stride: 2, padding: 1),
        Case(n: 2, c: 64, h: 5, w: 7, o: 5, k: 3, stride: 1, padding: 1),
        // The same tiles in channelLanes' weight gradient (6 taps by 64 channels) over more than
        // one chunk of 1,024 rows of dy.
        Case(n: 2, c: 2, h: 33, w: 35, o: 64, k: 3, stride: 1, padding: 1),
        // LeNet's two layers, the first also over more than one group of images per slice of
        // the direct weight gradient (a group of one at 28², 9 images in 3 slices).
        Case(n: 3, c: 1, h: 28, w: 28, o: 6, k: 5, stride: 1, padding: 2),
        Case(n: 9, c: 1, h: 28, w: 28, o: 6, k: 5, stride: 1, padding: 2),
        Case(n: 3, c: 6, h: 14, w: 14, o: 16, k: 5, stride: 1, padding: 0),
        // channelLanes' forward in segments of 10 (`ChannelLaneSegments`; LeNet's second layer
        // above is one, 6 × 20 rows with padding 2 another): an odd number of segments, the last
        // tile's second the first again, not stored; 7 channels, inside a zero border. Its
        // input gradient, a forward onto 3 channels, runs in segments too.
        Case(n: 2, c: 3, h: 7, w: 10, o: 7, k: 3, stride: 1, padding: 1),
        // channelLanes' input gradient with a stride, dx's channels in the lanes: 6 × 64 tiles
        // and 6 channels past them; 32 + 8 channels of a 1×1 stride-2 kernel (three of four
        // phases with no tap at all); a 4×4 kernel with stride 3 and odd sizes.
        Case(n: 2, c: 70, h: 9, w: 11, o: 5, k: 3, stride: 2, padding: 1),
        Case(n: 3, c: 40, h: 8, w: 7, o: 6, k: 1, stride: 2, padding: 0),
        Case(n: 2, c: 33, h: 10, w: 13, o: 3, k: 4, stride: 3, padding: 2),
        // channelLanes' weight gradient reading the images in place (each block of taps one
        // kernel tap of 8 or 6 channels): 11 images of 3² in a group of 14, and stride 2 in
        // tiles of 6 taps by 64 channels.
        Case(n: 11, c: 8, h: 3, w: 3, o: 40, k: 3, stride: 1, padding: 1),
        Case(n: 3, c: 6, h: 9, w: 11, o: 64, k: 3, stride: 2, padding: 1),
    ]

    /// Every algorithm on every case, each pass it supports, against the reference loops in
    /// Double; and the same bits for 1, 2 and 3 threads, and with `algorithm: nil` where the
    /// chooser picks this algorithm.
    @Test(arguments: cases, ConvolutionAlgorithm.allCases)
    func kernelsMatchReference(_ t: Case, _ algorithm: ConvolutionAlgorithm) {
        let g = RandomGenerator(seed: 11)
        let x = randomValues(t.input.n * t.input.image, using: g)
        let w = randomValues(t.o * t.c * t.k * t.k, using: g), b = randomValues(t.o, using: g)
        let (oh, ow) = (t.window.outputSize(t.h), t.window.outputSize(t.w))
        let dy = randomValues(t.n * t.o * oh * ow, using: g)

        let (xd, wd, dyd) = (x.map(Double.init), w.map(Double.init), dy.map(Double.init))
        let expected = Reference.conv2d(xd, t.input, weight: wd, bias: b.map(Double.init), outChannels: t.o, window: t.window)
        let expectedDx = Reference.conv2dBackwardInput(dy: dyd, t.input, weight: wd, outChannels: t.o, window: t.window)
        let (expectedDw, expectedDb) = Reference.conv2dBackwardWeight(dy: dyd, xd, t.input, outChannels: t.o, window: t.window)

        // The first result of each output; every other run must give the same bits.
        var firstValues: [String: [Float]] = [:]
        func expectSameBits(_ output: String, _ values: [Float], _ run: String) {
            if let first = firstValues[output] {
                let differing = differingBits(values, first)
                #expect(differing == 0, "\(output): \(run) differs from 1 thread in \(differing) of \(values.count) values")
            } else {
                firstValues[output] = values
            }
        }
        func runs(_ pass: ConvolutionAlgorithm.Pass) -> [(algorithm: ConvolutionAlgorithm?, threads: Int)] {
            guard algorithm.supports(pass, window: t.window) else { return [] }
            let chosen = ConvolutionAlgorithm.chosen(for: pass, t.input, outChannels: t.o, window: t.window)
            return [(algorithm, 1), (algorithm, 2), (algorithm, 3)] + (chosen == algorithm ? [(nil, 2)] : [])
        }
        let geometry = ConvGeometry(t.input, outChannels: t.o, window: t.window)
        let tolerance = Self.tolerance(algorithm, geometry)
        // The input gradient runs as the forward of dy (`inputGradientAsForward`), in its own tiles.
        let asForward = t.stride == 1 && t.padding < t.k
        let inputGradientTolerance = asForward ? Self.tolerance(algorithm, geometry.inputGradientAsForward) : tolerance

        for run in runs(.forward) {
            let name = "forward, \(run.algorithm.map { "\($0)" } ?? "chosen"), \(run.threads) threads"
            var y = [Float](repeating: .nan, count: expected.count)
            Kernels.conv2dForward(x: x, t.input, weight: w, bias: b, outChannels: t.o, window: t.window, y: &y,
                                  algorithm: run.algorithm, threads: run.threads)
            #expect(worstError(y, expected, atol: tolerance.values, rtol: 1e-5) <= 1, "\(name)")
            expectSameBits("y", y, name)
        }
        for run in runs(.inputGradient) {
            let name = "input gradient, \(run.algorithm.map { "\($0)" } ?? "chosen"), \(run.threads) threads"
            var dx = [Float](repeating: .nan, count: x.count)
            Kernels.conv2dBackwardInput(dy: dy, weight: w, outChannels: t.o, window: t.window, dx: &dx, t.input,
                                        algorithm: run.algorithm, threads: run.threads)
            #expect(worstError(dx, expectedDx, atol: inputGradientTolerance.values, rtol: 1e-5) <= 1, "\(name)")
            expectSameBits("dx", dx, name)
        }
        for run in runs(.weightGradient) {
            let name = "weight gradient, \(run.algorithm.map { "\($0)" } ?? "chosen"), \(run.threads) threads"
            var dw = [Float](repeating: .nan, count: w.count), db = [Float](repeating: .nan, count: t.o)
            Kernels.conv2dBackwardWeight(dy: dy, x: x, t.input, outChannels: t.o, window: t.window, dweight: &dw, dbias: &db,
                                         algorithm: run.algorithm, threads: run.threads)
            #expect(worstError(dw, expectedDw, atol: tolerance.sums, rtol: 1e-5) <= 1, "\(name)")
            #expect(worstError(db, expectedDb, atol: tolerance.sums, rtol: 1e-5) <= 1, "bias: \(name)")
            expectSameBits("dw", dw, name)
            expectSameBits("db", db, name)
        }
    }

    /// Sums longer than the GEMM's KC slice (512 terms), which the GEMM algorithms add slice by
    /// slice and the direct forward splits where they do; and channelLanes' forward, which sums
    /// more than 2,048 taps a chunk at a time over all of a class's tiles
    /// (`conv2dForwardChannelLanes`). These sums of 2,070 terms are 8 times as long as the
    /// longest of `cases`, so the tolerance is 4 times theirs; the worst error measured was
    /// 0.53 of it (the GEMM algorithms': 0.28).
    /// With 64 output channels, channelLanes sums in 6 × 64 tiles.
    @Test(arguments: ConvolutionAlgorithm.allCases.filter { $0 != .reference }, [33, 64])
    func longSumsRunInChunks(_ algorithm: ConvolutionAlgorithm, outChannels: Int) {
        let t = Case(n: 2, c: 230, h: 5, w: 6, o: outChannels, k: 3, stride: 1, padding: 1)
        forwardMatchesReference(t, seed: 12, algorithm: algorithm, atol: 4e-5)
    }

    /// A forward the chooser runs by Winograd (64 → 130 channels, a GEMM's ragged edge), on odd
    /// sizes whose last tiles hang past the plane, with 60 tiles cut mid-image into one chunk per
    /// thread: the plain sums' values, and the same bits for 1, 2 and 3 threads. (Its input
    /// gradient sums 1,170 terms, twice the longest of `cases`, hence not one of them.)
    @Test func winogradForwardInChunks() {
        let t = Case(n: 3, c: 64, h: 7, w: 9, o: 130, k: 3, stride: 1, padding: 1)
        #expect(ConvolutionAlgorithm.chosen(for: .forward, t.input, outChannels: t.o, window: t.window) == .winograd)
        forwardMatchesReference(t, seed: 13, algorithm: nil, atol: Self.tolerance(.winograd, t.geometry).values)
    }

    /// A forward and an input gradient the chooser runs by F(4×4, 3×3) (64 → 70 channels), on
    /// odd sizes whose last row and column of tiles hang past the plane (29 × 27: 8 × 7 tiles;
    /// 13 × 71: rows of 18 tiles, a run of 16 and one of 2, so that every lane holds a tile),
    /// cut mid-image into chunks: within twice F(4×4, 3×3)'s tolerance for sums of 576 and 630
    /// terms with values up to 36 (the worst measured: 1.01 of 2e-4), and the same bits for 1, 2
    /// and 3 threads.
    @Test(arguments: [(29, 27), (13, 71)])
    func winogradIn4x4TilesMatchesReference(height: Int, width: Int) {
        let t = Case(n: 3, c: 64, h: height, w: width, o: 70, k: 3, stride: 1, padding: 1)
        #expect(ConvolutionAlgorithm.chosen(for: .forward, t.input, outChannels: t.o, window: t.window) == .winograd)
        #expect(WinogradTiles.outputTile(t.geometry) == 4 && WinogradTiles.outputTile(t.geometry.inputGradientAsForward) == 4)
        forwardMatchesReference(t, seed: 17, algorithm: nil, atol: 2 * Self.tolerance(.winograd, t.geometry).values)
        let turned = t.geometry.inputGradientAsForward
        let gradient = Case(n: t.n, c: turned.input.c, h: turned.input.h, w: turned.input.w, o: turned.outChannels, k: 3,
                            stride: 1, padding: turned.window.padding)
        forwardMatchesReference(gradient, seed: 18, algorithm: .winograd, atol: 2 * Self.tolerance(.winograd, turned).values)
    }

    /// A 5×5 forward the chooser runs by F(2×2, 5×5) (64 → 130 channels, a GEMM's ragged
    /// edge), on odd sizes whose last tiles hang past the plane, cut into one chunk per thread:
    /// the plain sums' values, and the same bits for 1, 2 and 3 threads. Its sums of 1,600
    /// terms are 10.7 times as long as the longest 5×5 one of `cases` (its values reach
    /// 50), and its transforms' rounding grows with them: the worst error measured was 0.94 of
    /// 4 times their tolerance, so this takes 8 times it (0.47).
    @Test func winograd5x5ForwardInChunks() {
        let t = Case(n: 3, c: 64, h: 7, w: 9, o: 130, k: 5, stride: 1, padding: 2)
        #expect(ConvolutionAlgorithm.chosen(for: .forward, t.input, outChannels: t.o, window: t.window) == .winograd)
        forwardMatchesReference(t, seed: 16, algorithm: nil, atol: 8 * Self.tolerance(.winograd, t.geometry).values)
    }

    /// A weight gradient the chooser runs by Winograd, over 2 slices of images (3 and 2): in
    /// 2×2 tiles (17 × 21, which 4×4 tiles would cover 74% of), the first one's 297 tiles summed
    /// in two chunks of up to 256; in 4×4 tiles, its 168 in two of up to 128 (odd sizes: the
    /// last row and column of tiles hang past the plane). The plain sums' values, and the same
    /// bits for 1, 2 and 3 threads.
    @Test(arguments: [(17, 21, 2), (29, 27, 4)])
    func winogradWeightGradientInChunks(height: Int, width: Int, outputTile: Int) {
        let t = Case(n: 5, c: 64, h: height, w: width, o: 130, k: 3, stride: 1, padding: 1)
        #expect(ConvolutionAlgorithm.chosen(for: .weightGradient, t.input, outChannels: t.o, window: t.window) == .winograd)
        #expect(WinogradTiles.outputTile(t.geometry) == outputTile)
        weightGradientMatchesReference(t, seed: 14, algorithm: nil, atol: Self.tolerance(.winograd, t.geometry).sums)
    }

    /// channelLanes', direct's and Winograd's weight gradients sum the bias's from the copies
    /// of dy they read (channelLanes' transposed chunks of 1,024 positions, direct's planes,
    /// Winograd's transformed tiles), not in a pass of their own: over planes of 1,517 positions
    /// (two chunks an image; odd sizes, so Winograd's last tiles hang past the plane), 2 slices
    /// of images, channels in a block of 32 and one of 8, or of 64 (6 × 64 tiles) and one of 5
    /// (direct's blocks of 6, one of them part-filled). The plain sums' values, and the same
    /// bits for 1, 2 and 3 threads.
    @Test(arguments: [(ConvolutionAlgorithm.channelLanes, 40), (.channelLanes, 69), (.direct, 40), (.winograd, 40)])
    func weightGradientSumsTheBiasGradientFromItsCopiesOfDy(_ algorithm: ConvolutionAlgorithm, outChannels: Int) {
        let t = Case(n: 3, c: 2, h: 37, w: 41, o: outChannels, k: 3, stride: 1, padding: 1)
        weightGradientMatchesReference(t, seed: 15, algorithm: algorithm, atol: Self.tolerance(algorithm, t.geometry).sums)
    }

    /// The weight and bias gradients of `t` by `algorithm` (nil: the chooser's) on 1, 2 and 3
    /// threads: within `atol` (and rtol 1e-5) of the reference in Double, and the same bits each time.
    func weightGradientMatchesReference(_ t: Case, seed: UInt64, algorithm: ConvolutionAlgorithm?, atol: Double) {
        let g = RandomGenerator(seed: seed)
        let x = randomValues(t.input.n * t.input.image, using: g)
        let dy = randomValues(t.n * t.o * t.h * t.w, using: g)
        let (expectedDw, expectedDb) = Reference.conv2dBackwardWeight(dy: dy.map(Double.init), x.map(Double.init), t.input,
                                                                      outChannels: t.o, window: t.window)
        let name = algorithm.map { "\($0)" } ?? "chosen"
        var first: [Float]?
        for threads in [1, 2, 3] {
            var dw = [Float](repeating: .nan, count: expectedDw.count), db = [Float](repeating: .nan, count: t.o)
            Kernels.conv2dBackwardWeight(dy: dy, x: x, t.input, outChannels: t.o, window: t.window, dweight: &dw,
                                         dbias: &db, algorithm: algorithm, threads: threads)
            #expect(worstError(dw, expectedDw, atol: atol, rtol: 1e-5) <= 1, "\(name), \(threads) threads")
            #expect(worstError(db, expectedDb, atol: atol, rtol: 1e-5) <= 1, "bias: \(name), \(threads) threads")
            let differing = differingBits(dw + db, first ?? dw + db)
            #expect(differing == 0, "\(name): \(threads) threads differ from 1 in \(differing) of \(dw.count + db.count) values")
            first = first ?? dw + db
        }
    }

    /// The forward of `t` by `algorithm` (nil: the chooser's) on 1, 2 and 3 threads: within `atol`
    /// (and rtol 1e-5) of the reference in Double, and the same bits each time.
    func forwardMatchesReference(_ t: Case, seed: UInt64, algorithm: ConvolutionAlgorithm?, atol: Double) {
        let g = RandomGenerator(seed: seed)
        let x = randomValues(t.input.n * t.input.image, using: g)
        let w = randomValues(t.o * t.c * t.k * t.k, using: g), b = randomValues(t.o, using: g)
        let expected = Reference.conv2d(x.map(Double.init), t.input, weight: w.map(Double.init), bias: b.map(Double.init),
                                        outChannels: t.o, window: t.window)
        let name = algorithm.map { "\($0)" } ?? "chosen"
        var first: [Float]?
        for threads in [1, 2, 3] {
            var y = [Float](repeating: .nan, count: expected.count)
            Kernels.conv2dForward(x: x, t.input, weight: w, bias: b, outChannels: t.o, window: t.window, y: &y,
                                  algorithm: algorithm, threads: threads)
            #expect(worstError(y, expected, atol: atol, rtol: 1e-5) <= 1, "\(name), \(threads) threads")
            let differing = differingBits(y, first ?? y)
            #expect(differing == 0, "\(name): \(threads) threads differ from 1 in \(differing) of \(y.count) values")
            first = first ?? y
        }
    }

    /// Absolute tolerances against the Double reference (with rtol 1e-5): for y and dx, which sum
    /// C·K·K or O·K·K terms, and for the weight and bias gradients, which sum over every output
    /// position of the batch. The worst errors measured on these cases, in units of
    /// 1e-5 + 1e-5·|expected|: reference 0.41 (y), 0.69 (dx), 1.23 (dw); the others at most 0.40,
    /// 0.36, 0.61. The reference adds its Float terms one at a time, the others in blocks.
    /// Winograd's transforms add and subtract before and after its sums, yet F(2×2, 3×3)
    /// measured 0.46 (y) and 0.73 (dx) at 2 threads, where channelLanes measured 0.48 and 0.74.
    /// F(2×2, 5×5) rounds more: its Bᵀ multiplies a patch's values by up to 5 and adds ten of
    /// them along each axis, and G divides by up to 24, so each of its 36 places is a sum of
    /// larger terms that cancel in Aᵀ · A. On the 5×5 cases it measured 2.08 (y) and 3.14 (dx)
    /// in units of 1e-5 (a NumPy simulation in single precision gave 1.6 and 2.0 for y on two of
    /// these sizes, and about 15 times the direct sums' error with 96 channels), so its values
    /// have 5e-5. F(4×4, 3×3), the forward's (and input gradient's) 3×3 in 4×4 tiles
    /// (`WinogradTiles.outputTile`), has F(2×2, 5×5)'s Bᵀ and an Aᵀ that multiplies by 8:
    /// on these cases its worst errors were 2.74 and 2.26 times 2e-5 + 1e-5·|expected| (dx, sums
    /// of 576 and 333 terms; y's within 1), so its values have 2e-4. Its error goes with the
    /// size of the terms, not of each sum: on VGG's 128 → 128 at 28² (values up to 53) the worst
    /// was 5.4e-4, the root mean square 2.6e-5, against F(2×2, 3×3)'s 2.2e-5 and 3.9e-6 and
    /// channelLanes' 7.7e-5 and 6.6e-6 (about 5 parts in 10⁷ of the largest value). Its weight
    /// gradient rounds more: A dy Aᵀ and Bᵀ d B grow each term up to 225 and 100 times before
    /// Gᵀ S G divides by up to 576. Summed over every position it measured up to 1.43 times
    /// 3e-4 + 1e-5·|expected| (`winogradWeightGradientInChunks`, 5 images of 29 × 27 from 64
    /// channels) and 2.07 times 1e-4 + 1e-5·|expected| on 3 images of 37 × 41, so its sums have
    /// 6e-4.
    static func tolerance(_ algorithm: ConvolutionAlgorithm, _ g: ConvGeometry) -> (values: Double, sums: Double) {
        switch algorithm {
        case .reference: (2e-5, 1e-4)
        case .winograd where WinogradTiles.outputTile(g) == 4: (2e-4, 6e-4)
        case .winograd where g.window.size == 5: (5e-5, 1e-4)
        case .im2colGEMM, .packed, .direct, .channelLanes, .inputLanes, .winograd: (1e-5, 1e-4)
        }
    }

    /// The chooser names an algorithm that has the pass, and keeps the choices the bench made.
    @Test func chooserPicksSupportedAlgorithms() {
        for t in Self.cases {
            for pass in ConvolutionAlgorithm.Pass.allCases {
                let chosen = ConvolutionAlgorithm.chosen(for: pass, t.input, outChannels: t.o, window: t.window)
                #expect(chosen.supports(pass, window: t.window), "\(t.testDescription), \(pass): \(chosen)")
            }
        }
        func chosen(_ pass: ConvolutionAlgorithm.Pass, _ t: Case) -> ConvolutionAlgorithm {
            ConvolutionAlgorithm.chosen(for: pass, t.input, outChannels: t.o, window: t.window)
        }
        // LeNet's second forward by 16-lane tiles, which now beat direct's shifted rows (16
        // positions of its 10-wide rows in a vector: direct still runs them when asked); its input
        // gradient (14-wide rows, copies in L2) by direct's rows of the padded image.
        let leNet2 = Case(n: 256, c: 6, h: 14, w: 14, o: 16, k: 5, stride: 1, padding: 0)
        #expect(chosen(.forward, leNet2) == .channelLanes && chosen(.weightGradient, leNet2) == .channelLanes)
        let leNet2Geometry = ConvGeometry(leNet2.input, outChannels: 16, window: leNet2.window)
        #expect(ShiftedRows.laneFill(leNet2Geometry) == 100.0 / 112)
        let leNet2Gradient = ConvGeometry(ImageBatch(n: 256, c: 16, h: 10, w: 10), outChannels: 6,
                                          window: Window(size: 5, stride: 1, padding: 4))
        #expect(ShiftedRows.laneFill(leNet2Gradient) == nil)
        let leNet1 = Case(n: 256, c: 1, h: 28, w: 28, o: 6, k: 5, stride: 1, padding: 2)
        #expect(chosen(.forward, leNet1) == .direct)
        #expect(chosen(.inputGradient, leNet2) == .direct && chosen(.inputGradient, leNet1) == .packed)
        // Few output channels from many: NiN's last layer (384 → 10) by dot products over the
        // input channels, forward and weight gradient; its input gradient by 16-lane tiles of
        // its 384 channels.
        let ninLast = Case(n: 128, c: 384, h: 5, w: 5, o: 10, k: 3, stride: 1, padding: 1)
        #expect(chosen(.forward, ninLast) == .inputLanes && chosen(.weightGradient, ninLast) == .inputLanes)
        #expect(chosen(.inputGradient, ninLast) == .channelLanes)
        // Not for a 1×1 weight gradient (the copy costs as much as the sums), nor for a forward
        // of short dot products (3×3 from 128 channels: 1,152 terms).
        let googLeNetReduce = Case(n: 128, c: 480, h: 6, w: 6, o: 16, k: 1, stride: 1, padding: 0)
        #expect(chosen(.weightGradient, googLeNetReduce) != .inputLanes && chosen(.forward, googLeNetReduce) != .inputLanes)
        // A 1×1 layer without padding is one long row to direct: 144 of 160 lanes at 12² beat
        // 16-lane tiles; 36 of 64 at 6² do not; NiN's 10 channels at 5² fill 25 of 32.
        #expect(chosen(.forward, googLeNetReduce) == .channelLanes)
        #expect(chosen(.forward, Case(n: 128, c: 192, h: 12, w: 12, o: 16, k: 1, stride: 1, padding: 0)) == .direct)
        #expect(chosen(.forward, Case(n: 128, c: 10, h: 5, w: 5, o: 10, k: 1, stride: 1, padding: 0)) == .direct)
        let short = Case(n: 128, c: 128, h: 12, w: 12, o: 16, k: 3, stride: 1, padding: 1)
        #expect(chosen(.forward, short) != .inputLanes && chosen(.weightGradient, short) == .inputLanes)
        let vgg2 = Case(n: 128, c: 16, h: 112, w: 112, o: 32, k: 3, stride: 1, padding: 1)
        #expect(chosen(.inputGradient, vgg2) == .winograd && chosen(.forward, vgg2) == .winograd)
        #expect(chosen(.weightGradient, vgg2) == .channelLanes)
        let vgg1 = Case(n: 128, c: 1, h: 224, w: 224, o: 16, k: 3, stride: 1, padding: 1)
        #expect(chosen(.forward, vgg1) == .direct && chosen(.weightGradient, vgg1) == .direct)
        // 3×3 stride 1: all three passes by Winograd with many channels on planes of 6² or
        // more; the forward and the input gradient also with fewer channels on rows that fill its
        // lanes, or in 4×4 tiles (VGG's 16 → 32 at 112², DenseNet's 160 → 32 at 12²), and the
        // weight gradient where its 4×4 tiles' rows do (VGG's 56²); none with few channels on
        // narrow rows in 2×2 tiles (DenseNet's 6²), or on 3².
        let inception = Case(n: 128, c: 96, h: 12, w: 12, o: 128, k: 3, stride: 1, padding: 1)
        #expect(chosen(.forward, inception) == .winograd && chosen(.weightGradient, inception) == .winograd)
        #expect(chosen(.inputGradient, inception) == .winograd)
        let alexNet4 = Case(n: 128, c: 384, h: 12, w: 12, o: 384, k: 3, stride: 1, padding: 1)
        #expect(chosen(.forward, alexNet4) == .winograd && chosen(.inputGradient, alexNet4) == .winograd)
        #expect(chosen(.weightGradient, alexNet4) == .winograd)
        let vgg3 = Case(n: 128, c: 32, h: 56, w: 56, o: 64, k: 3, stride: 1, padding: 1)
        #expect(chosen(.forward, vgg3) == .winograd && chosen(.inputGradient, vgg3) == .winograd)
        #expect(chosen(.weightGradient, vgg3) == .winograd)
        // The weight gradient in 4×4 tiles also from 64 channels on each side on narrower rows
        // (ResNet's 64 → 64 at 24²), not with 32 (DenseNet's 128 → 32 there).
        #expect(chosen(.weightGradient, Case(n: 256, c: 64, h: 24, w: 24, o: 64, k: 3, stride: 1, padding: 1)) == .winograd)
        #expect(chosen(.weightGradient, Case(n: 256, c: 128, h: 24, w: 24, o: 32, k: 3, stride: 1, padding: 1)) == .channelLanes)
        let denseNet12x12 = Case(n: 256, c: 160, h: 12, w: 12, o: 32, k: 3, stride: 1, padding: 1)
        #expect(chosen(.forward, denseNet12x12) == .winograd && chosen(.inputGradient, denseNet12x12) == .winograd)
        #expect(chosen(.weightGradient, denseNet12x12) == .channelLanes)
        let denseNet6x6 = Case(n: 256, c: 184, h: 6, w: 6, o: 32, k: 3, stride: 1, padding: 1)
        #expect(chosen(.weightGradient, denseNet6x6) == .inputLanes && chosen(.forward, denseNet6x6) != .inputLanes)
        #expect(chosen(.forward, denseNet6x6) == .channelLanes && chosen(.inputGradient, denseNet6x6) == .channelLanes)
        #expect(chosen(.forward, vgg1) != .winograd)
        let resNet3x3 = Case(n: 128, c: 512, h: 3, w: 3, o: 512, k: 3, stride: 1, padding: 1)
        #expect(chosen(.forward, resNet3x3) == .channelLanes && chosen(.inputGradient, resNet3x3) == .channelLanes)
        #expect(chosen(.weightGradient, resNet3x3) == .channelLanes)
        // 5×5 stride 1: the forward and input gradient by F(2×2, 5×5) with many channels
        // (AlexNet's second layer; LeNet's few are above); no weight gradient.
        let alexNet2 = Case(n: 128, c: 96, h: 26, w: 26, o: 256, k: 5, stride: 1, padding: 2)
        #expect(chosen(.forward, alexNet2) == .winograd && chosen(.inputGradient, alexNet2) == .winograd)
        #expect(chosen(.weightGradient, alexNet2) == .channelLanes)
        let googLeNet6x6 = Case(n: 128, c: 256, h: 6, w: 6, o: 256, k: 3, stride: 1, padding: 1)
        #expect(chosen(.forward, googLeNet6x6) == .winograd && chosen(.inputGradient, googLeNet6x6) == .winograd)
        #expect(chosen(.weightGradient, googLeNet6x6) == .winograd)
        // 1×1: a matrix product per image on large planes; channelLanes' lanes on small ones,
        // and for the weight gradient from 32 output channels (a matrix product per image with
        // fewer), but on 3² by packed's GEMM over the images.
        let nin = Case(n: 128, c: 96, h: 54, w: 54, o: 96, k: 1, stride: 1, padding: 0)
        #expect(chosen(.forward, nin) == .im2colGEMM && chosen(.inputGradient, nin) == .im2colGEMM)
        #expect(chosen(.weightGradient, nin) == .channelLanes)
        let oneByOneTo16 = Case(n: 128, c: 192, h: 12, w: 12, o: 16, k: 1, stride: 1, padding: 0)
        #expect(chosen(.weightGradient, oneByOneTo16) == .im2colGEMM)
        let googLeNet6x6OneByOne = Case(n: 128, c: 480, h: 6, w: 6, o: 192, k: 1, stride: 1, padding: 0)
        #expect(chosen(.weightGradient, googLeNet6x6OneByOne) == .channelLanes)
        let googLeNet3x3OneByOne = Case(n: 128, c: 832, h: 3, w: 3, o: 256, k: 1, stride: 1, padding: 0)
        #expect(chosen(.forward, googLeNet3x3OneByOne) == .channelLanes && chosen(.inputGradient, googLeNet3x3OneByOne) == .channelLanes)
        #expect(chosen(.weightGradient, googLeNet3x3OneByOne) == .packed)
        let strided = Case(n: 2, c: 4, h: 17, w: 17, o: 6, k: 3, stride: 2, padding: 1)
        #expect(chosen(.forward, strided) == .packed && chosen(.weightGradient, strided) == .packed)
        #expect(chosen(.inputGradient, strided) == .packed)
        let resNetDown = Case(n: 128, c: 64, h: 24, w: 24, o: 128, k: 3, stride: 2, padding: 1)
        #expect(chosen(.forward, resNetDown) == .channelLanes && chosen(.weightGradient, resNetDown) == .channelLanes)
        #expect(chosen(.inputGradient, resNetDown) == .channelLanes)
        let resNetShortcut = Case(n: 128, c: 64, h: 24, w: 24, o: 128, k: 1, stride: 2, padding: 0)
        #expect(chosen(.inputGradient, resNetShortcut) == .packed)
    }

    /// Asking for a pass an algorithm lacks stops the program (direct is stride 1 only).
    @Test func unsupportedPassStops() async {
        await #expect(processExitsWith: .failure) {
            let w = [Float](repeating: 1, count: 9), dy = [Float](repeating: 1, count: 4)
            var dx = [Float](repeating: 0, count: 9)
            Kernels.conv2dBackwardInput(dy: dy, weight: w, outChannels: 1, window: Window(size: 3, stride: 2, padding: 1),
                                        dx: &dx, ImageBatch(n: 1, c: 1, h: 3, w: 3), algorithm: .direct)
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

    /// `thenReLU` is relu(conv2d(x)) in one op: the same bits forward and in all three gradients.
    /// (The first case, a single 1×1 weight, may not cross zero.)
    @Test(arguments: cases[1..<9])
    func thenReLUGivesTheTwoOpsBits(_ t: Case) throws {
        let g = RandomGenerator(seed: 10)
        let x = Tensor.uniform(t.input.shape, -1, 1, using: g), w = Tensor.uniform([t.o, t.c, t.k, t.k], -1, 1, using: g)
        let b = Tensor.uniform([t.o], -0.5, 0.5, using: g)
        let out = [t.input.n, t.o, t.window.outputSize(t.input.h), t.window.outputSize(t.input.w)]
        let seed = Tensor.uniform(Shape(out), -1, 1, using: g)
        func run(fused: Bool) throws -> [[Float]] {
            let (xs, ws, bs) = (Tensor(x.scalars, shape: x.shape), Tensor(w.scalars, shape: w.shape), Tensor(b.scalars, shape: b.shape))
            for t in [xs, ws, bs] { t.requiresGrad = true }
            let y = fused
                ? try conv2d(xs, weight: ws, bias: bs, stride: t.stride, padding: t.padding, thenReLU: true)
                : relu(try conv2d(xs, weight: ws, bias: bs, stride: t.stride, padding: t.padding))
            y.backward(seed: seed)
            return [y.scalars, xs.grad!.scalars, ws.grad!.scalars, bs.grad!.scalars]
        }
        let (fused, apart) = (try run(fused: true), try run(fused: false))
        #expect(fused[0].contains(0) && fused[0].contains { $0 > 0 }, "the ReLU cuts some values and passes others")
        for (name, pair) in zip(["y", "dx", "dw", "db"], zip(fused, apart)) { #expect(pair.0 == pair.1, "\(name) of \(t)") }
    }

    /// Random x, weight and bias for case t.
    static func operands(_ t: Case, using g: RandomGenerator) -> (x: Tensor, w: Tensor, b: Tensor) {
        (Tensor.uniform(t.input.shape, -1, 1, using: g), Tensor.uniform([t.o, t.c, t.k, t.k], -1, 1, using: g),
         Tensor.uniform([t.o], -0.5, 0.5, using: g))
    }

    /// A 2×2 pool and a 3×3 one with stride 2 and padding, those that fit `maps`, each with the
    /// number of its outputs.
    static func pools(over maps: ImageBatch) -> [(Window, Int)] {
        [Window(size: 2, stride: 2, padding: 0), Window(size: 3, stride: 2, padding: 1)].compactMap { pool in
            let (ph, pw) = (pool.outputSize(maps.h), pool.outputSize(maps.w))
            return ph > 0 && pw > 0 ? (pool, maps.n * maps.c * ph * pw) : nil
        }
    }

    /// The convolution, ReLU and max pool image by image (`conv2dReLUMaxPoolForward`) give the
    /// two ops' bits over the whole batch, outputs and winners, for 1 to 3 threads: 2×2 pools
    /// and 3×3 ones with stride 2 and padding, over maps of odd sizes. Where the batch goes by
    /// channelLanes, whose tiles run across a group of images, an image alone may round its
    /// sums apart (by an ulp or so): there the fused outputs are the same for every thread
    /// count, and close to the two ops'.
    @Test(arguments: cases[1..<cases.count])
    func convolutionReLUAndMaxPoolGiveTheTwoOpsBits(_ t: Case) throws {
        let (g, maps) = (RandomGenerator(seed: 11), ImageBatch(n: t.n, c: t.o, h: t.window.outputSize(t.h), w: t.window.outputSize(t.w)))
        let (x, w, b) = Self.operands(t, using: g)
        for (pool, pooled) in Self.pools(over: maps) {
            let full = Tensor(uninitialized: maps.shape)
            var (y, winners) = ([Float](repeating: 0, count: pooled), [Int32](repeating: 0, count: pooled))
            Kernels.conv2dForward(x: x.data, t.input, weight: w.data, bias: b.data, outChannels: t.o, window: t.window, y: full.data)
            Kernels.maxPoolForward(full.data, maps, window: pool, &y, argmax: &winners, thenReLU: true)
            let acrossImages = ConvolutionAlgorithm.chosen(for: .forward, t.input, outChannels: t.o, window: t.window) == .channelLanes
            var firstRun: [Float]?
            for threads in 1...3 {
                var (fusedY, fusedWinners) = ([Float](repeating: .nan, count: pooled), [Int32](repeating: -1, count: pooled))
                Kernels.conv2dReLUMaxPoolForward(x: x.data, t.input, weight: w.data, bias: b.data, outChannels: t.o, window: t.window,
                                                 pool: pool, y: &fusedY, argmax: &fusedWinners, threads: threads)
                let what = "\(t), pool \(pool.size) stride \(pool.stride), \(threads) threads"
                if acrossImages {
                    #expect(fusedY == (firstRun ?? fusedY), "\(what): the same for every thread count")
                    #expect(zip(fusedY, y).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "\(what)")
                } else {
                    #expect(fusedY == y && fusedWinners == winners, "\(what)")
                }
                firstRun = firstRun ?? fusedY
            }
        }
    }

    /// Where the convolution goes by direct's tiles of one row, the fused forward convolves and
    /// pools a strip of rows at a time (`poolsInStrips`): the two ops' bits, outputs and winners,
    /// for 1 to 3 threads. Strips of 8 rows over 24 and 20 pooled rows (the last part-filled),
    /// pooled rows of 32 written past the caches (aligned buffers); 12-row strips over 28 rows
    /// and a 9th channel in a tile of its own, pooled rows of 35 and 18 (vectors and a tail);
    /// odd map heights, whose last row the pool leaves out.
    @Test(arguments: [Case(n: 2, c: 1, h: 25, w: 64, o: 16, k: 3, stride: 1, padding: 1),
                      Case(n: 3, c: 2, h: 21, w: 64, o: 16, k: 3, stride: 1, padding: 1),
                      Case(n: 2, c: 3, h: 29, w: 70, o: 9, k: 3, stride: 1, padding: 1),
                      Case(n: 3, c: 2, h: 13, w: 37, o: 5, k: 3, stride: 1, padding: 1)])
    func convolutionReLUAndMaxPoolInStripsGiveTheTwoOpsBits(_ t: Case) throws {
        let (g, maps) = (RandomGenerator(seed: 14), ImageBatch(n: t.n, c: t.o, h: t.window.outputSize(t.h), w: t.window.outputSize(t.w)))
        let pool = Window(size: 2, stride: 2, padding: 0)
        #expect(Kernels.poolsInStrips(t.input, outChannels: t.o, window: t.window, pool: pool), "\(t) goes in strips")
        let (x, w, b) = Self.operands(t, using: g)
        let pooled = maps.n * maps.c * (maps.h / 2) * (maps.w / 2)
        let full = Tensor(uninitialized: maps.shape)
        var (y, winners) = ([Float](repeating: 0, count: pooled), [Int32](repeating: 0, count: pooled))
        Kernels.conv2dForward(x: x.data, t.input, weight: w.data, bias: b.data, outChannels: t.o, window: t.window, y: full.data)
        Kernels.maxPoolForward(full.data, maps, window: pool, &y, argmax: &winners, thenReLU: true)
        for threads in 1...3 {
            // 64-byte aligned, as a tensor's storage, so that whole rows of vectors stream.
            let (fusedY, fusedWinners) = (Storage(uninitializedCount: pooled), Storage(uninitializedCount: pooled))
            fusedY.pointer.update(repeating: .nan, count: pooled)
            let indices = UnsafeMutableRawPointer(fusedWinners.pointer).bindMemory(to: Int32.self, capacity: pooled)
            indices.update(repeating: -1, count: pooled)
            Kernels.conv2dReLUMaxPoolForward(x: x.data, t.input, weight: w.data, bias: b.data, outChannels: t.o, window: t.window,
                                             pool: pool, y: fusedY.pointer, argmax: indices, threads: threads)
            #expect(Array(UnsafeBufferPointer(start: fusedY.pointer, count: pooled)) == y, "\(t), \(threads) threads")
            #expect(Array(UnsafeBufferPointer(start: indices, count: pooled)) == winners, "\(t), \(threads) threads")
            _ = UnsafeMutableRawPointer(indices).bindMemory(to: Float.self, capacity: pooled)
        }
    }

    /// The weight gradient of the convolution, ReLU and max pool from the pool's gradient
    /// (`conv2dReLUMaxPoolWeightGradient`) gives the bits of the pool's backward, then the
    /// convolution's weight gradient, for 1 to 3 threads: 2×2 pools over rows of 32 maps or
    /// more, whose direct weight gradient reads the pool's gradient unpooled into its own copy
    /// (the wide rows, and the plane in chunks).
    @Test func convolutionReLUAndMaxPoolWeightGradientGivesTheTwoOpsBits() throws {
        var tested = 0
        for t in Self.cases {
            let (g, maps) = (RandomGenerator(seed: 12), ImageBatch(n: t.n, c: t.o, h: t.window.outputSize(t.h), w: t.window.outputSize(t.w)))
            let (x, w, b) = Self.operands(t, using: g)
            for (pool, pooled) in Self.pools(over: maps)
                where Kernels.unpoolsIntoWeightGradient(t.input, outChannels: t.o, window: t.window, pool: pool) {
                var (y, winners) = ([Float](repeating: 0, count: pooled), [Int32](repeating: 0, count: pooled))
                Kernels.conv2dReLUMaxPoolForward(x: x.data, t.input, weight: w.data, bias: b.data, outChannels: t.o, window: t.window,
                                                 pool: pool, y: &y, argmax: &winners)
                let dy = Tensor.uniform([pooled], -1, 1, using: g)
                let gradient = Tensor(uninitialized: maps.shape)
                Kernels.maxPoolBackward(dy.data, argmax: winners, maps, window: pool, gradient.data)
                var (dw, db) = ([Float](repeating: 0, count: w.count), [Float](repeating: 0, count: t.o))
                Kernels.conv2dBackwardWeight(dy: gradient.data, x: x.data, t.input, outChannels: t.o, window: t.window, dweight: &dw, dbias: &db)
                for threads in 1...3 {
                    var (fusedDw, fusedDb) = ([Float](repeating: .nan, count: w.count), [Float](repeating: .nan, count: t.o))
                    Kernels.conv2dReLUMaxPoolWeightGradient(dy: dy.data, argmax: winners, x: x.data, t.input, outChannels: t.o,
                                                            window: t.window, pool: pool, dweight: &fusedDw, dbias: &fusedDb,
                                                            threads: threads)
                    #expect(fusedDw == dw && fusedDb == db, "\(t), pool \(pool.size), \(threads) threads")
                }
                tested += 1
            }
        }
        #expect(tested >= 2, "the cases hold maps wide enough for the weight gradient from the pool's")
    }

    /// `conv2dReLUMaxPool2d` on maps large enough to run image by image in cache (VGG's first
    /// layer's way, 16 × 182² floats an image) gives the bits of conv2d, relu and maxPool2d,
    /// forward and in every gradient: with the input's gradient (the two ops' passes) and
    /// without it (the weight gradient from the pool's), and with only the input's.
    @Test func convolutionReLUAndMaxPoolOpGivesTheThreeOpsBits() throws {
        let g = RandomGenerator(seed: 13)
        let x = Tensor.uniform([2, 1, 182, 182], -1, 1, using: g), w = Tensor.uniform([16, 1, 3, 3], -1, 1, using: g)
        let b = Tensor.uniform([16], -0.5, 0.5, using: g)
        let input = ImageBatch(x.shape), window = Window(size: 3, stride: 1, padding: 1)
        #expect(Kernels.fusesConvolutionAndPool(input, outChannels: 16, window: window, pool: Window(size: 2, stride: 2, padding: 0)))
        #expect(Kernels.unpoolsIntoWeightGradient(input, outChannels: 16, window: window, pool: Window(size: 2, stride: 2, padding: 0)))
        let seed = Tensor.uniform([2, 16, 91, 91], -1, 1, using: g)
        func run(fused: Bool, gradients: (x: Bool, parameters: Bool)) throws -> [[Float]] {
            let (xs, ws, bs) = (Tensor(x.scalars, shape: x.shape), Tensor(w.scalars, shape: w.shape), Tensor(b.scalars, shape: b.shape))
            xs.requiresGrad = gradients.x
            for t in [ws, bs] { t.requiresGrad = gradients.parameters }
            let y = fused
                ? try conv2dReLUMaxPool2d(xs, weight: ws, bias: bs, padding: 1, poolSize: 2)
                : try maxPool2d(relu(try conv2d(xs, weight: ws, bias: bs, padding: 1)), kernelSize: 2)
            y.backward(seed: seed)
            return [y.scalars] + [xs, ws, bs].map { $0.grad?.scalars ?? [] }
        }
        for gradients in [(x: true, parameters: true), (x: false, parameters: true), (x: true, parameters: false)] {
            let (fused, apart) = (try run(fused: true, gradients: gradients), try run(fused: false, gradients: gradients))
            for (name, pair) in zip(["y", "dx", "dw", "db"], zip(fused, apart)) {
                let same = pair.0 == pair.1
                #expect(same, "\(name), gradients of \(gradients)")
            }
            #expect(fused[1].isEmpty != gradients.x && fused[2].isEmpty != gradients.parameters)
        }
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
