/// Stride-1 convolution forward without any im2col or B packing.
///
/// It is the GEMM of `Convolution.swift` (y = w · col) with the B operand read in place: for
/// stride 1, the receptive-field value of output (oy, ox) at kernel tap (c, ki, kj) is
/// xpad[c, oy + ki, ox + kj], so 16 consecutive outputs of one row read 16 consecutive floats
/// of one row of the zero-padded image. The 8×32 register tile covers 8 output channels and
/// either 32 outputs of one row (wide images) or 16 outputs of two rows (narrow ones); the
/// weights are packed once, as GEMM's A.
///
/// Small channel counts (LeNet's 6 and 16) gain most: there packing B would cost more than the
/// arithmetic it feeds.
extension Kernels {
    /// Whether `conv2dForward` takes this path: stride 1, and rows long enough to fill the
    /// vectors (a 1×1 convolution's plane is one long row), unless the channels are too few for
    /// packing to pay (LeNet's 10-wide rows of 16 channels). A 6×6 map of 256 channels fills 12
    /// of a tile's 32 lanes; the packed GEMM, which runs across images, fills them all.
    static func usesDirectForward(_ g: ConvGeometry) -> Bool {
        let flat = g.window.size == 1 && g.window.padding == 0
        return g.window.stride == 1 && (flat || g.outputWidth >= 10 || g.outChannels < 32)
    }

    static func conv2dForwardDirect(
        x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let (o, k, p) = (g.outChannels, g.window.size, g.window.padding)
        // A 1×1 convolution without padding treats the whole plane as one long row.
        let flat = k == 1 && p == 0
        let (oh, ow) = flat ? (1, g.outputPlane) : (g.outputHeight, g.outputWidth)
        let (ih, iw) = flat ? (1, g.input.plane) : (g.input.h, g.input.w)
        // The padded copy: p zero rows and columns around each plane, plus slack so that full
        // 16-lane loads past the end of a row or of the last row stay inside the buffer.
        let paddedWidth = iw + 2 * p + 32
        let paddedHeight = ih + 2 * p + 2
        let paddedPlane = paddedWidth * paddedHeight
        let twoRows = ow <= 16
        // Tiles per image: (first output row, first output column) of each 8×32 tile.
        let tilesPerRow = twoRows ? 1 : (ow + 31) / 32
        let tileRows = twoRows ? (oh + 1) / 2 : oh
        let tilesPerImage = tileRows * tilesPerRow

        let packedWeight = PackedMatrix(transposed: false, rows: o, columns: g.patch, weight, ld: g.patch)
        // Offset of every kernel tap (c, ki, kj) in the padded image, in GEMM's k order.
        let tapOffsets = UnsafeMutablePointer<Int>.allocate(capacity: g.patch)
        defer { tapOffsets.deallocate() }
        for c in 0..<g.input.c {
            for ki in 0..<k { for kj in 0..<k { tapOffsets[(c * k + ki) * k + kj] = c * paddedPlane + ki * paddedWidth + kj } }
        }
        let second = twoRows ? paddedWidth : 16

        let work = g.input.n * tilesPerImage
        let ranges = Parallel.split(work, parts: min(threads, max(1, work * o * g.patch / 50_000)))
        Parallel.run(ranges.count) { t in
            let padded = Storage(zeros: g.input.c * paddedPlane)
            let tile = Storage(uninitializedCount: gemmMR * gemmNR)
            var paddedImage = -1
            for item in ranges[t] {
                let image = item / tilesPerImage, tileIndex = item % tilesPerImage
                if image != paddedImage {
                    // Copy the image inside the zero border (the border and slack stay zero).
                    let source = x + image * g.input.image
                    for c in 0..<g.input.c {
                        for r in 0..<ih {
                            (padded.pointer + c * paddedPlane + (r + p) * paddedWidth + p)
                                .update(from: source + (c * ih + r) * iw, count: iw)
                        }
                    }
                    paddedImage = image
                }
                let oy = (tileIndex / tilesPerRow) * (twoRows ? 2 : 1)
                let ox = (tileIndex % tilesPerRow) * 32
                let base = UnsafePointer(padded.pointer + oy * paddedWidth + ox)
                let out = y + image * g.outputImage
                for ic in stride(from: 0, to: o, by: gemmMR) {
                    for pc in stride(from: 0, to: g.patch, by: gemmKC) {
                        let kc = min(gemmKC, g.patch - pc)
                        microkernel8x32Direct(kc: kc, a: packedWeight.block(row: ic, col: pc, kc: kc),
                                              offsets: tapOffsets + pc, base: base, second: second,
                                              c: tile.pointer, accumulate: pc > 0)
                    }
                    // Keep the tile's valid rows (channels) and lanes (outputs), plus the bias.
                    for r in 0..<min(gemmMR, o - ic) {
                        let src = tile.pointer + r * gemmNR
                        let b = bias?[ic + r] ?? 0
                        let channel = out + (ic + r) * g.outputPlane
                        if twoRows {
                            for line in 0..<min(2, oh - oy) {
                                let dst = channel + (oy + line) * ow, lanes = src + line * 16
                                for e in 0..<ow { dst[e] = lanes[e] + b }
                            }
                        } else {
                            let dst = channel + oy * ow + ox
                            for e in 0..<min(32, ow - ox) { dst[e] = src[e] + b }
                        }
                    }
                }
            }
            withExtendedLifetime((padded, tile)) {}
        }
        withExtendedLifetime(packedWeight) {}
    }

