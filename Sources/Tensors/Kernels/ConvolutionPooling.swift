import CPrefetch

/// A convolution, the ReLU after it and a max pool, image by image: relu(maxPool(conv(x))).
///
/// VGG's first layer writes 411 MB of feature maps a batch of 128 (16 × 224² floats an image),
/// which the pool then reads back. Here each thread runs the convolution of one image at a time
/// into a buffer of its own, which stays in cache, and pools it from there (VGG's first layer,
/// by direct's tiles, a strip of rows at a time, which stays in L1): only the pooled
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
        if poolsInStrips(input, outChannels: o, window: window, pool: pool) {
            let layout = PaddedImages(ConvGeometry(input, outChannels: o, window: window))
            return conv2dReLUMaxPoolForwardInStrips(x: x, DirectForwardTiles(layout, weight: weight), bias: bias, y: y,
                                                    argmax: argmax, threads: threads)
        }
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

    /// Whether `conv2dReLUMaxPoolForward` goes a strip of rows at a time: a forward by direct's
    /// tiles on rows wider than 16 and a pool that halves the maps (VGG's first layer).
    package static func poolsInStrips(_ input: ImageBatch, outChannels o: Int, window: Window, pool: Window) -> Bool {
        let g = ConvGeometry(input, outChannels: o, window: window)
        return pool.isHalving2x2 && !g.skipsIm2col && g.outputWidth > 16
            && ConvolutionAlgorithm.chosen(for: .forward, input, outChannels: o, window: window) == .direct
    }

    /// The same where `poolsInStrips`: pairs of rows of maps, as many as fit in 32 KB (at least
    /// one), into a strip that stays in L1 (VGG's first layer: 16 channels × 2 × 224 floats,
    /// 28 KB), pooled from there. Pooled rows of whole vectors are written past the caches: the
    /// pooled maps and winners, 206 MB a batch of VGG's, would not stay in them, and so no line
    /// is read before it is written. VGG's first layer's forward, a batch of 128 on 2 threads
    /// (medians of 15 runs, the two ways alternating in one process): in strips 32–41 ms,
    /// against 52–54 for an image's maps in a buffer of their own (3.2 MB, out to L3 and back);
    /// with the pooled rows written past the caches, 24–26 against 29–30 through them.
    static func conv2dReLUMaxPoolForwardInStrips(
        x: UnsafePointer<Float>, _ tiles: DirectForwardTiles, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>, threads: Int
    ) {
        let layout = tiles.layout, g = layout.geometry, o = g.outChannels
        let ow = layout.outputWidth
        let (ph, pw) = (layout.outputHeight / 2, ow / 2)
        let stripRows = max(1, 4_096 / (o * ow)) * 2
        let streams = pw % 16 == 0 && Int(bitPattern: y) % 64 == 0 && Int(bitPattern: argmax) % 64 == 0
        let ranges = Parallel.split(g.input.n, parts: max(1, min(threads, g.input.n)))
        Parallel.run(ranges.count) { t in
            let padded = Storage(zeros: layout.image)
            let strip = Storage(uninitializedCount: o * stripRows * ow)
            let scratch = Storage(uninitializedCount: gemmMR * gemmNR)
            for i in ranges[t] {
                layout.copy(x + i * g.input.image, into: padded.pointer)
                // Only the rows the pool reads: an odd last row is left out.
                for firstRow in stride(from: 0, to: 2 * ph, by: stripRows) {
                    let rows = min(stripRows, 2 * ph - firstRow)
                    for tile in tiles.tiles(ofRows: firstRow..<firstRow + rows) {
                        tiles.sum(tile, of: padded.pointer, bias: bias, into: strip.pointer, planeStride: stripRows * ow,
                                  firstRow: firstRow, scratch: scratch.pointer)
                    }
                    for c in 0..<o {
                        let pooled = (i * o + c) * ph * pw + firstRow / 2 * pw
                        maxPool2x2(strip.pointer + c * stripRows * ow, width: ow, y + pooled, argmax: argmax + pooled,
                                   outputHeight: rows / 2, outputWidth: pw, thenReLU: true, firstIndex: firstRow * ow,
                                   streaming: streams)
                    }
                }
            }
            if streams { convbook_store_fence() }
            withExtendedLifetime((padded, strip, scratch)) {}
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

    /// The weight and bias gradients of `conv2dReLUMaxPoolForward`, from dy (N, O, PH, PW) and
    /// the forward's `argmax` (which holds the ReLU's mask: `reluCut`), where
    /// `unpoolsIntoWeightGradient`: writes dweight (O, C, K, K) and dbias (O), if given. The same
    /// bits as `maxPoolBackward`, then `conv2dBackwardWeight`.
    package static func conv2dReLUMaxPoolWeightGradient(
        dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, x: UnsafePointer<Float>, _ input: ImageBatch,
        outChannels o: Int, window: Window, pool: Window,
        dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?, threads: Int = Parallel.threadCount
    ) {
        precondition(unpoolsIntoWeightGradient(input, outChannels: o, window: window, pool: pool))
        let g = ConvGeometry(input, outChannels: o, window: window)
        let (ph, pw) = (pool.outputSize(g.outputHeight), pool.outputSize(g.outputWidth))
        summingSlices(dy: nil, g, dweight: dweight, dbias: dbias, threads: threads, biasInKernel: true) { slices, outputs, biasOutputs in
            conv2dBackwardWeightDirect(gradientPlane: { i, oc, into, rowPitch in
                let plane = (i * o + oc) * ph * pw
                maxUnpool2x2(dy + plane, argmax: argmax + plane, outputHeight: ph, outputWidth: pw,
                             into, height: g.outputHeight, width: g.outputWidth, rowPitch: rowPitch)
            }, x: x, g, slices: slices, outputs: outputs, biasOutputs: biasOutputs, threads: threads)
        }
    }

    /// Whether `conv2dReLUMaxPoolForward` pays for these sizes: where it goes in strips
    /// (`poolsInStrips`; VGG's 16 → 32 at 112², 1.6 MB of maps an image, by direct's tiles:
    /// 64–66 ms a batch against 72–75 for the two ops, `bench fused`, three runs), or where one
    /// image's feature maps are large enough that the two ops' passes over them stream from
    /// memory. That layer now goes by Winograd, as two ops: 69.5 and 73.5 ms a batch, against
    /// 73.5 and 80.8 image by image (`bench fused`, two runs, Zen 4).
    package static func fusesConvolutionAndPool(_ input: ImageBatch, outChannels o: Int, window: Window, pool: Window) -> Bool {
        poolsInStrips(input, outChannels: o, window: window, pool: pool)
            || o * window.outputSize(input.h) * window.outputSize(input.w) >= 1 << 19
    }
}
