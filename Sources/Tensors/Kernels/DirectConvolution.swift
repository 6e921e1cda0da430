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
    /// x is (N, C, H, W), weight is (O, C, K, K), bias is (O) or nil; writes y, (N, O, OH, OW).
    static func conv2dForwardDirect(
        x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let o = g.outChannels
        let layout = PaddedImages(g)
        let (oh, ow) = (layout.outputHeight, layout.outputWidth)
        let twoRows = ow <= 16
        // Tiles per image: (first output row, first output column) of each 8×32 tile.
        let tilesPerRow = twoRows ? 1 : (ow + 31) / 32
        let tileRows = twoRows ? (oh + 1) / 2 : oh
        let tilesPerImage = tileRows * tilesPerRow
        let packedWeight = PackedMatrix(transposed: false, rows: o, columns: g.patch, weight, ld: g.patch)
        // The second 16 outputs of a tile: the next row (narrow images) or the next 16 columns.
        let secondHalf = (twoRows ? layout.paddedWidth : 16) * MemoryLayout<Float>.stride

        let work = g.input.n * tilesPerImage
        let ranges = Parallel.split(work, parts: min(threads, max(1, work * o * g.patch / 50_000)))
        Parallel.run(ranges.count) { t in
            let padded = Storage(zeros: layout.image)
            let tile = Storage(uninitializedCount: gemmMR * gemmNR)
            var paddedImage = -1
            for item in ranges[t] {
                let image = item / tilesPerImage, tileIndex = item % tilesPerImage
                if image != paddedImage {
                    layout.copy(x + image * g.input.image, into: padded.pointer)
                    paddedImage = image
                }
                let oy = (tileIndex / tilesPerRow) * (twoRows ? 2 : 1)
                let ox = (tileIndex % tilesPerRow) * 32
                let base = UnsafeRawPointer(padded.pointer + oy * layout.paddedWidth + ox)
                let out = y + image * g.outputImage
                for ic in stride(from: 0, to: o, by: gemmMR) {
                    for pc in stride(from: 0, to: g.patch, by: gemmKC) {
                        let kc = min(gemmKC, g.patch - pc)
                        let taps = layout.tapOffsets.pointer + pc
                        microkernel8x32(kc: kc, a: packedWeight.block(row: ic, col: pc, kc: kc), c: tile.pointer,
                                        ldc: gemmNR, accumulate: pc > 0, secondHalf: secondHalf) { base + taps[$0] &* 4 }
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
    /// dy is (N, O, OH, OW), x is (N, C, H, W); writes the weight gradient of each slice of the
    /// batch, (O, C, K, K), to `outputs(slice)`.
    static func conv2dBackwardWeightDirect(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ g: ConvGeometry,
                                           slices: [Range<Int>], outputs: (Int) -> UnsafeMutablePointer<Float>, threads: Int) {
        if g.outChannels >= 32 {
            return conv2dBackwardWeightTiles(dy: dy, x: x, g, slices: slices, outputs: outputs, threads: threads)
        }
        let o = g.outChannels, taps = g.patch
        let layout = PaddedImages(g)
        let (oh, ow) = (layout.outputHeight, layout.outputWidth)
        let paddedImage = layout.image
        // dy rows padded with zeros to whole vectors, so lanes past the row end add nothing.
        let vectorsPerRow = (ow + 15) / 16
        let dyRow = vectorsPerRow * 16, dyPlane = oh * dyRow, dyImage = o * dyPlane
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
                        layout.copy(x + (first + j) * g.input.image, into: padded.pointer + j * paddedImage)
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
                                x: padded.pointer, xImage: paddedImage, paddedWidth: layout.paddedWidth,
                                tapOffsets: layout.tapOffsets.pointer + tb, out: out + ob * taps + tb, outStride: taps)
                        }
                    }
                }
            }
            withExtendedLifetime((padded, dyPadded)) {}
        }
        withExtendedLifetime(layout) {}
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

