/// Stride-1 convolution forward without any im2col or B packing.
///
/// It is the GEMM of `Convolution.swift` (y = w · col) with the B operand read in place: for
/// stride 1, the receptive-field value of output (oy, ox) at kernel tap (c, ki, kj) is
/// xpad[c, oy + ki, ox + kj], so 16 consecutive outputs of one row read 16 consecutive floats
/// of one row of the zero-padded image. The 8×32 register tile covers 8 output channels and
/// two segments of up to 16 outputs of a row, the next two in reading order
/// (`DirectForwardTiles`: two halves of a row, a row's end and the next row's start, or two
/// narrow rows; where narrow rows leave many lanes idle, 16 positions of the flattened plane of
/// two images instead, from copies shifted per kernel column: `ShiftedRows`); the weights are packed once, as
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
        let layout = PaddedImages(g)
        if ShiftedRows.laneFill(g) != nil {
            conv2dForwardShiftedRows(x: x, ShiftedRows(layout), weight: weight, bias: bias, y: y, threads: threads)
            return
        }
        let tiles = DirectForwardTiles(layout, weight: weight)
        let work = g.input.n * tiles.perImage
        let ranges = Parallel.split(work, parts: min(threads, max(1, work * g.outChannels * g.patch / 50_000)))
        Parallel.run(ranges.count) { t in
            let padded = Storage(zeros: layout.image)
            let scratch = Storage(uninitializedCount: gemmMR * gemmNR)
            var paddedImage = -1
            for item in ranges[t] {
                let image = item / tiles.perImage
                if image != paddedImage {
                    layout.copy(x + image * g.input.image, into: padded.pointer)
                    paddedImage = image
                }
                tiles.sum(item % tiles.perImage, of: padded.pointer, bias: bias, into: y + image * g.outputImage,
                          planeStride: g.outputPlane, scratch: scratch.pointer)
            }
            withExtendedLifetime((padded, scratch)) {}
        }
    }
}

/// The direct forward's tiles over one padded image: 8 output channels by two segments of 16
/// outputs. A row is cut into segments of 16 (its last may be shorter; a row of 16 or fewer is
/// one), and tile t takes segments 2t and 2t + 1 in reading order: two halves of one row, or a
/// row's last and the next row's first. So rows of 112 (7 segments) fill every lane, where
/// tiles of 32 along a row filled 112 of 128 (VGG's 16-channel input gradient at 112²), and
/// narrow rows go two to a tile. Each tile sums only the kernel rows inside the image for its
/// output rows (`RowClasses`). The whole batch's forward runs them image by image; the fused
/// convolution and pool a few rows at a time (`conv2dReLUMaxPoolForward`).
struct DirectForwardTiles {
    let layout: PaddedImages
    /// Segments of up to 16 outputs in an output row, and in all of an image's.
    let segmentsPerRow: Int, segments: Int
    let plan: RowClasses

    init(_ layout: PaddedImages, weight: UnsafePointer<Float>) {
        self.layout = layout
        let perRow = (layout.outputWidth + 15) / 16, count = layout.outputHeight * perRow
        (segmentsPerRow, segments) = (perRow, count)
        plan = RowClasses(layout, tileRows: (0..<(count + 1) / 2).map { t in
            (2 * t) / perRow..<min(2 * t + 1, count - 1) / perRow + 1
        }, tapOffsets: layout.tapOffsets.pointer, weight: weight)
    }

    /// Tiles in one image: two segments each (the last, of an odd count, one).
    var perImage: Int { (segments + 1) / 2 }

    /// The tiles of output rows `rows`, whose first is an even number of segments into the
    /// image (`rows.lowerBound` even, or rows of an even number of segments) and whose last
    /// ends the image or is followed by such a row.
    func tiles(ofRows rows: Range<Int>) -> Range<Int> {
        rows.lowerBound * segmentsPerRow / 2..<(min(rows.upperBound * segmentsPerRow, segments) + 1) / 2
    }