    /// The 8×32 microkernel with B read in place: step q multiplies the 8 packed weights of tap
    /// `pc + q` by 16 floats at `base + offsets[q]` and 16 at `base + offsets[q] + second`.
    /// Writes (or adds to) the 8×32 tile `c`.
    @inline(__always)
    static func microkernel8x32Direct(kc: Int, a: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
                                      base: UnsafePointer<Float>, second: Int,
                                      c: UnsafeMutablePointer<Float>, accumulate: Bool) {
        typealias V = SIMD16<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
        var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
        var ap = a
        let raw = UnsafeRawPointer(base)
        let secondBytes = second &* 4
        for q in 0..<kc {
            let bp = raw + offsets[q] &* 4
            let b0 = bp.loadUnaligned(as: V.self)
            let b1 = bp.loadUnaligned(fromByteOffset: secondBytes, as: V.self)
            var av = V(repeating: ap[0]); c00.addProduct(av, b0); c01.addProduct(av, b1)
            av = V(repeating: ap[1]); c10.addProduct(av, b0); c11.addProduct(av, b1)
            av = V(repeating: ap[2]); c20.addProduct(av, b0); c21.addProduct(av, b1)
            av = V(repeating: ap[3]); c30.addProduct(av, b0); c31.addProduct(av, b1)
            av = V(repeating: ap[4]); c40.addProduct(av, b0); c41.addProduct(av, b1)
            av = V(repeating: ap[5]); c50.addProduct(av, b0); c51.addProduct(av, b1)
            av = V(repeating: ap[6]); c60.addProduct(av, b0); c61.addProduct(av, b1)
            av = V(repeating: ap[7]); c70.addProduct(av, b0); c71.addProduct(av, b1)
            ap += 8
        }
        @inline(__always) func store(_ row: Int, _ lo: V, _ hi: V) {
            let p = UnsafeMutableRawPointer(c + row * 32)
            if accumulate {
                p.storeBytes(of: p.loadUnaligned(as: V.self) + lo, as: V.self)
                p.storeBytes(of: p.loadUnaligned(fromByteOffset: 64, as: V.self) + hi, toByteOffset: 64, as: V.self)
            } else {
                p.storeBytes(of: lo, as: V.self)
                p.storeBytes(of: hi, toByteOffset: 64, as: V.self)
            }
        }
        store(0, c00, c01); store(1, c10, c11); store(2, c20, c21); store(3, c30, c31)
        store(4, c40, c41); store(5, c50, c51); store(6, c60, c61); store(7, c70, c71)
    }
}

