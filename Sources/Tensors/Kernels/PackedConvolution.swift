/// Convolution as GEMM with the im2col matrix never built: the GEMM's panels are packed
/// straight from the images (see `Convolution.swift` for the matrices), so what im2col + GEMM
/// copies twice (into col, then into panels) is copied once, and one GEMM covers many images.
///
/// Threads split the columns (forward), the images (input gradient) or the batch's slices of
/// the sum (weight gradient). Each output element is summed in the same order whatever the split.
extension Kernels {
    /// x is (N, C, H, W), weight is (O, C, K, K), bias is (O) or nil; writes y, (N, O, OH, OW).
    static func conv2dForwardPacked(
        x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let o = g.outChannels
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
    static func conv2dBackwardInputPacked(
        dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, _ g: ConvGeometry,
        dx: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let o = g.outChannels
        let packedWeightT = PackedMatrix(transposed: true, rows: g.patch, columns: o, weight, ld: g.patch)
        // Whole images per thread, so col2im never has two threads adding into one image; a
        // few images per product, as many as keep dcol near 8 MB.
        let imagesPerProduct = max(1, min(gemmNC / max(g.outputPlane, 1), (1 << 21) / max(g.patch * g.outputPlane, 1)))
        let ranges = Parallel.split(g.input.n, parts: threads)
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
                    col2im(dcol.pointer + j * g.outputPlane, ld: width, g, into: dx + (first + j) * g.input.image)
                }
            }
            withExtendedLifetime(dcol) {}
        }
        withExtendedLifetime(packedWeightT) {}
    }

    /// dy is (N, O, OH, OW), x is (N, C, H, W); writes the weight gradient of each slice of the
    /// batch, (O, C, K, K), to `outputs(slice)`.
    static func conv2dBackwardWeightPacked(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ g: ConvGeometry,
        slices: [Range<Int>], outputs: (Int) -> UnsafeMutablePointer<Float>, threads: Int
    ) {
        let o = g.outChannels
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
                    c: outputs(s), ldc: g.patch, accumulate: false)
            }
            withExtendedLifetime(packedRows) {}
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
}
