/// Convolution lowered to matrix multiplication (as darknet and Caffe do).
///
/// For one image, im2col lays every receptive field out as a column:
///     col is (C·K·K, OH·OW):  col[(c, ki, kj), (oy, ox)] = x[c, oy·s − p + ki, ox·s − p + kj]
/// and then
///     forward:          y  (O, OH·OW)    = w (O, C·K·K) · col
///     input gradient:   dcol (C·K·K, OH·OW) = wᵀ · dy, then col2im adds dcol back into dx
///     weight gradient:  dw (O, C·K·K)   += dy · colᵀ
/// A 1×1 convolution with stride 1 and no padding needs no im2col: col is the image itself.
///
/// Images are independent, so the batch is split over the threads; with fewer images than
/// threads, the threads share each image's matrix product instead.
extension Kernels {
    /// x is (N, C, H, W), weight is (O, C, K, K), bias is (O) or nil, y is (N, O, OH, OW).
    public static func conv2dForward(
        x: UnsafePointer<Float>, _ input: ImageBatch, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, outChannels o: Int, window: Window,
        y: UnsafeMutablePointer<Float>, threads: Int = Parallel.threadCount
    ) {
        let geometry = ConvGeometry(input, outChannels: o, window: window)
        forEachImage(input.n, threads: threads) { images, gemmThreads in
            let col = geometry.needsIm2col ? Storage(uninitializedCount: geometry.colCount) : nil
            for i in images {
                let xi = x + i * input.image, yi = y + i * geometry.outputImage
                let colPointer = col.map { im2col(xi, geometry, into: $0.pointer); return UnsafePointer($0.pointer) } ?? xi
                if let bias {
                    for oc in 0..<o { (yi + oc * geometry.outputPlane).update(repeating: bias[oc], count: geometry.outputPlane) }
                }
                gemm(m: o, n: geometry.outputPlane, k: geometry.patch, a: weight, lda: geometry.patch,
                     b: colPointer, ldb: geometry.outputPlane, c: yi, ldc: geometry.outputPlane,
                     accumulate: bias != nil, threads: gemmThreads)
            }
            withExtendedLifetime(col) {}
        }
    }

    /// dy is (N, O, OH, OW), weight is (O, C, K, K); writes dx, (N, C, H, W).
    public static func conv2dBackwardInput(
        dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, outChannels o: Int, window: Window,
        dx: UnsafeMutablePointer<Float>, _ input: ImageBatch, threads: Int = Parallel.threadCount
    ) {
        let geometry = ConvGeometry(input, outChannels: o, window: window)
        forEachImage(input.n, threads: threads) { images, gemmThreads in
            let dcol = geometry.needsIm2col ? Storage(uninitializedCount: geometry.colCount) : nil
            for i in images {
                let dxi = dx + i * input.image, dyi = dy + i * geometry.outputImage
                gemm(transA: true, m: geometry.patch, n: geometry.outputPlane, k: o, a: weight, lda: geometry.patch,
                     b: dyi, ldb: geometry.outputPlane, c: dcol?.pointer ?? dxi, ldc: geometry.outputPlane,
                     threads: gemmThreads)
                if let dcol { col2im(dcol.pointer, geometry, into: dxi) }
            }
            withExtendedLifetime(dcol) {}
        }
    }

    /// How many partial sums the weight gradient of a batch of `n` is split into. It depends on
    /// the batch alone, so the gradient is the same for every thread count.
    public static func weightGradientSlices(batch n: Int) -> Int { min(n, 8) }

