/// channelLanes' forward for 16 output channels or fewer on planes whose rows are a whole number
/// of 10 wide (LeNet's second layer: 10² from 6 channels, 16 out), in tiles of two segments of
/// rows, 10 positions each.
///
/// The 8-position 16-lane tile (`channelLanesTile8x16`) reads its 8 positions through 8
/// pointers and one offset a step, so each multiply-add's broadcast operand is addressed as
/// pointer + offset · 4. On Intel's cores an FMA with such an indexed memory operand is split
/// into two micro-ops (un-lamination), where one addressed as a pointer plus a constant stays
/// one; LeNet's second forward ran at 65–69% of the peak probed beside it. Here
/// the image is copied into a buffer of the thread's own, whose address does not change, so
/// that where each segment reads each tap is a pointer computed once per call; a step loads
/// the tap's two pointers and a row of 16 weights, and each of its 20 FMAs broadcasts from one
/// of the pointers at a fixed distance (pointer + 4r: not indexed). Alone on one thread, with
/// its data in L1, such a loop ran at 180–184 GFLOP/s, against 158 with pointer + offset
/// operands (a prototype; the core's peak is about 187). LeNet's second forward ran 1.185
/// times as fast as by `channelLanesTile8x16` (285 against 242 GFLOP/s on 2 threads, medians
/// of `compare_builds --rounds 7`, lowest round 1.12).
///
/// y[i, o, oy, ox] = Σ over taps q in order of xpad[i, c, oy + ki, ox + kj] · w[o, q], in
/// registers, the same for any thread count. The buffer holds the zero border, so a tile sums
/// every tap, those on zeros too.
enum ChannelLaneSegments {
    /// Positions in a segment: a piece of an output row.
    static let length = 10

    /// Whether segments fit this forward: stride 1, 16 output channels or fewer, output rows
    /// a whole number of segments wide, and no more than 4,096 segment-taps' pointers (32 KB).
    static func fit(_ g: ConvGeometry) -> Bool {
        guard g.window.stride == 1 && g.outChannels <= 16 && g.outputWidth > 0 && g.outputWidth % length == 0 else { return false }
        let tiles = (g.outputPlane / length + 1) / 2
        return tiles * 2 * g.patch <= 4_096
    }
}

extension Kernels {
    /// x is (N, C, H, W), weight is (O, C, K, K) with O ≤ 16, bias is (O) or nil; writes y,
    /// (N, O, OH, OW). Each thread takes whole images, copying each into its buffer.
    static func conv2dForwardChannelLaneSegments(
        x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let (o, taps, plane, length) = (g.outChannels, g.patch, g.outputPlane, ChannelLaneSegments.length)
        precondition(ChannelLaneSegments.fit(g), "channelLanes' segments do not fit this convolution")
        let layout = PaddedImages(g, rowVectors: false)
        let segments = plane / length, tiles = (segments + 1) / 2
        // The weights as wᵀ, rows of 16 channels, one a tap (zeros past o), and the biases as
        // `storeTile` reads them.
        let rows = Storage(uninitializedCount: taps * 16), spreadBias = Storage(uninitializedCount: 16 * 8)
        packB(transB: true, b: weight, ldb: taps, row: 0, col: 0, kc: taps, nc: o, columns: 16, into: rows.pointer)
        spreadBiases(bias, channels: o, lanes: 16, into: spreadBias.pointer)
        let ranges = Parallel.split(g.input.n, parts: min(threads, max(1, g.input.n * o * plane * taps / 50_000)))
        Parallel.run(ranges.count) { t in
            let padded = Storage(zeros: layout.image)
            // For tile t, step q: where its two segments read the tap, in `padded` (a last tile
            // of one segment reads it twice, and stores it once).
            let pointers = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: tiles * taps * 2)
            defer { pointers.deallocate() }
            for tile in 0..<tiles {
                for half in 0..<2 {
                    let segment = min(2 * tile + half, segments - 1), position = segment * length
                    let start = layout.start(image: 0, position: position)
                    for q in 0..<taps {
                        pointers[(tile * taps + q) * 2 + half] = UnsafePointer(padded.pointer + start + layout.tapOffsets.pointer[q])
                    }
                }
            }
            let sums = Storage(uninitializedCount: 2 * length * 16)
            for image in ranges[t] {
                layout.copy(x + image * g.input.image, into: padded.pointer)
                let out = y + image * o * plane
                for tile in 0..<tiles {
                    channelLanesSegments2x10(steps: taps, pointers: pointers + tile * taps * 2,
                                             rows: UnsafeRawPointer(rows.pointer), tile: sums.pointer)
                    // The tile's segments follow each other in y: 20 positions (or 10 in a last
                    // tile of one), written 8 at a time, the last 8 ending at its end (some
                    // positions written twice, alike).
                    let count = min(2, segments - 2 * tile) * length
                    for group in stride(from: 0, to: count, by: 8) {
                        let first = min(group, count - 8)
                        storeTile(sums.pointer + first * 16, positions: 8, lanes: 16, channels: o,
                                  spreadBias: spreadBias.pointer, to: out + 2 * tile * length + first, plane: plane, step: 1)
                    }
                }
            }
            withExtendedLifetime((padded, sums)) {}
        }
        withExtendedLifetime((layout, rows, spreadBias)) {}
    }

    /// Writes to `tile` ([20][16]) Σ over steps q of the 10 floats from pointers[2q] (the first
    /// segment) and from pointers[2q + 1] (the second), each times row q of `rows` (16 floats a
    /// row): two segments of 10 positions by 16 channels.
    ///
    /// Not inlined, and optimized for size, as `channelLanesTile`: the loop is two pointer
    /// loads, a row load and 20 FMAs that each broadcast from pointer + 4r (objdump).
    @inline(never) @_optimize(size)
    static func channelLanesSegments2x10(steps: Int, pointers: UnsafePointer<UnsafePointer<Float>>, rows: UnsafeRawPointer,
                                         tile: UnsafeMutablePointer<Float>) {
        var sums = Segments2x10()
        var row = rows
        for q in 0..<steps {
            sums.addOuterProduct(pointers[2 &* q], pointers[2 &* q &+ 1], row.loadUnaligned(as: SIMD16<Float>.self))
            row += 64
        }
        sums.store(to: UnsafeMutableRawPointer(tile))
    }
}

/// 20 sums of 16 lanes in registers: two segments of 10 positions by 16 channels.
struct Segments2x10 {
    typealias V = SIMD16<Float>
    var c = (V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V())

    @inline(__always) init() {}

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
