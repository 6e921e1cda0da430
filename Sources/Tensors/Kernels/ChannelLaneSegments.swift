/// channelLanes' forward for 16 output channels or fewer on planes whose rows are a whole number
/// of 10 wide (LeNet's second layer: 10² from 6 channels, 16 out), in tiles of two segments of
/// rows, 10 positions each.
///
/// A step of a tile loads one tap's offset and its row of 16 weights, and each of its 20 FMAs
/// broadcasts from segment + offset + 4r. A first version (for Intel's cores, which split an
/// FMA with an indexed memory operand into two micro-ops) copied each image into a buffer of
/// the thread's own and kept a pointer for every tile's segment and tap: 12 KB for LeNet's
/// layer, beside the weights' rows (9.6 KB), the copy, and each image and its outputs passing
/// through, more than L1 holds. Its loop alone on one core, its data in L1, ran at the core's
/// peak (116.7 GFLOP/s against a probe of 117, on Zen 4); in the layer, at 80–82%. Reading the
/// image in place (when it has no padding) through one table of tap offsets (1.2 KB), where on
/// Zen 4 the indexed operands cost nothing, ran LeNet's second forward 1.067 times as fast
/// (199.4 against 184.8 GFLOP/s on 2 threads, `compare_builds --rounds 7`, lowest round
/// 1.031). On one thread it then ran at 93–105 GFLOP/s (79–90% of the probe beside it), and
/// at 110–114 (95–98%) with its tiles not stored (a temporary switch, four runs each). Storing
/// a tile as one 16×16 and one 4×16 transpose, with the biases where the sums start
/// (`storeSegments`), instead of three 8×16 ones through the stack, each biased: 1.058 times
/// as fast on 2 threads (192.6 against 182.8, lowest round 1.013) and 1.049 on one
/// (`compare_builds --rounds 7`). What is left is y's lines coming in to be written: on one
/// thread, 99.5–106.0 GFLOP/s so, 108.0–109.6 with the tiles stored into one small buffer
/// instead, 108.8–111.8 not stored (temporary switches, three runs each).
///
/// y[i, o, oy, ox] = b[o] + Σ over taps q in order of xpad[i, c, oy + ki, ox + kj] · w[o, q], in
/// registers, the same for any thread count. With padding, the image is copied inside a zero
/// border, so a tile sums every tap, those on zeros too.
enum ChannelLaneSegments {
    /// Positions in a segment: a piece of an output row.
    static let length = 10

    /// Whether segments fit this forward: stride 1, 16 output channels or fewer, output rows
    /// a whole number of segments wide, and no more than 256 taps (their rows of weights,
    /// 64 bytes a tap, in half of L1).
    static func fit(_ g: ConvGeometry) -> Bool {
        g.window.stride == 1 && g.outChannels <= 16 && g.outputWidth > 0 && g.outputWidth % length == 0 && g.patch <= 256
    }
}

extension Kernels {
    /// x is (N, C, H, W), weight is (O, C, K, K) with O ≤ 16, bias is (O) or nil; writes y,
    /// (N, O, OH, OW). Each thread takes whole images, reading each in place when it has no
    /// padding and from a zero-bordered copy of its own otherwise.
    static func conv2dForwardChannelLaneSegments(
        x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let (o, taps, plane, length) = (g.outChannels, g.patch, g.outputPlane, ChannelLaneSegments.length)
        precondition(ChannelLaneSegments.fit(g), "channelLanes' segments do not fit this convolution")
        let layout = PaddedImages(g, rowVectors: false)
        let segments = plane / length, tiles = (segments + 1) / 2
        // The weights as wᵀ, rows of 16 channels, one a tap (zeros past o), and the biases as
        // one such row, where each tile's sums start (so `storeTile` adds none: `noBias`).
        let rows = Storage(uninitializedCount: taps * 16), biasRow = Storage(zeros: 16), noBias = Storage(zeros: 16 * 8)
        packB(transB: true, b: weight, ldb: taps, row: 0, col: 0, kc: taps, nc: o, columns: 16, into: rows.pointer)
        if let bias { biasRow.pointer.update(from: bias, count: o) }
        // Where tile t's two segments start in an image of `layout` (a last tile of one segment
        // reads it twice, and stores it once).
        let starts = IntBuffer(count: tiles * 2)
        for tile in 0..<tiles {
            for half in 0..<2 { starts.pointer[tile * 2 + half] = layout.start(image: 0, position: min(2 * tile + half, segments - 1) * length) }
        }
        let ranges = Parallel.split(g.input.n, parts: min(threads, max(1, g.input.n * o * plane * taps / 50_000)))
        Parallel.run(ranges.count) { t in
            let padded = layout.isImageItself ? nil : Storage(zeros: layout.image)
            let sums = Storage(uninitializedCount: 2 * length * 16)
            for image in ranges[t] {
                var source = x + image * g.input.image
                if let padded {
                    layout.copy(source, into: padded.pointer)
                    source = UnsafePointer(padded.pointer)
                }
                let out = y + image * o * plane
                for tile in 0..<tiles {
                    channelLanesSegments2x10(steps: taps, offsets: layout.tapOffsets.pointer,
                                             first: source + starts.pointer[tile * 2], second: source + starts.pointer[tile * 2 + 1],
                                             rows: UnsafeRawPointer(rows.pointer), bias: UnsafeRawPointer(biasRow.pointer), tile: sums.pointer)
                    // The tile's segments follow each other in y: 20 positions, stored by one
                    // transpose. A last tile of one segment stores its 10 as positions 0..<8 and
                    // 2..<10 (six of them written twice, alike).
                    let at = out + 2 * tile * length
                    if 2 * tile + 1 < segments {
                        storeSegments(sums.pointer, channels: o, to: at, plane: plane)
                    } else {
                        for first in [0, length - 8] {
                            storeTile(sums.pointer + first * 16, positions: 8, lanes: 16, channels: o,
                                      spreadBias: noBias.pointer, to: at + first, plane: plane, step: 1)
                        }
                    }
                }
            }
            withExtendedLifetime((padded, sums)) {}
        }
        withExtendedLifetime((layout, rows, biasRow, noBias, starts)) {}
    }

