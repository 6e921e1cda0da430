/// A convolution, the ReLU after it and a max pool, image by image: relu(maxPool(conv(x))).
///
/// VGG's first layer writes 411 MB of feature maps a batch of 128 (16 × 224² floats an image),
/// which the pool then reads back. Here each thread runs the convolution of one image at a time
/// into a buffer of its own, which stays in cache, and pools it from there: only the pooled
/// maps and the winners' indices go to memory. Each image is one call of the batch's kernels on
/// a batch of 1, with the algorithm the whole batch would have chosen, so the output has the
/// same bits as the two ops' (but by channelLanes, whose tiles run across a group of images:
/// an image alone may round apart, by an ulp or so), for any thread count.
///
/// Backward, the direct weight gradient (VGG's first layer's) copies each plane of dy into a
/// layout of its own anyway: it takes it from the pool's gradient and winners instead, so the
/// convolution's 411 MB gradient is not written and read back either. Other weight gradients,
/// and input gradients, are the two ops' passes over the batch, which the op runs (image by
/// image, VGG's first weight gradient summed per image ran slower than that).
extension Kernels {
    /// x is (N, C, H, W); writes y and `argmax`, (N, O, PH, PW): max(pool(conv(x)), 0) and,
    /// for every output, its winner's index in the convolution's output plane.
    package static func conv2dReLUMaxPoolForward(
        x: UnsafePointer<Float>, _ input: ImageBatch, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        outChannels o: Int, window: Window, pool: Window,
        y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>, threads: Int = Parallel.threadCount
    ) {
        let algorithm = ConvolutionAlgorithm.chosen(for: .forward, input, outChannels: o, window: window)
        let image = ImageBatch(n: 1, c: input.c, h: input.h, w: input.w)
        let maps = ImageBatch(n: 1, c: o, h: window.outputSize(input.h), w: window.outputSize(input.w))
        let pooled = o * pool.outputSize(maps.h) * pool.outputSize(maps.w)
        let ranges = Parallel.split(input.n, parts: max(1, min(threads, input.n)))
        Parallel.run(ranges.count) { t in
            let buffer = Storage(uninitializedCount: maps.image)
            for i in ranges[t] {
                conv2dForward(x: x + i * input.image, image, weight: weight, bias: bias, outChannels: o, window: window,
                              y: buffer.pointer, algorithm: algorithm, threads: 1)
                maxPoolForward(buffer.pointer, maps, window: pool, y + i * pooled, argmax: argmax + i * pooled,
                               thenReLU: true, threads: 1)
            }
            withExtendedLifetime(buffer) {}
        }
    }

    /// Whether `conv2dReLUMaxPoolWeightGradient` applies: a pool that halves the maps (2×2,
    /// 16 outputs a row or more) after a convolution whose weight gradient goes by direct (VGG's
    /// first layer's), not a 1×1 one's.
    package static func unpoolsIntoWeightGradient(_ input: ImageBatch, outChannels o: Int, window: Window,
                                                  pool: Window) -> Bool {
        let g = ConvGeometry(input, outChannels: o, window: window)
        return pool.isHalving2x2 && pool.outputSize(g.outputWidth) >= 16 && !g.skipsIm2col
            && ConvolutionAlgorithm.chosen(for: .weightGradient, input, outChannels: o, window: window) == .direct
    }

    /// The weight and bias gradients of `conv2dReLUMaxPoolForward`, from dy (N, O, PH, PW), the
    /// forward's `argmax` and its output y (the ReLU's mask), where `unpoolsIntoWeightGradient`:
    /// writes dweight (O, C, K, K) and dbias (O), if given. The same bits as `maxPoolBackward`,
    /// then `conv2dBackwardWeight`.
    package static func conv2dReLUMaxPoolWeightGradient(
        dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, y: UnsafePointer<Float>,
        x: UnsafePointer<Float>, _ input: ImageBatch, outChannels o: Int, window: Window, pool: Window,
        dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?, threads: Int = Parallel.threadCount
    ) {
        precondition(unpoolsIntoWeightGradient(input, outChannels: o, window: window, pool: pool))
        let g = ConvGeometry(input, outChannels: o, window: window)
        let (ph, pw) = (pool.outputSize(g.outputHeight), pool.outputSize(g.outputWidth))
        summingSlices(dy: nil, g, dweight: dweight, dbias: dbias, threads: threads, biasInKernel: true) { slices, outputs, biasOutputs in
            conv2dBackwardWeightDirect(gradientPlane: { i, oc, into, rowPitch in
                let plane = (i * o + oc) * ph * pw
                maxUnpool2x2(dy + plane, argmax: argmax + plane, reluOutput: y + plane, outputHeight: ph, outputWidth: pw,
                             into, height: g.outputHeight, width: g.outputWidth, rowPitch: rowPitch)
            }, x: x, g, slices: slices, outputs: outputs, biasOutputs: biasOutputs, threads: threads)
        }
    }

    /// Whether `conv2dReLUMaxPoolForward` pays for these sizes: when one image's feature maps
    /// are large enough that the two ops' passes over them stream from memory.
    package static func fusesConvolutionAndPool(_ input: ImageBatch, outChannels o: Int, window: Window) -> Bool {
        o * window.outputSize(input.h) * window.outputSize(input.w) >= 1 << 19
    }
}
