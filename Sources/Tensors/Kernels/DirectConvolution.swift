/// Stride-1 convolution forward without any im2col or B packing.
///
/// It is the GEMM of `Convolution.swift` (y = w · col) with the B operand read in place: for
/// stride 1, the receptive-field value of output (oy, ox) at kernel tap (c, ki, kj) is
/// xpad[c, oy + ki, ox + kj], so 16 consecutive outputs of one row read 16 consecutive floats
/// of one row of the zero-padded image. The 8×32 register tile covers 8 output channels and
/// either 32 outputs of one row (wide images) or 16 outputs of two rows (narrow ones; where
/// that leaves many lanes idle, 16 positions of the flattened plane of two images instead,
/// from copies shifted per kernel column: `ShiftedRows`); the weights are packed once, as
/// GEMM's A. A last block of 6 channels or fewer runs in a 6-row tile (`Tile6x32`). Each tile
/// sums only the kernel rows that read inside the image for its output rows (`RowClasses`),
/// which leaves out a third of the taps of LeNet's input gradient.
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
        if ShiftedRows.laneFill(g) != nil {
            conv2dForwardShiftedRows(x: x, ShiftedRows(layout), weight: weight, bias: bias, y: y, threads: threads)
            return
        }
        let (oh, ow) = (layout.outputHeight, layout.outputWidth)
        let twoRows = ow <= 16
        // Tiles per image: (first output row, first output column) of each 8×32 tile.
        let tilesPerRow = twoRows ? 1 : (ow + 31) / 32
        let tileRows = twoRows ? (oh + 1) / 2 : oh
        let tilesPerImage = tileRows * tilesPerRow
        // Each tile sums over the kernel rows inside the image for its output rows only.
        let rowsPerTile = twoRows ? 2 : 1
        let plan = RowClasses(layout, tileRows: (0..<tileRows).map { $0 * rowsPerTile..<min(oh, ($0 + 1) * rowsPerTile) },
                              tapOffsets: layout.tapOffsets.pointer, weight: weight)
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
                let rowClass = plan.classes[plan.classOfTile[tileIndex / tilesPerRow]]
                for ic in stride(from: 0, to: o, by: gemmMR) {
                    sumDirectTile(rowClass, channels: ic, of: o, base: base, secondHalf: secondHalf, into: tile.pointer)
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
        withExtendedLifetime(plan) {}
    }
}

extension Kernels {
    /// Writes to `tile` ([8][32]) the sums of output channels ic..<ic+8 (fewer at o) over the
    /// taps of `rowClass`: step q reads 16 floats at `base + offsets[q]` and 16 more
    /// `secondHalf` bytes further. A last block of 6 channels or fewer runs in a 6-row tile.
    @inline(__always)
    static func sumDirectTile(_ rowClass: RowClasses.Class, channels ic: Int, of o: Int, base: UnsafeRawPointer, secondHalf: Int,
                              into tile: UnsafeMutablePointer<Float>) {
        if rowClass.blocks.isEmpty { tile.update(repeating: 0, count: gemmMR * gemmNR) }
        for block in rowClass.blocks {
            let taps = rowClass.offsets.pointer + block.lowerBound
            let a = rowClass.weights.block(row: ic, col: block.lowerBound, kc: block.count)
            if o - ic <= 6 {
                microkernel8x32(Tile6x32.self, kc: block.count, a: a, c: tile, ldc: gemmNR,
                                accumulate: block.lowerBound > 0, secondHalf: secondHalf) { base + taps[$0] &* 4 }
            } else {
                microkernel8x32(kc: block.count, a: a, c: tile, ldc: gemmNR,
                                accumulate: block.lowerBound > 0, secondHalf: secondHalf) { base + taps[$0] &* 4 }
            }
        }
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

/// Images copied into zero-padded planes for the direct kernels, so that every kernel tap of
/// every output reads memory without a bounds check: p zero rows and columns around each plane,
/// plus, for kernels that load 16 outputs of a row at once (`rowVectors`), slack so that such
/// loads past the end of a row (or two rows on) stay inside. A 1×1 convolution without padding
/// treats each whole plane as one long row.
struct PaddedImages {
    let geometry: ConvGeometry
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let paddedWidth: Int, paddedPlane: Int
    /// Offset of every kernel tap (c, ki, kj) in a padded image, in GEMM's k order.
    let tapOffsets: IntBuffer

    init(_ g: ConvGeometry, rowVectors: Bool = true) {
        geometry = g
        let (k, p) = (g.window.size, g.window.padding)
        (outputHeight, outputWidth) = g.directRows
        (inputHeight, inputWidth) = g.skipsIm2col ? (1, g.input.plane) : (g.input.h, g.input.w)
        paddedWidth = inputWidth + 2 * p + (rowVectors ? 32 : 0)
        paddedPlane = paddedWidth * (inputHeight + 2 * p + (rowVectors ? 2 : 0))
        tapOffsets = IntBuffer(count: g.patch)
        for c in 0..<g.input.c {
            for ki in 0..<k {
                for kj in 0..<k { tapOffsets.pointer[(c * k + ki) * k + kj] = c * paddedPlane + ki * paddedWidth + kj }
            }
        }
    }

    /// Floats in one padded image.
    var image: Int { geometry.input.c * paddedPlane }

    /// Whether a padded image is the image itself (no padding, no room for row vectors), so
    /// that the images of a batch, side by side in x, can be read in place.
    var isImageItself: Bool { image == geometry.input.image }

    /// Where output `position` of image `i`'s plane has its receptive field start, in images
    /// padded side by side (`image` apart).
    @inline(__always)
    func start(image i: Int, position: Int) -> Int {
        let s = geometry.window.stride
        return i * image + (position / outputWidth * s) * paddedWidth + position % outputWidth * s
    }

    /// Copies one (C, H, W) image inside the zero border of `padded` (the border stays zero).
    func copy(_ source: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>) {
        let p = geometry.window.padding
        for c in 0..<geometry.input.c {
            for r in 0..<inputHeight {
                Kernels.copyFloats(inputWidth, from: source + (c * inputHeight + r) * inputWidth,
                                   to: padded + c * paddedPlane + (r + p) * paddedWidth + p)
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