/// The stride-1 weight gradient without im2col, for small weight matrices.
///
/// dw[o, (c, ki, kj)] = Σ over positions of dy[o, oy, ox] · xpad[c, oy + ki, ox + kj].
/// Sixteen positions of an output row sit in one vector; a 4×4 block of (channel, tap) pairs
/// keeps 16 vector sums in registers over a group of images, and each is added across its
/// lanes once per group. When the weight matrix is a few GEMM tiles at most (LeNet's first
/// layer is 6×25, a fraction of one 8×32 tile), GEMM would spend its time packing the long
/// sum's operands; this reads them in place. (Measured with the bench: 4× faster on LeNet's
/// first layer, slower than GEMM on AlexNet's and GoogLeNet's.)
extension Kernels {
    static func usesDirectWeightGradient(_ g: ConvGeometry) -> Bool {
        g.window.stride == 1 && g.outChannels * g.patch <= 16_384
    }

    static func conv2dBackwardWeightDirect(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ g: ConvGeometry,
                                           slices: [Range<Int>], outputs: (Int) -> UnsafeMutablePointer<Float>, threads: Int) {
        let (o, k, p) = (g.outChannels, g.window.size, g.window.padding)
        let flat = k == 1 && p == 0
        let (oh, ow) = flat ? (1, g.outputPlane) : (g.outputHeight, g.outputWidth)
        let (ih, iw) = flat ? (1, g.input.plane) : (g.input.h, g.input.w)
        let paddedWidth = iw + 2 * p + 32, paddedPlane = paddedWidth * (ih + 2 * p + 1)
        let paddedImage = g.input.c * paddedPlane
        // dy rows padded with zeros to whole vectors, so lanes past the row end add nothing.
        let vectorsPerRow = (ow + 15) / 16
        let dyRow = vectorsPerRow * 16, dyPlane = oh * dyRow, dyImage = o * dyPlane
        let taps = g.patch
        let tapOffsets = UnsafeMutablePointer<Int>.allocate(capacity: taps)
        defer { tapOffsets.deallocate() }
        for ch in 0..<g.input.c {
            for ki in 0..<k { for kj in 0..<k { tapOffsets[(ch * k + ki) * k + kj] = ch * paddedPlane + ki * paddedWidth + kj } }
        }
        // Images padded together: as many as fit in about 1 MB (at least one).
        let groupSize = max(1, (1 << 18) / (paddedImage + dyImage))

        let perThread = Parallel.split(slices.count, parts: threads)
        Parallel.run(perThread.count) { t in
            let padded = Storage(zeros: min(groupSize, slices.map(\.count).max() ?? 1) * paddedImage)
            let dyPadded = Storage(zeros: min(groupSize, slices.map(\.count).max() ?? 1) * dyImage)
            for s in perThread[t] {
                let out = outputs(s)
                out.update(repeating: 0, count: o * taps)
                for first in stride(from: slices[s].lowerBound, to: slices[s].upperBound, by: groupSize) {
                    let images = min(groupSize, slices[s].upperBound - first)
                    for j in 0..<images {
                        let source = x + (first + j) * g.input.image
                        for ch in 0..<g.input.c {
                            for r in 0..<ih {
                                (padded.pointer + j * paddedImage + ch * paddedPlane + (r + p) * paddedWidth + p)
                                    .update(from: source + (ch * ih + r) * iw, count: iw)
                            }
                        }
                        let gradient = dy + (first + j) * g.outputImage
                        for oc in 0..<o {
                            for r in 0..<oh {
                                (dyPadded.pointer + j * dyImage + oc * dyPlane + r * dyRow)
                                    .update(from: gradient + (oc * oh + r) * ow, count: ow)
                            }
                        }
                    }
                    for ob in stride(from: 0, to: o, by: 4) {
                        for tb in stride(from: 0, to: taps, by: 4) {
                            weightGradientBlock(
                                images: images, channels: min(4, o - ob), taps: min(4, taps - tb),
                                dy: dyPadded.pointer + ob * dyPlane, dyImage: dyImage, dyPlane: dyPlane, dyRow: dyRow,
                                rows: oh, vectorsPerRow: vectorsPerRow,
                                x: padded.pointer, xImage: paddedImage, paddedWidth: paddedWidth,
                                tapOffsets: tapOffsets + tb, out: out + ob * taps + tb, outStride: taps)
                        }
                    }
                }
            }
            withExtendedLifetime((padded, dyPadded)) {}
        }
    }

