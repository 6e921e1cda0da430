/// A convolution is a matrix multiplication in disguise.
///
/// Number the output positions of the whole batch as columns j = (image i, oy, ox). The im2col
/// matrix col (C·K·K rows (c, ki, kj), N·OH·OW columns) holds in column j the receptive field of
/// output position j:  col[(c, ki, kj), j] = x[i, c, oy·s − p + ki, ox·s − p + kj]  (0 outside).
/// Then
///     forward:          y    (O, columns) = w (O, C·K·K) · col           + bias
///     input gradient:   dcol (C·K·K, columns) = wᵀ · dy, then col2im adds dcol into dx
///     weight gradient:  dw   (O, C·K·K) = dy · colᵀ
/// where y and dy are read and written as (O, columns) matrices although they are stored NCHW.
///
/// The entry points below hand each pass to one of the algorithms of `ConvolutionAlgorithm`,
/// each in its own file: `Reference.conv2d`'s seven plain loops; im2col + GEMM, building col
/// (Im2colConvolution.swift); packed, the GEMM reading col's panels straight from the images
/// (PackedConvolution.swift); direct, for stride 1 (DirectConvolution.swift, and ShiftedRows.swift
/// for narrow planes); channelLanes (ChannelLanesConvolution.swift); inputLanes
/// (InputLanesConvolution.swift); and Winograd's, for 3×3 and 5×5 with stride 1
/// (WinogradConvolution.swift).
///
/// Every algorithm sums each output element in an order set by the sizes alone, so the result is
/// the same for every thread count.
extension Kernels {
    /// x is (N, C, H, W), weight is (O, C, K, K), bias is (O) or nil; writes y, (N, O, OH, OW).
    /// `algorithm` nil: `ConvolutionAlgorithm.chosen(for: .forward, ...)`.
    package static func conv2dForward(
        x: UnsafePointer<Float>, _ input: ImageBatch, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, outChannels o: Int, window: Window,
        y: UnsafeMutablePointer<Float>, algorithm: ConvolutionAlgorithm? = nil, threads: Int = Parallel.threadCount
    ) {
        let g = ConvGeometry(input, outChannels: o, window: window)
        switch ConvolutionAlgorithm.resolved(algorithm, for: .forward, g) {
        case .reference: conv2dForwardReference(x: x, g, weight: weight, bias: bias, y: y)
        case .im2colGEMM: conv2dForwardIm2col(x: x, g, weight: weight, bias: bias, y: y, threads: threads)
        case .packed: conv2dForwardPacked(x: x, g, weight: weight, bias: bias, y: y, threads: threads)
        case .direct: conv2dForwardDirect(x: x, g, weight: weight, bias: bias, y: y, threads: threads)
        case .channelLanes: conv2dForwardChannelLanes(x: x, g, weight: weight, bias: bias, y: y, threads: threads)
        case .inputLanes: conv2dForwardInputLanes(x: x, g, weight: weight, bias: bias, y: y, threads: threads)
        case .winograd: conv2dForwardWinograd(x: x, g, weight: weight, bias: bias, y: y, threads: threads)
        }
    }

    /// dy is (N, O, OH, OW), weight is (O, C, K, K); writes dx, (N, C, H, W).
    /// `algorithm` nil: `ConvolutionAlgorithm.chosen(for: .inputGradient, ...)`.
    package static func conv2dBackwardInput(
        dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, outChannels o: Int, window: Window,
        dx: UnsafeMutablePointer<Float>, _ input: ImageBatch, algorithm: ConvolutionAlgorithm? = nil,
        threads: Int = Parallel.threadCount
    ) {
        let g = ConvGeometry(input, outChannels: o, window: window)
        let algorithm = ConvolutionAlgorithm.resolved(algorithm, for: .inputGradient, g)
        switch algorithm {
        case .reference: conv2dBackwardInputReference(dy: dy, weight: weight, g, dx: dx)
        case .im2colGEMM: conv2dBackwardInputIm2col(dy: dy, weight: weight, g, dx: dx, threads: threads)
        case .packed: conv2dBackwardInputPacked(dy: dy, weight: weight, g, dx: dx, threads: threads)
        case .channelLanes where window.stride > 1 || window.padding >= window.size:
            conv2dBackwardInputChannelLanes(dy: dy, weight: weight, g, dx: dx, threads: threads)
        case .direct, .channelLanes, .winograd, .inputLanes:
            conv2dBackwardInputAsForward(dy: dy, weight: weight, g, dx: dx, algorithm: algorithm, threads: threads)
        }
    }