    /// Where segment j lies: its output row, first column and width.
    @inline(__always)
    func segment(_ j: Int) -> (row: Int, column: Int, width: Int) {
        let (row, column) = (j / segmentsPerRow, j % segmentsPerRow * 16)
        return (row, column, min(16, layout.outputWidth - column))
    }

    /// Sums tile `t` of the image padded at `padded` and writes its outputs plus the bias:
    /// output (oc, oy, ox) to `out[oc · planeStride + (oy − firstRow) · OW + ox]`. `scratch`
    /// holds one 8 × 32 tile.
    @inline(__always)
    func sum(_ t: Int, of padded: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>,
             planeStride: Int, firstRow: Int = 0, scratch: UnsafeMutablePointer<Float>) {
        let o = layout.geometry.outChannels, ow = layout.outputWidth, width = layout.paddedWidth
        let first = segment(2 * t)
        let second = 2 * t + 1 < segments ? segment(2 * t + 1) : nil
        let start = first.row * width + first.column
        // A last tile of one segment reads its second half from the row's slack, and drops it.
        let secondHalf = ((second.map { $0.row * width + $0.column } ?? start + 16) - start) * MemoryLayout<Float>.stride
        let base = UnsafeRawPointer(padded + start)
        let rowClass = plan.classes[plan.classOfTile[t]]
        for ic in stride(from: 0, to: o, by: Kernels.gemmMR) {
            Kernels.sumDirectTile(rowClass, channels: ic, of: o, base: base, secondHalf: secondHalf, into: scratch)
            // Keep the tile's valid rows (channels) and lanes (outputs), plus the bias.
            for r in 0..<min(Kernels.gemmMR, o - ic) {
                let lanes = scratch + r * Kernels.gemmNR
                let b = bias?[ic + r] ?? 0
                let channel = out + (ic + r) * planeStride - firstRow * ow
                @inline(__always) func write(_ piece: (row: Int, column: Int, width: Int), from src: UnsafePointer<Float>) {
                    let dst = channel + piece.row * ow + piece.column
                    for e in 0..<piece.width { dst[e] = src[e] + b }
                }
                write(first, from: lanes)
                if let second { write(second, from: lanes + 16) }
            }
        }
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
/// dy is copied with each row as wide as the padded image's (zeros past the output width), so
/// that output position p = oy · (padded width) + ox reads tap (c, ki, kj) at one offset from p
/// in the padded image: 16 consecutive positions of the flattened plane, across rows, are 16
/// consecutive floats of both, and a narrow plane fills most of a vector's lanes (LeNet's
/// 10-wide rows 100 of 144, where 16 lanes a row filled 10). A block of 6 output channels by
/// 4 taps keeps 24 vector sums in registers, loading 6 vectors of dy and 4 of the image for 24
/// multiply-adds; its sums wait in memory between groups of images and are added across their
/// lanes once per slice. When the weight matrix is a few GEMM tiles at most (LeNet's first
/// layer is 6×25, a fraction of one 8×32 tile), GEMM would spend its time packing the long
/// sum's operands; this reads them in place.
extension Kernels {
    /// dy is (N, O, OH, OW), x is (N, C, H, W); writes the weight gradient of each slice of the
    /// batch, (O, C, K, K), to `outputs(slice)`, and, given `biasOutputs`, its Σ dy per channel
    /// there (`summingSlices`), summed from the copies of dy's planes the sums read.
    static func conv2dBackwardWeightDirect(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ g: ConvGeometry,
                                           slices: [Range<Int>], outputs: (Int) -> UnsafeMutablePointer<Float>,
                                           biasOutputs: ((Int) -> UnsafeMutablePointer<Float>)?, threads: Int) {
        let (oh, ow) = g.directRows
        conv2dBackwardWeightDirect(gradientPlane: { i, oc, into, rowPitch in
            let plane = dy + i * g.outputImage + oc * g.outputPlane
            for r in 0..<oh { copyFloats(ow, from: plane + r * ow, to: into + r * rowPitch) }
        }, x: x, g, slices: slices, outputs: outputs, biasOutputs: biasOutputs, threads: threads)
    }

    /// The same, with dy's plane of image i, channel oc written by `gradientPlane(i, oc, into,
    /// rowPitch)`: its rows (`g.directRows`: a 1×1 layer's whole plane is one) `rowPitch` floats
    /// apart (the floats between stay zero). From dy itself, above; from a max pool's gradient,
    /// `conv2dReLUMaxPoolWeightGradient`.
    static func conv2dBackwardWeightDirect(gradientPlane: (Int, Int, UnsafeMutablePointer<Float>, Int) -> Void,
                                           x: UnsafePointer<Float>, _ g: ConvGeometry,
                                           slices: [Range<Int>], outputs: (Int) -> UnsafeMutablePointer<Float>,
                                           biasOutputs: ((Int) -> UnsafeMutablePointer<Float>)?, threads: Int) {
        let o = g.outChannels, taps = g.patch
        let layout = PaddedImages(g, rowVectors: false)
        let (oh, width) = (layout.outputHeight, layout.paddedWidth)
        let paddedImage = layout.image
        // dy's plane as rows of the padded width, in whole vectors: zeros past each row's end
        // and past the last row, so that those lanes add nothing.
        let vectors = (oh * width + 15) / 16
        let dyPlane = vectors * 16, dyImage = o * dyPlane
        // The last vectors of the last channel read up to k + 14 floats past a padded image.
        let slack = g.window.size + 16
        let (blockChannels, blockTaps) = (6, 4)
        let channelBlocks = (o + blockChannels - 1) / blockChannels, tapBlocks = (taps + blockTaps - 1) / blockTaps
        let blockFloats = blockChannels * blockTaps * 16
        let blockOperands = paddedImage + blockChannels * dyPlane
        // Images per group: as many as keep one block's operands, a padded image and 6 planes
        // of dy each, within about 24 KB of L1 (at least one, at most the largest slice).
        let group = max(1, min(6_144 / blockOperands, slices.map(\.count).max() ?? 1))
        // A plane whose block does not fit in L1 at all (VGG's 224², 1.4 MB a block) is summed
        // in chunks of about 24 KB of operands, all blocks over one chunk before the next, so
        // the chunk's dy and image stay in L1 for every block, where each block streamed the
        // whole plane from cache further out. Each lane still adds its terms in order: the
        // same bits.
        let chunks = blockOperands <= 12_288 ? 1 : (vectors * (blockChannels + 1) * 16 + 6_143) / 6_144
        let chunk = (vectors + chunks - 1) / chunks

        let perThread = Parallel.split(slices.count, parts: threads)
        Parallel.run(perThread.count) { t in
            let padded = Storage(zeros: group * paddedImage + slack)
            let dyPadded = Storage(zeros: group * dyImage)
            let sums = Storage(uninitializedCount: channelBlocks * tapBlocks * blockFloats)
            // The slice's Σ dy per channel.
            let biasSums = Storage(uninitializedCount: o)
            for s in perThread[t] {
                sums.pointer.update(repeating: 0, count: channelBlocks * tapBlocks * blockFloats)
                biasSums.pointer.update(repeating: 0, count: o)
                for first in stride(from: slices[s].lowerBound, to: slices[s].upperBound, by: group) {
                    let images = min(group, slices[s].upperBound - first)
                    for j in 0..<images {
                        layout.copy(x + (first + j) * g.input.image, into: padded.pointer + j * paddedImage)
                        for oc in 0..<o {
                            gradientPlane(first + j, oc, dyPadded.pointer + j * dyImage + oc * dyPlane, width)
                            if biasOutputs != nil {
                                biasSums.pointer[oc] += sum(dyPadded.pointer + j * dyImage + oc * dyPlane, count: dyPlane)
                            }
                        }
                    }
                    for firstVector in stride(from: 0, to: vectors, by: chunk) {
                        let (count, start) = (min(chunk, vectors - firstVector), firstVector * 16)
                        for cb in 0..<channelBlocks {
                            // Channels past o read channel 0 again, taps past the last tap its block's
                            // first; their sums are never read.
                            let channel = { (i: Int) in (cb * blockChannels + i < o ? i : 0) * dyPlane * 4 }
                            for tb in 0..<tapBlocks {
                                let tap = { (i: Int) in layout.tapOffsets.pointer[tb * blockTaps + (tb * blockTaps + i < taps ? i : 0)] * 4 }
                                weightGradientBlock(
                                    images: images, vectors: count,
                                    dy: UnsafeRawPointer(dyPadded.pointer + cb * blockChannels * dyPlane + start), dyImageBytes: dyImage * 4,
                                    channels: (channel(0), channel(1), channel(2), channel(3), channel(4), channel(5)),
                                    x: UnsafeRawPointer(padded.pointer + start), xImageBytes: paddedImage * 4,
                                    taps: (tap(0), tap(1), tap(2), tap(3)),
                                    sums: UnsafeMutableRawPointer(sums.pointer + (cb * tapBlocks + tb) * blockFloats))
                            }
                        }
                    }
                }
                let out = outputs(s)
                for oc in 0..<o {
                    for tap in 0..<taps {
                        let block = sums.pointer + ((oc / blockChannels) * tapBlocks + tap / blockTaps) * blockFloats
                        let lanes = UnsafeRawPointer(block + ((oc % blockChannels) * blockTaps + tap % blockTaps) * 16)
                        out[oc * taps + tap] = laneSum(lanes.loadUnaligned(as: SIMD16<Float>.self))
                    }
                }
                biasOutputs.map { $0(s).update(from: biasSums.pointer, count: o) }
            }
            withExtendedLifetime((padded, dyPadded, sums, biasSums)) {}
        }
        withExtendedLifetime(layout) {}
    }

    /// Adds, to the 6 × 4 vector sums at `sums` (channel-major, 16 floats each), Σ over `images`
    /// and the plane's `vectors` of dy's channel i (`channels.i` bytes into `dy`) times the image
    /// at tap j (`taps.j` bytes into `x`), lane by lane.
    ///
    /// Not inlined, so that its loop is compiled alone: 6 + 4 loads and 24 FMAs, all in registers.
    @inline(never)
    static func weightGradientBlock(
        images: Int, vectors: Int, dy: UnsafeRawPointer, dyImageBytes: Int, channels: (Int, Int, Int, Int, Int, Int),
        x: UnsafeRawPointer, xImageBytes: Int, taps: (Int, Int, Int, Int), sums: UnsafeMutableRawPointer
    ) {
        typealias V = SIMD16<Float>
        @inline(__always) func load(_ i: Int) -> V { sums.loadUnaligned(fromByteOffset: i * 64, as: V.self) }
        var s00 = load(0), s01 = load(1), s02 = load(2), s03 = load(3), s10 = load(4), s11 = load(5), s12 = load(6), s13 = load(7)
        var s20 = load(8), s21 = load(9), s22 = load(10), s23 = load(11), s30 = load(12), s31 = load(13), s32 = load(14), s33 = load(15)
        var s40 = load(16), s41 = load(17), s42 = load(18), s43 = load(19), s50 = load(20), s51 = load(21), s52 = load(22), s53 = load(23)
        let (c0, c1, c2, c3, c4, c5) = channels
        let (t0, t1, t2, t3) = taps
        for image in 0..<images {
            let dyBase = dy + image &* dyImageBytes, xBase = x + image &* xImageBytes
            for v in 0..<vectors {
                let d = dyBase + v &* 64, p = xBase + v &* 64
                let g0 = d.loadUnaligned(fromByteOffset: c0, as: V.self), g1 = d.loadUnaligned(fromByteOffset: c1, as: V.self)
                let g2 = d.loadUnaligned(fromByteOffset: c2, as: V.self), g3 = d.loadUnaligned(fromByteOffset: c3, as: V.self)
                let g4 = d.loadUnaligned(fromByteOffset: c4, as: V.self), g5 = d.loadUnaligned(fromByteOffset: c5, as: V.self)
                var xv = p.loadUnaligned(fromByteOffset: t0, as: V.self)
                s00.addProduct(g0, xv); s10.addProduct(g1, xv); s20.addProduct(g2, xv); s30.addProduct(g3, xv); s40.addProduct(g4, xv); s50.addProduct(g5, xv)
                xv = p.loadUnaligned(fromByteOffset: t1, as: V.self)
                s01.addProduct(g0, xv); s11.addProduct(g1, xv); s21.addProduct(g2, xv); s31.addProduct(g3, xv); s41.addProduct(g4, xv); s51.addProduct(g5, xv)
                xv = p.loadUnaligned(fromByteOffset: t2, as: V.self)
                s02.addProduct(g0, xv); s12.addProduct(g1, xv); s22.addProduct(g2, xv); s32.addProduct(g3, xv); s42.addProduct(g4, xv); s52.addProduct(g5, xv)
                xv = p.loadUnaligned(fromByteOffset: t3, as: V.self)
                s03.addProduct(g0, xv); s13.addProduct(g1, xv); s23.addProduct(g2, xv); s33.addProduct(g3, xv); s43.addProduct(g4, xv); s53.addProduct(g5, xv)
            }
        }
        @inline(__always) func store(_ i: Int, _ v: V) { sums.storeBytes(of: v, toByteOffset: i * 64, as: V.self) }
        store(0, s00); store(1, s01); store(2, s02); store(3, s03); store(4, s10); store(5, s11); store(6, s12); store(7, s13)
        store(8, s20); store(9, s21); store(10, s22); store(11, s23); store(12, s30); store(13, s31); store(14, s32); store(15, s33)
        store(16, s40); store(17, s41); store(18, s42); store(19, s43); store(20, s50); store(21, s51); store(22, s52); store(23, s53)
    }
}

/// Images copied into zero-padded planes for the direct kernels, so that every kernel tap of
/// every output reads memory without a bounds check: p zero rows and columns around each plane,
/// plus, for kernels that load 16 outputs of a row at once (`rowVectors`), slack so that such
/// loads past the end of a row (or two rows on) stay inside. A 1×1 convolution without padding
/// treats each whole plane as one long row.
///
/// Without the zero border in memory (`zeroBorder: false`, and no row slack) the layout is the
/// images themselves, read in place: a position's start is its window's corner, outside the
/// image for the positions by its edge, so only the taps inside the image may be read
/// (`PositionClasses` and `TapBlocks` then read no others).
struct PaddedImages {
    let geometry: ConvGeometry
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let paddedWidth: Int, paddedPlane: Int
    /// The zero rows and columns around each plane in memory: the padding, or none.
    let margin: Int
    /// Offset of every kernel tap (c, ki, kj) in a padded image, in GEMM's k order.
    let tapOffsets: IntBuffer

    init(_ g: ConvGeometry, rowVectors: Bool = true, zeroBorder: Bool = true) {
        geometry = g
        let k = g.window.size
        let p = zeroBorder ? g.window.padding : 0
        margin = p
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

    /// Whether a padded image is the image itself (no border in memory, no room for row
    /// vectors), so that the images of a batch, side by side in x, can be read in place.
    var isImageItself: Bool { image == geometry.input.image }

    /// Whether every tap may be read, the ones in the padding as zeros.
    var hasZeroBorder: Bool { margin == geometry.window.padding }

    /// Where output `position` of image `i`'s plane has its receptive field start, in images
    /// padded side by side (`image` apart): its window's corner, which without the border can
    /// lie outside the image (even before it: a negative offset from the group's first).
    @inline(__always)
    func start(image i: Int, position: Int) -> Int {
        let (s, shift) = (geometry.window.stride, margin - geometry.window.padding)
        return i * image + (position / outputWidth * s + shift) * paddedWidth + position % outputWidth * s + shift
    }

    /// Copies one (C, H, W) image inside the zero border of `padded` (the border stays zero),
    /// in one piece when the layout is the image itself.
    func copy(_ source: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>) {
        if isImageItself {
            padded.update(from: source, count: image)
            return
        }
        let p = margin
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