    /// Adds Σ over `images` and positions of dy[channel] · xpad[tap] to out[channel, tap], for up
    /// to 4 channels and 4 taps, with 16 vector sums in registers.
    @inline(__always)
    static func weightGradientBlock(
        images: Int, channels: Int, taps: Int,
        dy: UnsafePointer<Float>, dyImage: Int, dyPlane: Int, dyRow: Int, rows: Int, vectorsPerRow: Int,
        x: UnsafePointer<Float>, xImage: Int, paddedWidth: Int,
        tapOffsets: UnsafePointer<Int>, out: UnsafeMutablePointer<Float>, outStride: Int
    ) {
        typealias V = SIMD16<Float>
        // Missing channels or taps read channel 0 or tap 0 again; their sums are dropped.
        let c1 = channels > 1 ? dyPlane : 0, c2 = channels > 2 ? 2 * dyPlane : 0, c3 = channels > 3 ? 3 * dyPlane : 0
        let t0 = tapOffsets[0], t1 = taps > 1 ? tapOffsets[1] : t0, t2 = taps > 2 ? tapOffsets[2] : t0, t3 = taps > 3 ? tapOffsets[3] : t0
        var s00 = V(), s01 = V(), s02 = V(), s03 = V(), s10 = V(), s11 = V(), s12 = V(), s13 = V()
        var s20 = V(), s21 = V(), s22 = V(), s23 = V(), s30 = V(), s31 = V(), s32 = V(), s33 = V()
        for image in 0..<images {
            let dyBase = UnsafeRawPointer(dy + image * dyImage)
            let xBase = UnsafeRawPointer(x + image * xImage)
            for r in 0..<rows {
                for v in 0..<vectorsPerRow {
                    let d = (r * dyRow + v * 16) &* 4
                    let g0 = dyBase.loadUnaligned(fromByteOffset: d, as: V.self)
                    let g1 = dyBase.loadUnaligned(fromByteOffset: d + c1 &* 4, as: V.self)
                    let g2 = dyBase.loadUnaligned(fromByteOffset: d + c2 &* 4, as: V.self)
                    let g3 = dyBase.loadUnaligned(fromByteOffset: d + c3 &* 4, as: V.self)
                    let position = (r * paddedWidth + v * 16) &* 4
                    var xv = xBase.loadUnaligned(fromByteOffset: position + t0 &* 4, as: V.self)
                    s00.addProduct(g0, xv); s10.addProduct(g1, xv); s20.addProduct(g2, xv); s30.addProduct(g3, xv)
                    xv = xBase.loadUnaligned(fromByteOffset: position + t1 &* 4, as: V.self)
                    s01.addProduct(g0, xv); s11.addProduct(g1, xv); s21.addProduct(g2, xv); s31.addProduct(g3, xv)
                    xv = xBase.loadUnaligned(fromByteOffset: position + t2 &* 4, as: V.self)
                    s02.addProduct(g0, xv); s12.addProduct(g1, xv); s22.addProduct(g2, xv); s32.addProduct(g3, xv)
                    xv = xBase.loadUnaligned(fromByteOffset: position + t3 &* 4, as: V.self)
                    s03.addProduct(g0, xv); s13.addProduct(g1, xv); s23.addProduct(g2, xv); s33.addProduct(g3, xv)
                }
            }
        }
        @inline(__always) func add(_ ch: Int, _ row: (V, V, V, V)) {
            guard ch < channels else { return }
            let o = out + ch * outStride
            o[0] += row.0.sum()
            if taps > 1 { o[1] += row.1.sum() }
            if taps > 2 { o[2] += row.2.sum() }
            if taps > 3 { o[3] += row.3.sum() }
        }
        add(0, (s00, s01, s02, s03)); add(1, (s10, s11, s12, s13)); add(2, (s20, s21, s22, s23)); add(3, (s30, s31, s32, s33))
    }
}