/// The stride-1 weight gradient as GEMM's outer products, for 32 output channels or more.
///
/// dwᵀ[(c, ki, kj), o] = Σ over positions of xpad[c, oy + ki, ox + kj] · dy[o, oy, ox]: a
/// product whose sum runs over the output positions. Its 8×32 register tile holds 8 kernel taps
/// by 32 output channels; each step broadcasts the 8 taps' values at one position, read in place
/// from the zero-padded image, and multiplies them by the 32 channels' dy at that position, read
/// from a copy of dy transposed once per image (channels innermost, in blocks of 32). Packing
/// col's panels, as the packed GEMM does, costs a scalar gather per tap and position, which
/// with only O multiply-adds to share it was a quarter to a half of the packed weight
/// gradient's time at O = 128 and 64.
extension Kernels {
    static func conv2dBackwardWeightTiles(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ g: ConvGeometry,
                                          slices: [Range<Int>], outputs: (Int) -> UnsafeMutablePointer<Float>, threads: Int) {
        let o = g.outChannels, taps = g.patch
        let layout = PaddedImages(g)
        let (oh, ow) = (layout.outputHeight, layout.outputWidth)
        let positions = oh * ow
        let channelBlocks = (o + 31) / 32, tapBlocks = (taps + 7) / 8
        let perThread = Parallel.split(slices.count, parts: threads)
        Parallel.run(perThread.count) { t in
            let padded = Storage(zeros: layout.image)
            // dy of one image as [channel block][position][32 channels], zeros past channel o.
            let dyT = Storage(zeros: channelBlocks * positions * 32)
            // The sums, tile by tile: [channel block][tap block][8 taps][32 channels].
            let sums = Storage(uninitializedCount: channelBlocks * tapBlocks * 256)
            for s in perThread[t] {
                sums.pointer.update(repeating: 0, count: channelBlocks * tapBlocks * 256)
                for image in slices[s] {
                    layout.copy(x + image * g.input.image, into: padded.pointer)
                    let gradient = dy + image * g.outputImage
                    for oc in 0..<o {
                        let src = gradient + oc * positions
                        let dst = dyT.pointer + (oc / 32) * positions * 32 + oc % 32
                        for q in 0..<positions { dst[q &* 32] = src[q] }
                    }
                    for cb in 0..<channelBlocks {
                        let channels = UnsafePointer(dyT.pointer + cb * positions * 32)
                        for tb in 0..<tapBlocks {
                            // Missing taps of the last block read tap 0 again; their sums are dropped.
                            let first = tb * 8, count = min(8, taps - first)
                            let offset = { (r: Int) in layout.tapOffsets.pointer[first + (r < count ? r : 0)] }
                            weightGradientTile(
                                x: padded.pointer, offsets: (offset(0), offset(1), offset(2), offset(3),
                                                             offset(4), offset(5), offset(6), offset(7)),
                                rows: oh, columns: ow, paddedWidth: layout.paddedWidth, dy: channels,
                                tile: sums.pointer + (cb * tapBlocks + tb) * 256)
                        }
                    }
                }
                let out = outputs(s)
                for oc in 0..<o {
                    let (cb, lane) = (oc / 32, oc % 32)
                    for tap in 0..<taps {
                        out[oc * taps + tap] = sums.pointer[((cb * tapBlocks + tap / 8) * 8 + tap % 8) * 32 + lane]
                    }
                }
            }
            withExtendedLifetime((padded, dyT, sums)) {}
        }
        withExtendedLifetime(layout) {}
    }