    /// Writes to `tile` ([20][16]) `bias` (16 floats) plus Σ over steps q of the 10 floats from
    /// first + offsets[q] (the first segment) and from second + offsets[q] (the second), each
    /// times row q of `rows` (16 floats a row): two segments of 10 positions by 16 channels.
    ///
    /// Not inlined, and optimized for size, as `channelLanesTile`: the loop is an offset load,
    /// a row load and 20 FMAs that each broadcast from segment + offset + 4r (objdump).
    @inline(never) @_optimize(size)
    static func channelLanesSegments2x10(steps: Int, offsets: UnsafePointer<Int>, first: UnsafePointer<Float>,
                                         second: UnsafePointer<Float>, rows: UnsafeRawPointer, bias: UnsafeRawPointer,
                                         tile: UnsafeMutablePointer<Float>) {
        var sums = Segments2x10(startingAt: bias.loadUnaligned(as: SIMD16<Float>.self))
        var row = rows
        for q in 0..<steps {
            let offset = offsets[q]
            sums.addOuterProduct(first + offset, second + offset, row.loadUnaligned(as: SIMD16<Float>.self))
            row += 64
        }
        sums.store(to: UnsafeMutableRawPointer(tile))
    }

    /// Writes a tile of two segments (`tile`: 20 rows of 16 lanes, a lane per channel) as each
    /// channel's 20 floats, `plane` apart from `out` (only `channels` of them). Positions 0..<16
    /// are transposed in registers as one 16×16 block, each channel's 16 floats then one store;
    /// positions 16..<20 as one 4×16 block, each channel's 4 floats one store. (`storeTile`
    /// took three 8×16 blocks, one overlapping, each parked on the stack and stored 8 floats a
    /// channel.) Compiled apart for 16 channels, where no store asks whether it is one.
    @inline(never)
    static func storeSegments(_ tile: UnsafePointer<Float>, channels: Int, to out: UnsafeMutablePointer<Float>, plane: Int) {
        if channels == 16 {
            storeSegmentsTransposed(tile, channels: 16, to: out, plane: plane)
        } else {
            storeSegmentsTransposed(tile, channels: channels, to: out, plane: plane)
        }
    }

