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
/// and input gradients, run the two ops' passes over the batch (image by image, VGG's first
/// weight gradient summed per image ran slower than that).
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

    /// The backward pass of `conv2dReLUMaxPoolForward`, from dy (N, O, PH, PW), the forward's
    /// `argmax` and its output y (the ReLU's mask): writes those of dx (N, C, H, W), dweight
    /// (O, C, K, K) and dbias (O, only with dweight) that are given. The same bits as
    /// `maxPoolBackward`, then the convolution's passes.
    package static func conv2dReLUMaxPoolBackward(
        dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, y: UnsafePointer<Float>,
        x: UnsafePointer<Float>, _ input: ImageBatch, weight: UnsafePointer<Float>, outChannels o: Int,
        window: Window, pool: Window, dx: UnsafeMutablePointer<Float>?,
        dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?, threads: Int = Parallel.threadCount
    ) {
        let g = ConvGeometry(input, outChannels: o, window: window)
        let maps = ImageBatch(n: input.n, c: o, h: g.outputHeight, w: g.outputWidth)
        let (ph, pw) = (pool.outputSize(maps.h), pool.outputSize(maps.w))
        // The pool's gradient unpooled into direct's rows, the output's (not a 1×1 layer's plane).
        let unpools = dx == nil && dweight != nil && pool.isHalving2x2 && pw >= 16 && !g.skipsIm2col
            && ConvolutionAlgorithm.chosen(for: .weightGradient, input, outChannels: o, window: window) == .direct
        guard unpools else {
            let gradient = Storage(uninitializedCount: maps.shape.count)
            maxPoolBackward(dy, argmax: argmax, maps, window: pool, gradient.pointer, reluOutput: y, threads: threads)
            if let dx {
                conv2dBackwardInput(dy: gradient.pointer, weight: weight, outChannels: o, window: window, dx: dx, input,
                                    threads: threads)
            }
            if let dweight {
                conv2dBackwardWeight(dy: gradient.pointer, x: x, input, outChannels: o, window: window, dweight: dweight,
                                     dbias: dbias, threads: threads)
            }
            return withExtendedLifetime(gradient) {}
        }
        summingSlices(dy: nil, g, dweight: dweight!, dbias: dbias, threads: threads, biasInKernel: true) { slices, outputs, biasOutputs in
            conv2dBackwardWeightDirect(gradientPlane: { i, oc, into, rowPitch in
                let plane = (i * o + oc) * ph * pw
                maxUnpool2x2(dy + plane, argmax: argmax + plane, reluOutput: y + plane, outputHeight: ph, outputWidth: pw,
                             into, height: maps.h, width: maps.w, rowPitch: rowPitch)
            }, x: x, g, slices: slices, outputs: outputs, biasOutputs: biasOutputs, threads: threads)
        }
    }

    /// Whether `conv2dReLUMaxPoolForward` pays for these sizes: when one image's feature maps
    /// are large enough that the two ops' passes over them stream from memory.
    package static func fusesConvolutionAndPool(_ input: ImageBatch, outChannels o: Int, window: Window) -> Bool {
        o * window.outputSize(input.h) * window.outputSize(input.w) >= 1 << 19
    }
}