    /// Adds Σ over one image's positions of xpad[tap r] · dy[channels] to the 8×32 `tile`.
    @inline(__always)
    static func weightGradientTile(x: UnsafePointer<Float>, offsets: (Int, Int, Int, Int, Int, Int, Int, Int),
                                   rows: Int, columns: Int, paddedWidth: Int, dy: UnsafePointer<Float>,
                                   tile: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        let t = UnsafeMutableRawPointer(tile)
        @inline(__always) func load(_ r: Int, _ half: Int) -> V { t.load(fromByteOffset: (r * 32 + half * 16) * 4, as: V.self) }
        var c00 = load(0, 0), c01 = load(0, 1), c10 = load(1, 0), c11 = load(1, 1)
        var c20 = load(2, 0), c21 = load(2, 1), c30 = load(3, 0), c31 = load(3, 1)
        var c40 = load(4, 0), c41 = load(4, 1), c50 = load(5, 0), c51 = load(5, 1)
        var c60 = load(6, 0), c61 = load(6, 1), c70 = load(7, 0), c71 = load(7, 1)
        let (x0, x1, x2, x3) = (x + offsets.0, x + offsets.1, x + offsets.2, x + offsets.3)
        let (x4, x5, x6, x7) = (x + offsets.4, x + offsets.5, x + offsets.6, x + offsets.7)
        for oy in 0..<rows {
            let row = oy &* paddedWidth
            let d = UnsafeRawPointer(dy + oy &* columns &* 32)
            for ox in 0..<columns {
                let b0 = d.loadUnaligned(fromByteOffset: ox &* 128, as: V.self)
                let b1 = d.loadUnaligned(fromByteOffset: ox &* 128 &+ 64, as: V.self)
                let i = row &+ ox
                var av = V(repeating: x0[i]); c00.addProduct(av, b0); c01.addProduct(av, b1)
                av = V(repeating: x1[i]); c10.addProduct(av, b0); c11.addProduct(av, b1)
                av = V(repeating: x2[i]); c20.addProduct(av, b0); c21.addProduct(av, b1)
                av = V(repeating: x3[i]); c30.addProduct(av, b0); c31.addProduct(av, b1)
                av = V(repeating: x4[i]); c40.addProduct(av, b0); c41.addProduct(av, b1)
                av = V(repeating: x5[i]); c50.addProduct(av, b0); c51.addProduct(av, b1)
                av = V(repeating: x6[i]); c60.addProduct(av, b0); c61.addProduct(av, b1)
                av = V(repeating: x7[i]); c70.addProduct(av, b0); c71.addProduct(av, b1)
            }
        }
        @inline(__always) func store(_ r: Int, _ lo: V, _ hi: V) {
            t.storeBytes(of: lo, toByteOffset: r * 128, as: V.self)
            t.storeBytes(of: hi, toByteOffset: r * 128 + 64, as: V.self)
        }
        store(0, c00, c01); store(1, c10, c11); store(2, c20, c21); store(3, c30, c31)
        store(4, c40, c41); store(5, c50, c51); store(6, c60, c61); store(7, c70, c71)
    }
}

/// Images copied into zero-padded planes for the direct kernels, so that every kernel tap of
/// every output reads memory without a bounds check: p zero rows and columns around each plane,
/// plus slack so that full 16-lane loads past the end of a row (or two rows on) stay inside.
/// A 1×1 convolution without padding treats each whole plane as one long row.
struct PaddedImages {
    let geometry: ConvGeometry
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let paddedWidth: Int, paddedPlane: Int
    /// Offset of every kernel tap (c, ki, kj) in a padded image, in GEMM's k order.
    let tapOffsets: IntBuffer

    init(_ g: ConvGeometry) {
        geometry = g
        let (k, p) = (g.window.size, g.window.padding)
        let flat = k == 1 && p == 0
        (outputHeight, outputWidth) = flat ? (1, g.outputPlane) : (g.outputHeight, g.outputWidth)
        (inputHeight, inputWidth) = flat ? (1, g.input.plane) : (g.input.h, g.input.w)
        paddedWidth = inputWidth + 2 * p + 32
        paddedPlane = paddedWidth * (inputHeight + 2 * p + 2)
        tapOffsets = IntBuffer(count: g.patch)
        for c in 0..<g.input.c {
            for ki in 0..<k {
                for kj in 0..<k { tapOffsets.pointer[(c * k + ki) * k + kj] = c * paddedPlane + ki * paddedWidth + kj }
            }
        }
    }

    /// Floats in one padded image.
    var image: Int { geometry.input.c * paddedPlane }

    /// Copies one (C, H, W) image inside the zero border of `padded` (the border stays zero).
    func copy(_ source: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>) {
        let p = geometry.window.padding
        for c in 0..<geometry.input.c {
            for r in 0..<inputHeight {
                (padded + c * paddedPlane + (r + p) * paddedWidth + p)
                    .update(from: source + (c * inputHeight + r) * inputWidth, count: inputWidth)
            }
        }
    }
}

/// Integers in memory that their owner frees.
final class IntBuffer {
    let pointer: UnsafeMutablePointer<Int>
    init(count: Int) { pointer = .allocate(capacity: max(count, 1)) }
    deinit { pointer.deallocate() }
}
