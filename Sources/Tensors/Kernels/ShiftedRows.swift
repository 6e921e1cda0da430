/// The direct forward on narrow planes, with 16 positions of the flattened plane in a vector.
///
/// The direct kernel reads 16 outputs of one row as 16 consecutive floats of the padded image,
/// so a 10-wide row (LeNet's second convolution) fills 10 of a vector's 16 lanes. Here each
/// image is first copied k times, once per kernel column kj, as planes of output-width rows:
/// copy kj holds xpad[c, iy, kj ..< kj + OW] as row iy of channel c. Output position
/// p = oy · OW + ox at tap (c, ki, kj) then reads copy kj at (c's plane) + ki · OW + p, so any
/// 16 consecutive positions of the plane, across rows, read 16 consecutive floats: a 10² plane
/// fills 100 of its 7 vectors' 112 lanes. An 8 × 32 tile holds the same 16 positions of two
/// images, so both halves sum the same taps (`RowClasses`, by the output rows a vector spans).
///
/// The copies hold k times the padded image, written a row of 16 floats at a time, against
/// O · k multiply-adds per float copied (LeNet's second convolution: 80).
struct ShiftedRows {
    let layout: PaddedImages
    /// Floats in one channel of a copy: the padded plane's rows, each `outputWidth` wide.
    let channelFloats: Int
    /// Floats in an image's k copies.
    let image: Int
    /// Vectors of 16 positions per output plane, the last one part-filled.
    let vectors: Int
    /// Where each tap (c, ki, kj) reads in the copies, in GEMM's k order.
    let tapOffsets: IntBuffer

    init(_ layout: PaddedImages) {
        self.layout = layout
        let g = layout.geometry, (k, c) = (g.window.size, g.input.c), width = layout.outputWidth
        channelFloats = (layout.inputHeight + 2 * g.window.padding) * width
        image = k * c * channelFloats
        vectors = (g.outputPlane + 15) / 16
        tapOffsets = IntBuffer(count: g.patch)
        for channel in 0..<c {
            for ki in 0..<k {
                for kj in 0..<k {
                    tapOffsets.pointer[(channel * k + ki) * k + kj] = (kj * c + channel) * channelFloats + ki * width
                }
            }
        }
    }

    /// The share of their lanes that vectors of the flattened plane fill, when the direct
    /// forward runs by shifted rows; nil when it keeps its tiles of rows. Only rows of 16 or
    /// fewer (direct's tiles then hold two rows, `outputWidth` of 16 lanes each), and only where
    /// the flattened vectors fill at least 5/4 as many lanes and an image's copies fit in 24 KB,
    /// so that a pair's stay in a core's L1 (48 KB). On a 2-core AMD EPYC: LeNet's second forward
    /// (10-wide rows: 100 of 112 lanes against 10 of 16, copies of 17 KB) ran at 1.18 times the
    /// speed of the 16-lane channelLanes tiles chosen before (`compare_builds --rounds 5`), its
    /// input gradient (14-wide, 1.08 times the lanes, 80 KB) at 0.68 of direct's rows; NiN's last
    /// forward (5-wide, 2.5 times, 161 KB) at 0.6–0.7 of channelLanes' speed (`bench --rounds 3`).
    /// Since channelLanes writes its tiles in vectors (December 2026), its 16-lane tiles run
    /// LeNet's second forward at 1.23 times this speed, and the chooser no longer picks direct
    /// for it (`ConvolutionAlgorithm.stride1Forward`); direct asked for still runs this way.
    static func laneFill(_ g: ConvGeometry) -> Double? {
        let (width, plane, k, p) = (g.outputWidth, g.outputPlane, g.window.size, g.window.padding)
        // A 1×1 layer without padding is one long row to the direct kernel (`PaddedImages`).
        guard g.window.stride == 1 && width <= 16 && !(k == 1 && p == 0) else { return nil }
        let fill = Double(plane) / Double((plane + 15) / 16 * 16)
        let copyBytes = k * g.input.c * (g.input.h + 2 * p) * width * MemoryLayout<Float>.stride
        return fill >= 1.25 * Double(width) / 16 && copyBytes <= 24 * 1024 ? fill : nil
    }

    /// Floats for two images' copies side by side, and slack: a row's copy writes, and the last
    /// vector reads, up to 16 floats past them.
    var pairFloats: Int { 2 * image + 16 }

    /// The output rows that vector v's positions lie in.
    func rows(ofVector v: Int) -> Range<Int> {
        let width = layout.outputWidth, plane = layout.outputHeight * width
        return 16 * v / width..<(min(plane, 16 * v + 16) - 1) / width + 1
    }