    /// `storeSegments`, inlined where `channels` is known.
    @inline(__always)
    static func storeSegmentsTransposed(_ tile: UnsafePointer<Float>, channels: Int, to out: UnsafeMutablePointer<Float>,
                                        plane: Int) {
        typealias V = SIMD16<Float>
        let rows = UnsafeRawPointer(tile), target = UnsafeMutableRawPointer(out), channelBytes = plane &* 4
        @inline(__always) func row(_ r: Int) -> V { rows.loadUnaligned(fromByteOffset: r &* 64, as: V.self) }
        // Each round splits every pair of vectors into even and odd places, which turns index
        // (row, lane) of the 256 floats one bit to the right; four rounds, into (lane, row).
        var v = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7),
                 row(8), row(9), row(10), row(11), row(12), row(13), row(14), row(15))
        for _ in 0..<4 {
            v = (V(lowHalf: v.0.evenHalf, highHalf: v.1.evenHalf), V(lowHalf: v.2.evenHalf, highHalf: v.3.evenHalf),
                 V(lowHalf: v.4.evenHalf, highHalf: v.5.evenHalf), V(lowHalf: v.6.evenHalf, highHalf: v.7.evenHalf),
                 V(lowHalf: v.8.evenHalf, highHalf: v.9.evenHalf), V(lowHalf: v.10.evenHalf, highHalf: v.11.evenHalf),
                 V(lowHalf: v.12.evenHalf, highHalf: v.13.evenHalf), V(lowHalf: v.14.evenHalf, highHalf: v.15.evenHalf),
                 V(lowHalf: v.0.oddHalf, highHalf: v.1.oddHalf), V(lowHalf: v.2.oddHalf, highHalf: v.3.oddHalf),
                 V(lowHalf: v.4.oddHalf, highHalf: v.5.oddHalf), V(lowHalf: v.6.oddHalf, highHalf: v.7.oddHalf),
                 V(lowHalf: v.8.oddHalf, highHalf: v.9.oddHalf), V(lowHalf: v.10.oddHalf, highHalf: v.11.oddHalf),
                 V(lowHalf: v.12.oddHalf, highHalf: v.13.oddHalf), V(lowHalf: v.14.oddHalf, highHalf: v.15.oddHalf))
        }
        @inline(__always) func store(_ channel: Int, _ positions: V) {
            guard channel < channels else { return }
            target.storeBytes(of: positions, toByteOffset: channel &* channelBytes, as: V.self)
        }
        store(0, v.0); store(1, v.1); store(2, v.2); store(3, v.3); store(4, v.4); store(5, v.5); store(6, v.6); store(7, v.7)
        store(8, v.8); store(9, v.9); store(10, v.10); store(11, v.11); store(12, v.12); store(13, v.13); store(14, v.14)
        store(15, v.15)
        // The same rounds on 64 floats: (row, lane) to (lane, row), 4 channels a vector.
        var last = (row(16), row(17), row(18), row(19))
        for _ in 0..<4 {
            last = (V(lowHalf: last.0.evenHalf, highHalf: last.1.evenHalf), V(lowHalf: last.2.evenHalf, highHalf: last.3.evenHalf),
                    V(lowHalf: last.0.oddHalf, highHalf: last.1.oddHalf), V(lowHalf: last.2.oddHalf, highHalf: last.3.oddHalf))
        }
        @inline(__always) func storeFours(_ first: Int, _ fours: V) {
            @inline(__always) func put(_ k: Int, _ four: SIMD4<Float>) {
                guard first &+ k < channels else { return }
                target.storeBytes(of: four, toByteOffset: (first &+ k) &* channelBytes &+ 64, as: SIMD4<Float>.self)
            }
            put(0, fours.lowHalf.lowHalf); put(1, fours.lowHalf.highHalf); put(2, fours.highHalf.lowHalf); put(3, fours.highHalf.highHalf)
        }
        storeFours(0, last.0); storeFours(4, last.1); storeFours(8, last.2); storeFours(12, last.3)
    }
}

/// 20 sums of 16 lanes in registers: two segments of 10 positions by 16 channels.
struct Segments2x10 {
    typealias V = SIMD16<Float>
    var c = (V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V())

    /// Every sum starting at `start` (the channels' biases).
    @inline(__always) init(startingAt start: V) {
        c = (start, start, start, start, start, start, start, start, start, start,
             start, start, start, start, start, start, start, start, start, start)
    }

    /// Adds first[r] times `row` to sum r, and second[r] times `row` to sum 10 + r.
    @inline(__always)
    mutating func addOuterProduct(_ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>, _ row: V) {
        c.0.addProduct(V(repeating: first[0]), row)
        c.1.addProduct(V(repeating: first[1]), row)
        c.2.addProduct(V(repeating: first[2]), row)
        c.3.addProduct(V(repeating: first[3]), row)
        c.4.addProduct(V(repeating: first[4]), row)
        c.5.addProduct(V(repeating: first[5]), row)
        c.6.addProduct(V(repeating: first[6]), row)
        c.7.addProduct(V(repeating: first[7]), row)
        c.8.addProduct(V(repeating: first[8]), row)
        c.9.addProduct(V(repeating: first[9]), row)
        c.10.addProduct(V(repeating: second[0]), row)
        c.11.addProduct(V(repeating: second[1]), row)
        c.12.addProduct(V(repeating: second[2]), row)
        c.13.addProduct(V(repeating: second[3]), row)
        c.14.addProduct(V(repeating: second[4]), row)
        c.15.addProduct(V(repeating: second[5]), row)
        c.16.addProduct(V(repeating: second[6]), row)
        c.17.addProduct(V(repeating: second[7]), row)
        c.18.addProduct(V(repeating: second[8]), row)
        c.19.addProduct(V(repeating: second[9]), row)
    }

    /// Writes the sums as 20 rows of 16 floats.
    @inline(__always) func store(to tile: UnsafeMutableRawPointer) {
        withUnsafeBytes(of: c) { tile.copyMemory(from: $0.baseAddress!, byteCount: 20 * MemoryLayout<V>.stride) }
    }
}
