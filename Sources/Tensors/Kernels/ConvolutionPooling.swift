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
/// Backward, the same image by image ran slower than the two ops over the batch (VGG's first
/// layer: 76-78 ms against 73-76, its weight gradient summed per image), so the op keeps
/// theirs.
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

    /// Whether `conv2dReLUMaxPoolForward` pays for these sizes: when one image's feature maps
    /// are large enough that the two ops' passes over them stream from memory.
    package static func fusesConvolutionAndPool(_ input: ImageBatch, outChannels o: Int, window: Window) -> Bool {
        o * window.outputSize(input.h) * window.outputSize(input.w) >= 1 << 19
    }
}