    /// The input gradient of a stride-1 convolution as a forward convolution:
    ///     dx[c, iy, ix] = Σ over o, ki, kj of dy[o, iy + p − ki, ix + p − kj] · w[o, c, ki, kj]
    /// is the convolution of dy, padded by k − 1 − p, with kernels w'[c, o] = w[o, c] turned 180°,
    /// computed by `algorithm`'s forward kernel. No col2im: each dx element is one sum.
    static func conv2dBackwardInputAsForward(
        dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, _ g: ConvGeometry,
        dx: UnsafeMutablePointer<Float>, algorithm: ConvolutionAlgorithm, threads: Int
    ) {
        let (o, c, taps) = (g.outChannels, g.input.c, g.window.size * g.window.size)
        let turned = Storage(uninitializedCount: c * o * taps)
        for oc in 0..<o {
            for ic in 0..<c {
                let src = weight + (oc * c + ic) * taps, dst = turned.pointer + (ic * o + oc) * taps
                for t in 0..<taps { dst[taps - 1 - t] = src[t] }
            }
        }
        let forward = g.inputGradientAsForward
        conv2dForward(x: dy, forward.input, weight: turned.pointer, bias: nil, outChannels: c, window: forward.window, y: dx,
                      algorithm: algorithm, threads: threads)
        withExtendedLifetime(turned) {}
    }

    /// dy is (N, O, OH, OW), x is (N, C, H, W); writes dweight (O, C, K, K) and dbias (O).
    /// `algorithm` nil: `ConvolutionAlgorithm.chosen(for: .weightGradient, ...)`.
    package static func conv2dBackwardWeight(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ input: ImageBatch, outChannels o: Int,
        window: Window, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?,
        algorithm: ConvolutionAlgorithm? = nil, threads: Int = Parallel.threadCount
    ) {
        let g = ConvGeometry(input, outChannels: o, window: window)
        switch ConvolutionAlgorithm.resolved(algorithm, for: .weightGradient, g) {
        case .reference:
            conv2dBackwardWeightReference(dy: dy, x: x, g, dweight: dweight, dbias: dbias)
        case .im2colGEMM:
            summingSlices(dy: dy, g, dweight: dweight, dbias: dbias, threads: threads) { slices, outputs, _ in
                conv2dBackwardWeightIm2col(dy: dy, x: x, g, slices: slices, outputs: outputs, threads: threads)
            }
        case .packed:
            summingSlices(dy: dy, g, dweight: dweight, dbias: dbias, threads: threads) { slices, outputs, _ in
                conv2dBackwardWeightPacked(dy: dy, x: x, g, slices: slices, outputs: outputs, threads: threads)
            }
        case .direct:
            summingSlices(dy: dy, g, dweight: dweight, dbias: dbias, threads: threads, biasInKernel: true) { slices, outputs, biasOutputs in
                conv2dBackwardWeightDirect(dy: dy, x: x, g, slices: slices, outputs: outputs, biasOutputs: biasOutputs, threads: threads)
            }
        case .channelLanes:
            summingSlices(dy: dy, g, dweight: dweight, dbias: dbias, threads: threads, biasInKernel: true) { slices, outputs, biasOutputs in
                conv2dBackwardWeightChannelLanes(dy: dy, x: x, g, slices: slices, outputs: outputs, biasOutputs: biasOutputs,
                                                 threads: threads)
            }
        case .inputLanes:
            summingSlices(dy: dy, g, dweight: dweight, dbias: dbias, threads: threads) { slices, outputs, _ in
                conv2dBackwardWeightInputLanes(dy: dy, x: x, g, slices: slices, outputs: outputs, threads: threads)
            }
        case .winograd:
            summingSlices(dy: dy, g, dweight: dweight, dbias: dbias, threads: threads, biasInKernel: true) { slices, outputs, biasOutputs in
                conv2dBackwardWeightWinograd(dy: dy, x: x, g, slices: slices, outputs: outputs, biasOutputs: biasOutputs,
                                             threads: threads)
            }
        }
    }

    /// How many partial sums the weight gradient of a batch of `n` is split into: up to 8, for
    /// up to 8 threads, but no more than keep 2,048 products per weight in each (and at least
    /// 2). Every slice writes a whole dw, which the slices are then added into, so a large
    /// weight over a small plane spent more time writing and adding them than summing: with 2
    /// slices instead of 8, NiN's 384 → 10 at 5² ran 1.229 times as fast (lowest of 5 rounds
    /// 1.042), ResNet's 256 → 256 at 6² 1.062 (0.951–1.414), GoogLeNet's 480 → 192 at 6² 1.073
    /// (`compare_builds --rounds 5 -- --chosen-only --pass weight`). It depends on the sizes
    /// alone, so the gradient is the same for every thread count.
    package static func weightGradientSlices(batch n: Int, outputPlane: Int) -> Int {
        min(n, 8, max(2, n * outputPlane / 2048))
    }