    /// dy is (N, O, OH, OW), x is (N, C, H, W); writes dweight (O, C, K, K) and dbias (O).
    public static func conv2dBackwardWeight(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ input: ImageBatch, outChannels o: Int,
        window: Window, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?,
        threads: Int = Parallel.threadCount
    ) {
        let geometry = ConvGeometry(input, outChannels: o, window: window)
        let weightCount = o * geometry.patch
        let slices = Parallel.split(input.n, parts: weightGradientSlices(batch: input.n))
        // Slice 0 sums straight into dweight; the others into partials added afterwards in order.
        let partials = Storage(uninitializedCount: max(slices.count - 1, 0) * weightCount)
        func sumSlice(_ s: Int, gemmThreads: Int) {
            let out = s == 0 ? dweight : partials.pointer + (s - 1) * weightCount
            let col = geometry.needsIm2col ? Storage(uninitializedCount: geometry.colCount) : nil
            for (j, i) in slices[s].enumerated() {
                let xi = x + i * input.image
                let colPointer = col.map { im2col(xi, geometry, into: $0.pointer); return UnsafePointer($0.pointer) } ?? xi
                gemm(transB: true, m: o, n: geometry.patch, k: geometry.outputPlane,
                     a: dy + i * geometry.outputImage, lda: geometry.outputPlane, b: colPointer, ldb: geometry.outputPlane,
                     c: out, ldc: geometry.patch, accumulate: j > 0, threads: gemmThreads)
            }
            withExtendedLifetime(col) {}
        }
        if slices.count >= threads {
            let perThread = Parallel.split(slices.count, parts: threads)
            Parallel.run(perThread.count) { t in for s in perThread[t] { sumSlice(s, gemmThreads: 1) } }
        } else {
            for s in slices.indices { sumSlice(s, gemmThreads: threads) }
        }
        if slices.count > 1 {
            Parallel.forRanges(weightCount, threads: threads, grain: 4096) { range in
                for s in 0..<(slices.count - 1) {
                    let partial = partials.pointer + s * weightCount
                    for e in range { dweight[e] += partial[e] }
                }
            }
        }
        withExtendedLifetime(partials) {}

        if let dbias {
            Parallel.forRanges(o, threads: threads, grain: 8) { channels in
                for oc in channels {
                    var total: Float = 0
                    for i in 0..<input.n {
                        total += sum(dy + i * geometry.outputImage + oc * geometry.outputPlane, count: geometry.outputPlane)
                    }
                    dbias[oc] = total
                }
            }
        }
    }

    /// Splits a batch over the threads. `body(images, gemmThreads)` gets a range of images and how
    /// many threads its matrix products may use: 1 when images run in parallel, all of them
    /// when there are fewer images than threads.
    @inline(__always)
    static func forEachImage(_ n: Int, threads: Int, _ body: (Range<Int>, Int) -> Void) {
        if n >= threads {
            let ranges = Parallel.split(n, parts: threads)
            Parallel.run(ranges.count) { body(ranges[$0], 1) }
        } else {
            body(0..<n, threads)
        }
    }

    /// Writes the im2col matrix of one (C, H, W) image.
    static func im2col(_ x: UnsafePointer<Float>, _ g: ConvGeometry, into col: UnsafeMutablePointer<Float>) {
        let (h, w, k, s, p) = (g.input.h, g.input.w, g.window.size, g.window.stride, g.window.padding)
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        for c in 0..<g.input.c {
            let plane = x + c * h * w
            for ki in 0..<k {
                for kj in 0..<k {
                    var out = col + ((c * k + ki) * k + kj) * oh * ow
                    // Output columns whose input column lies inside the image.
                    let (first, last) = validRange(offset: kj - p, stride: s, outputs: ow, inputs: w)
                    for oy in 0..<oh {
                        let iy = oy * s - p + ki
                        if iy < 0 || iy >= h {
                            out.update(repeating: 0, count: ow)
                        } else {
                            let row = plane + iy * w + kj - p
                            for ox in 0..<first { out[ox] = 0 }
                            if s == 1 {
                                if first < last { (out + first).update(from: row + first, count: last - first) }
                            } else {
                                for ox in first..<max(first, last) { out[ox] = row[ox * s] }
                            }
                            for ox in max(first, last)..<ow { out[ox] = 0 }
                        }
                        out += ow
                    }
                }
            }
        }
    }

    /// Adds the im2col-shaped gradient `dcol` back into the (C, H, W) image gradient `dx`,
    /// which it first clears.
    static func col2im(_ dcol: UnsafePointer<Float>, _ g: ConvGeometry, into dx: UnsafeMutablePointer<Float>) {
        let (h, w, k, s, p) = (g.input.h, g.input.w, g.window.size, g.window.stride, g.window.padding)
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        dx.update(repeating: 0, count: g.input.image)
        for c in 0..<g.input.c {
            let plane = dx + c * h * w
            for ki in 0..<k {
                for kj in 0..<k {
                    var src = dcol + ((c * k + ki) * k + kj) * oh * ow
                    let (first, last) = validRange(offset: kj - p, stride: s, outputs: ow, inputs: w)
                    for oy in 0..<oh {
                        let iy = oy * s - p + ki
                        if iy >= 0 && iy < h {
                            let row = plane + iy * w + kj - p
                            for ox in first..<max(first, last) { row[ox * s] += src[ox] }
                        }
                        src += ow
                    }
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
    var colCount: Int { patch * outputPlane }
    var needsIm2col: Bool { !(window.size == 1 && window.stride == 1 && window.padding == 0) }
}
