/// Convolution lowered to matrix multiplication, with the im2col matrix never built: the GEMM's
/// panels are packed straight from the images.
///
/// Number the output positions of the whole batch as columns j = (image i, oy, ox). The im2col
/// matrix col (C·K·K rows (c, ki, kj), N·OH·OW columns) holds in column j the receptive field of
/// output position j:  col[(c, ki, kj), j] = x[i, c, oy·s − p + ki, ox·s − p + kj]  (0 outside).
/// Then
///     forward:          y    (O, columns) = w (O, C·K·K) · col           + bias
///     input gradient:   dcol (C·K·K, columns) = wᵀ · dy, then col2im adds dcol into dx
///     weight gradient:  dw   (O, C·K·K) = dy · colᵀ
/// where y and dy are read and written as (O, columns) matrices although they are stored NCHW.
/// `Reference.conv2d` computes the same thing with seven plain loops.
///
/// Threads split the columns (forward), the images (input gradient) or the batch's slices of
/// the sum (weight gradient). Each output element is summed in the same order whatever the split.
extension Kernels {
    /// x is (N, C, H, W), weight is (O, C, K, K), bias is (O) or nil; writes y, (N, O, OH, OW).
    public static func conv2dForward(
        x: UnsafePointer<Float>, _ input: ImageBatch, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, outChannels o: Int, window: Window,
        y: UnsafeMutablePointer<Float>, threads: Int = Parallel.threadCount
    ) {
        let g = ConvGeometry(input, outChannels: o, window: window)
        if usesDirectForward(g) {
            return conv2dForwardDirect(x: x, g, weight: weight, bias: bias, y: y, threads: threads)
        }
        let packedWeight = PackedMatrix(transposed: false, rows: o, columns: g.patch, weight, ld: g.patch)
        let ranges = Parallel.split(g.columns, parts: min(threads, max(1, g.columns * g.patch * o / 100_000)), alignment: gemmNR)
        Parallel.run(ranges.count) { t in
            let range = ranges[t]
            let chunk = min(range.count, gemmNC)
            let product = Storage(uninitializedCount: o * chunk)
            for start in stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
                let width = min(chunk, range.upperBound - start)
                blockedGEMM(
                    m: o, n: width, k: g.patch,
                    packA: { row, col, _, kc in packedWeight.block(row: row, col: col, kc: kc) },
                    packB: { row, col, kc, nc, dst in packImageColumns(x, g, row: row, column: start + col, kc: kc, nc: nc, into: dst) },
                    c: product.pointer, ldc: width, accumulate: false)
                // Scatter the (O, width) product into NCHW, adding the bias on the way.
                g.forEachSegment(start..<(start + width)) { image, plane, offset, count in
                    for oc in 0..<o {
                        let src = product.pointer + oc * width + offset
                        let dst = y + (image * o + oc) * g.outputPlane + plane
                        let b = bias?[oc] ?? 0
                        for e in 0..<count { dst[e] = src[e] + b }
                    }
                }
            }
            withExtendedLifetime(product) {}
        }
        withExtendedLifetime(packedWeight) {}
    }

    /// dy is (N, O, OH, OW), weight is (O, C, K, K); writes dx, (N, C, H, W).
    public static func conv2dBackwardInput(
        dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, outChannels o: Int, window: Window,
        dx: UnsafeMutablePointer<Float>, _ input: ImageBatch, threads: Int = Parallel.threadCount
    ) {
        let g = ConvGeometry(input, outChannels: o, window: window)
        let packedWeightT = PackedMatrix(transposed: true, rows: g.patch, columns: o, weight, ld: g.patch)
        // Whole images per thread, so col2im never has two threads adding into one image; a
        // few images per product, as many as keep dcol near 8 MB.
        let imagesPerProduct = max(1, min(gemmNC / max(g.outputPlane, 1), (1 << 21) / max(g.patch * g.outputPlane, 1)))
        let ranges = Parallel.split(input.n, parts: threads)
        Parallel.run(ranges.count) { t in
            let dcol = Storage(uninitializedCount: g.patch * min(imagesPerProduct, ranges[t].count) * g.outputPlane)
            for first in stride(from: ranges[t].lowerBound, to: ranges[t].upperBound, by: imagesPerProduct) {
                let images = min(imagesPerProduct, ranges[t].upperBound - first)
                let width = images * g.outputPlane, start = first * g.outputPlane
                blockedGEMM(
                    m: g.patch, n: width, k: o,
                    packA: { row, col, _, kc in packedWeightT.block(row: row, col: col, kc: kc) },
                    packB: { row, col, kc, nc, dst in packOutputRows(dy, g, row: row, column: start + col, kc: kc, nc: nc, into: dst) },
                    c: dcol.pointer, ldc: width, accumulate: false)
                for j in 0..<images {
                    col2im(dcol.pointer + j * g.outputPlane, ld: width, g, into: dx + (first + j) * input.image)
                }
            }
            withExtendedLifetime(dcol) {}
        }
        withExtendedLifetime(packedWeightT) {}
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
        let g = ConvGeometry(input, outChannels: o, window: window)
        let weightCount = o * g.patch
        let slices = Parallel.split(input.n, parts: weightGradientSlices(batch: input.n))
        // Slice 0 sums straight into dweight; the others into partials added afterwards in order.
        let partials = Storage(uninitializedCount: max(slices.count - 1, 0) * weightCount)
        let output = { (s: Int) in s == 0 ? dweight : partials.pointer + (s - 1) * weightCount }
        if usesDirectWeightGradient(g) {
            conv2dBackwardWeightDirect(dy: dy, x: x, g, slices: slices, outputs: output, threads: threads)
        } else {
            let perThread = Parallel.split(slices.count, parts: threads)
            Parallel.run(perThread.count) { t in
                let packedRows = Storage(uninitializedCount: gemmMC * gemmKC)
                for s in perThread[t] {
                    let start = slices[s].lowerBound * g.outputPlane
                    blockedGEMM(
                        m: o, n: g.patch, k: slices[s].count * g.outputPlane,
                        packA: { row, col, mc, kc in
                            packOutputColumns(dy, g, channel: row, column: start + col, mc: mc, kc: kc, into: packedRows.pointer)
                            return UnsafePointer(packedRows.pointer)
                        },
                        packB: { row, col, kc, nc, dst in
                            packImageRows(x, g, column: start + row, patchIndex: col, kc: kc, nc: nc, into: dst)
                        },
                        c: output(s), ldc: g.patch, accumulate: false)
                }
                withExtendedLifetime(packedRows) {}
            }
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
                        total += sum(dy + i * g.outputImage + oc * g.outputPlane, count: g.outputPlane)
                    }
                    dbias[oc] = total
                }
            }
        }
    }

    // MARK: Packing straight from the tensors

    /// Packs col[row..<row+kc, column..<column+nc] (forward's B) into NR-wide slivers: the
    /// receptive fields of output positions `column...`, read from the images.
    static func packImageColumns(_ x: UnsafePointer<Float>, _ g: ConvGeometry, row: Int, column: Int,
                                 kc: Int, nc: Int, into dst: UnsafeMutablePointer<Float>) {
        let NR = gemmNR
        let (h, w, k, s, p) = (g.input.h, g.input.w, g.window.size, g.window.stride, g.window.padding)
        typealias Run = (offset: Int, count: Int, image: Int, oy: Int, ox: Int)
        withUnsafeTemporaryAllocation(of: Run.self, capacity: NR) { runs in
        withUnsafeTemporaryAllocation(of: (Int, Int).self, capacity: k) { valid in
            // For each kernel column kj, the output columns whose input column is inside the image.
            for kj in 0..<k { valid[kj] = validRange(offset: kj - p, stride: s, outputs: g.outputWidth, inputs: w) }
            for jr in stride(from: 0, to: nc, by: NR) {
                let nr = min(NR, nc - jr)
                let sliver = dst + jr * kc
                // The sliver's columns as runs along one output row of one image.
                var runCount = 0
                var j = column + jr
                while j < column + jr + nr {
                    let image = j / g.outputPlane, position = j % g.outputPlane
                    let oy = position / g.outputWidth, ox = position % g.outputWidth
                    let count = min(g.outputWidth - ox, column + jr + nr - j)
                    runs[runCount] = (j - column - jr, count, image, oy, ox)
                    runCount += 1
                    j += count
                }
                var c = row / (k * k), ki = row / k % k, kj = row % k
                for q in 0..<kc {
                    let out = sliver + q * NR
                    let (first, last) = valid[kj]
                    for run in runs[0..<runCount] {
                        let dst = out + run.offset
                        let iy = run.oy * s - p + ki
                        guard iy >= 0 && iy < h else { dst.update(repeating: 0, count: run.count); continue }
                        // Output column ox reads input column ox·s + kj − p. (Pointer arithmetic
                        // outside the loops keeps them free of overflow checks, so they vectorize.)
                        let source = x + ((run.image * g.input.c + c) * h + iy) * w + kj - p + run.ox * s
                        let lo = min(max(first - run.ox, 0), run.count), hi = max(min(last - run.ox, run.count), lo)
                        for e in 0..<lo { dst[e] = 0 }
                        if s == 1 {
                            for e in lo..<hi { dst[e] = source[e] }
                        } else {
                            for e in lo..<hi { dst[e] = source[e &* s] }
                        }
                        for e in hi..<run.count { dst[e] = 0 }
                    }
                    for e in nr..<NR { out[e] = 0 }
                    kj += 1
                    if kj == k { kj = 0; ki += 1; if ki == k { ki = 0; c += 1 } }
                }
            }
        }
        }
    }

    /// Packs colᵀ[column..<column+kc, patchIndex..<patchIndex+nc] (the weight gradient's B):
    /// for each output position, the receptive-field values of NR consecutive (c, ki, kj).
    static func packImageRows(_ x: UnsafePointer<Float>, _ g: ConvGeometry, column: Int, patchIndex: Int,
                              kc: Int, nc: Int, into dst: UnsafeMutablePointer<Float>) {
        let NR = gemmNR
        let (h, w, k, s, p) = (g.input.h, g.input.w, g.window.size, g.window.stride, g.window.padding)
        withUnsafeTemporaryAllocation(of: (offset: Int, ki: Int, kj: Int).self, capacity: NR) { taps in
            for jr in stride(from: 0, to: nc, by: NR) {
                let nr = min(NR, nc - jr)
                for q in 0..<nr {
                    let index = patchIndex + jr + q
                    let (c, ki, kj) = (index / (k * k), index / k % k, index % k)
                    taps[q] = ((c * h + ki) * w + kj, ki, kj)
                }
                let sliver = dst + jr * kc
                let j = column
                var image = j / g.outputPlane, oy = j % g.outputPlane / g.outputWidth, ox = j % g.outputWidth
                for r in 0..<kc {
                    let out = sliver + r * NR
                    let iy0 = oy * s - p, ix0 = ox * s - p
                    let base = x + image * g.input.image + iy0 * w + ix0
                    if iy0 >= 0 && iy0 + k <= h && ix0 >= 0 && ix0 + k <= w {
                        for q in 0..<nr { out[q] = base[taps[q].offset] }
                    } else {
                        for q in 0..<nr {
                            let iy = iy0 + taps[q].ki, ix = ix0 + taps[q].kj
                            out[q] = iy >= 0 && iy < h && ix >= 0 && ix < w ? base[taps[q].offset] : 0
                        }
                    }
                    for q in nr..<NR { out[q] = 0 }
                    ox += 1
                    if ox == g.outputWidth { ox = 0; oy += 1; if oy == g.outputHeight { oy = 0; image += 1 } }
                }
            }
        }
    }

    /// Packs dy[channel..<channel+kc, column..<column+nc] (the input gradient's B, dy read as an
    /// (O, columns) matrix) into NR-wide slivers.
    static func packOutputRows(_ dy: UnsafePointer<Float>, _ g: ConvGeometry, row: Int, column: Int,
                               kc: Int, nc: Int, into dst: UnsafeMutablePointer<Float>) {
        let NR = gemmNR
        for jr in stride(from: 0, to: nc, by: NR) {
            let nr = min(NR, nc - jr)
            let sliver = dst + jr * kc
            g.forEachSegment((column + jr)..<(column + jr + nr)) { image, plane, offset, count in
                for q in 0..<kc {
                    let src = dy + (image * g.outChannels + row + q) * g.outputPlane + plane
                    (sliver + q * NR + offset).update(from: src, count: count)
                }
            }
            if nr < NR { for q in 0..<kc { for e in nr..<NR { sliver[q * NR + e] = 0 } } }
        }
    }

    /// Packs dy[channel..<channel+mc, column..<column+kc] (the weight gradient's A) into MR-tall
    /// slivers.
    static func packOutputColumns(_ dy: UnsafePointer<Float>, _ g: ConvGeometry, channel: Int, column: Int,
                                  mc: Int, kc: Int, into dst: UnsafeMutablePointer<Float>) {
        let MR = gemmMR
        for ir in stride(from: 0, to: mc, by: MR) {
            let mr = min(MR, mc - ir)
            let sliver = dst + ir * kc
            g.forEachSegment(column..<(column + kc)) { image, plane, offset, count in
                for r in 0..<mr {
                    let src = dy + (image * g.outChannels + channel + ir + r) * g.outputPlane + plane
                    for e in 0..<count { sliver[(offset + e) * MR + r] = src[e] }
                }
            }
            if mr < MR { for q in 0..<kc { for r in mr..<MR { sliver[q * MR + r] = 0 } } }
        }
    }

    /// Adds the im2col-shaped gradient of one image (rows (c, ki, kj), row stride `ld`) back into
    /// its (C, H, W) gradient `dx`, which it first clears.
    static func col2im(_ dcol: UnsafePointer<Float>, ld: Int, _ g: ConvGeometry, into dx: UnsafeMutablePointer<Float>) {
        let (h, w, k, s, p) = (g.input.h, g.input.w, g.window.size, g.window.stride, g.window.padding)
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        dx.update(repeating: 0, count: g.input.image)
        for c in 0..<g.input.c {
            let plane = dx + c * h * w
            for ki in 0..<k {
                for kj in 0..<k {
                    var src = dcol + ((c * k + ki) * k + kj) * ld
                    let (first, last) = validRange(offset: kj - p, stride: s, outputs: ow, inputs: w)
                    for oy in 0..<oh {
                        let iy = oy * s - p + ki
                        if iy >= 0 && iy < h {
                            let row = plane + iy * w + kj - p
                            if s == 1 {
                                for ox in first..<max(first, last) { row[ox] += src[ox] }
                            } else {
                                for ox in first..<max(first, last) { row[ox * s] += src[ox] }
                            }
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
    /// Output positions in the whole batch: the columns of the lowered matrices.
    var columns: Int { input.n * outputPlane }

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