    /// The weight gradient of a batch as `weightGradientSlices(batch:outputPlane:)` partial sums over
    /// contiguous slices of images, added in order, then the bias gradient. `sumSlices(slices,
    /// output, biasOutput)` must write the sum over the images of slice s to `output(s)`: slice
    /// 0's goes straight into dweight, the others' into partials. Threads may share the slices
    /// any way. With `biasInKernel`, the kernel also writes each slice's Σ dy per channel to
    /// `biasOutput(s)` (given when the bias wants a gradient) from the dy it reads anyway;
    /// otherwise the bias gradient is a pass of its own over dy (which may be nil only with
    /// `biasInKernel`).
    static func summingSlices(
        dy: UnsafePointer<Float>?, _ g: ConvGeometry, dweight: UnsafeMutablePointer<Float>,
        dbias: UnsafeMutablePointer<Float>?, threads: Int, biasInKernel: Bool = false,
        _ sumSlices: (_ slices: [Range<Int>], _ output: (Int) -> UnsafeMutablePointer<Float>,
                      _ biasOutput: ((Int) -> UnsafeMutablePointer<Float>)?) -> Void
    ) {
        let weightCount = g.outChannels * g.patch
        let slices = Parallel.split(g.input.n, parts: weightGradientSlices(batch: g.input.n, outputPlane: g.outputPlane))
        let biasSummed = biasInKernel ? dbias : nil
        // Each slice but the first: its dweight, then (when the kernel sums the bias) its dbias.
        let partialCount = weightCount + (biasSummed == nil ? 0 : g.outChannels)
        let partials = Storage(uninitializedCount: max(slices.count - 1, 0) * partialCount)
        sumSlices(slices, { s in s == 0 ? dweight : partials.pointer + (s - 1) * partialCount },
                  biasSummed.map { dbias in { s in s == 0 ? dbias : partials.pointer + (s - 1) * partialCount + weightCount } })
        func addPartials(to total: UnsafeMutablePointer<Float>, count: Int, from first: Int) {
            Parallel.forRanges(count, threads: threads, grain: 4096) { range in
                for s in 0..<(slices.count - 1) {
                    let partial = partials.pointer + s * partialCount + first
                    for e in range { total[e] += partial[e] }
                }
            }
        }
        if slices.count > 1 {
            addPartials(to: dweight, count: weightCount, from: 0)
            if let biasSummed { addPartials(to: biasSummed, count: g.outChannels, from: weightCount) }
        }
        withExtendedLifetime(partials) {}

        if let dbias, biasSummed == nil {
            guard let dy else { preconditionFailure("the bias gradient needs dy, or a kernel that sums it") }
            Parallel.forRanges(g.outChannels, threads: threads, grain: 8) { channels in
                for oc in channels {
                    var total: Float = 0
                    for i in 0..<g.input.n {
                        total += sum(dy + i * g.outputImage + oc * g.outputPlane, count: g.outputPlane)
                    }
                    dbias[oc] = total
                }
            }
        }
    }

    /// The outputs `first..<last` for which `ox·stride + offset` falls in `0..<inputs`.
    @inline(__always)
    static func validRange(offset: Int, stride: Int, outputs: Int, inputs: Int) -> (Int, Int) {
        // ox·s + offset ≥ 0  ⇔  ox ≥ ceil(−offset / s);  ox·s + offset < inputs  ⇔  ox ≤ (inputs − 1 − offset) / s
        let first = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let lastIncluded = inputs - 1 - offset
        let last = lastIncluded < 0 ? 0 : min(outputs, lastIncluded / stride + 1)
        return (min(first, outputs), last)
    }
}

/// Sizes of one convolution, derived once.
struct ConvGeometry {
    let input: ImageBatch
    let outChannels: Int
    let window: Window
    let outputHeight: Int, outputWidth: Int

    init(_ input: ImageBatch, outChannels: Int, window: Window) {
        self.input = input
        self.outChannels = outChannels
        self.window = window
        outputHeight = window.outputSize(input.h)
        outputWidth = window.outputSize(input.w)
    }

    /// Length of one receptive field: C·K·K.
    var patch: Int { input.c * window.size * window.size }
    var outputPlane: Int { outputHeight * outputWidth }
    var outputImage: Int { outChannels * outputPlane }
    /// Output positions in the whole batch: the columns of the lowered matrices.
    var columns: Int { input.n * outputPlane }
    /// A 1×1 convolution with stride 1 and no padding: its im2col matrix is the image itself.
    var skipsIm2col: Bool { window.size == 1 && window.stride == 1 && window.padding == 0 }
    /// The rows direct's tiles run along (`PaddedImages`): the output's, or for a 1×1 layer that
    /// skips im2col, the whole plane as one row.
    var directRows: (height: Int, width: Int) { skipsIm2col ? (1, outputPlane) : (outputHeight, outputWidth) }

    /// The forward convolution that a stride-1 layer's input gradient is
    /// (`Kernels.conv2dBackwardInputAsForward`): of dy, padded by k − 1 − p, onto the input's channels.
    var inputGradientAsForward: ConvGeometry {
        ConvGeometry(ImageBatch(n: input.n, c: outChannels, h: outputHeight, w: outputWidth), outChannels: input.c,
                     window: Window(size: window.size, stride: 1, padding: window.size - 1 - window.padding))
    }

    /// Cuts the columns `range` at image boundaries: `body(image, position in its plane, offset
    /// from range.lowerBound, count)`.
    @inline(__always)
    func forEachSegment(_ range: Range<Int>, _ body: (Int, Int, Int, Int) -> Void) {
        var j = range.lowerBound
        while j < range.upperBound {
            let image = j / outputPlane, position = j % outputPlane
            let count = min(outputPlane - position, range.upperBound - j)
            body(image, position, j - range.lowerBound, count)
            j += count
        }
    }
}