    /// Writes the k copies of one image to `copies`, reading it from `source`, its channels
    /// `planeFloats` apart and its rows `rowFloats` apart: a padded copy (`layout`'s, with room for
    /// row vectors), or, without padding, the image itself. Each row goes as 16 floats, the
    /// ones past its end overwritten by the next row (rows are written in the order they lie),
    /// the last one's into the slack; a row whose 16 floats would pass `end` (the batch's last)
    /// goes a float at a time.
    func copy(from source: UnsafePointer<Float>, planeFloats: Int, rowFloats: Int, end: UnsafePointer<Float>,
              into copies: UnsafeMutablePointer<Float>) {
        let g = layout.geometry, (k, c) = (g.window.size, g.input.c), width = layout.outputWidth
        let rows = channelFloats / width
        var target = copies
        for kj in 0..<k {
            for channel in 0..<c {
                var row = source + channel * planeFloats + kj
                for _ in 0..<rows {
                    if end - row >= 16 {
                        UnsafeMutableRawPointer(target).storeBytes(of: UnsafeRawPointer(row).loadUnaligned(as: SIMD16<Float>.self),
                                                                   as: SIMD16<Float>.self)
                    } else {
                        Kernels.copyFloats(width, from: row, to: target)
                    }
                    row += rowFloats
                    target += width
                }
            }
        }
    }
}

extension Kernels {
    /// The direct forward by `ShiftedRows`: x is (N, C, H, W), weight is (O, C, K, K), bias is
    /// (O) or nil; writes y, (N, O, OH, OW). Work items are (pair of images, vector); a pair's
    /// copies are made once by the thread that takes its first item.
    static func conv2dForwardShiftedRows(
        x: UnsafePointer<Float>, _ shifted: ShiftedRows, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let layout = shifted.layout, g = layout.geometry
        let (o, plane, vectors) = (g.outChannels, g.outputPlane, shifted.vectors)
        let plan = RowClasses(layout, tileRows: (0..<vectors).map(shifted.rows(ofVector:)),
                              tapOffsets: shifted.tapOffsets.pointer, weight: weight)
        let pairs = (g.input.n + 1) / 2
        let work = pairs * vectors
        let ranges = Parallel.split(work, parts: min(threads, max(1, work * o * g.patch / 50_000)))
        // Without padding the copies are made from the images themselves, read up to here.
        let batchEnd = x + g.input.n * g.input.image
        Parallel.run(ranges.count) { t in
            let padded = Storage(zeros: g.window.padding == 0 ? 0 : layout.image)
            let copies = Storage(zeros: shifted.pairFloats)
            let tile = Storage(uninitializedCount: gemmMR * gemmNR)
            var copiedPair = -1
            for item in ranges[t] {
                let (pair, v) = item.quotientAndRemainder(dividingBy: vectors)
                let first = 2 * pair, images = min(2, g.input.n - first)
                if pair != copiedPair {
                    for i in 0..<images {
                        let image = x + (first + i) * g.input.image, copy = copies.pointer + i * shifted.image
                        if g.window.padding == 0 {
                            shifted.copy(from: image, planeFloats: g.input.plane, rowFloats: g.input.w, end: batchEnd, into: copy)
                        } else {
                            layout.copy(image, into: padded.pointer)
                            shifted.copy(from: padded.pointer, planeFloats: layout.paddedPlane, rowFloats: layout.paddedWidth,
                                         end: padded.pointer + layout.image, into: copy)
                        }
                    }
                    copiedPair = pair
                }
                // The tile's second half: the pair's second image, or the first again when alone.
                let secondHalf = (images == 2 ? shifted.image : 0) * MemoryLayout<Float>.stride
                let base = UnsafeRawPointer(copies.pointer + 16 * v)
                let rowClass = plan.classes[plan.classOfTile[v]]
                let lanes = min(16, plane - 16 * v)
                for ic in stride(from: 0, to: o, by: gemmMR) {
                    sumDirectTile(rowClass, channels: ic, of: o, base: base, secondHalf: secondHalf, into: tile.pointer)
                    // Keep the tile's valid rows (channels) and lanes (positions), plus the bias.
                    for r in 0..<min(gemmMR, o - ic) {
                        let b = bias?[ic + r] ?? 0
                        for i in 0..<images {
                            let src = tile.pointer + r * gemmNR + 16 * i
                            let dst = y + ((first + i) * o + ic + r) * plane + 16 * v
                            if lanes == 16 {
                                UnsafeMutableRawPointer(dst).storeBytes(
                                    of: UnsafeRawPointer(src).loadUnaligned(as: SIMD16<Float>.self) + b, as: SIMD16<Float>.self)
                            } else {
                                for e in 0..<lanes { dst[e] = src[e] + b }
                            }
                        }
                    }
                }
            }
            withExtendedLifetime((padded, copies, tile)) {}
        }
        withExtendedLifetime((plan, shifted)) {}
    }
}
