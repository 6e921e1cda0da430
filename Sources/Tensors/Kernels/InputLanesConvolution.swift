/// Convolution with the input channels in the vector lanes, for layers that map many input
/// channels to few output channels (NiN's last, 384 → 10 at 5²).
///
/// channelLanes puts the output channels in the lanes: 10 of them fill 10 of a tile's 16, and
/// each step of its 16-lane tile loads 8 broadcast values for 8 multiply-adds, so it waits on
/// loads. Here the images are copied channels innermost ((H, W, C), C rounded up to a multiple
/// of 64 with zeros), and the weights likewise as (O, K, K, C): along a kernel row, the taps'
/// channels then lie side by side in both, so an output is a dot product over K runs of K · C
/// floats, one per kernel row.
///
/// Forward: a tile is 5 output channels by 4 output positions, 20 sums of 16 lanes; each step
/// loads 5 weight vectors and 4 image vectors for 20 multiply-adds. Its 4 positions come from
/// one class of positions whose windows have the same kernel rows and columns inside the image,
/// taken across the images of a group, so even a corner fills the tile; the runs then start
/// at the first tap inside and stop at the last, and no step reads outside the image.
///
/// Weight gradient: a tile is 5 output channels by 64 input channels (4 vectors) of one kernel
/// tap, summed over the output positions where that tap reads inside the image (a rectangle);
/// each step broadcasts dy for the 5 channels at one position and loads 4 image vectors.
///
/// Output channels past a multiple of 5 are computed from zero weights (forward) or from the
/// last channel's dy again (weight gradient), and not written.
///
/// Every output's sum runs in the same order (the lanes' partial sums over the runs in order,
/// then added as a tree) whatever the thread count and the group a position falls in.
extension Kernels {
    /// Output channels per tile.
    static let inputLanesOutputs = 5

    /// x is (N, C, H, W), weight is (O, C, K, K), bias is (O) or nil; writes y, (N, O, OH, OW).
    static func conv2dForwardInputLanes(
        x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let layout = ChannelsInnermost(g)
        let (o, k, lanes, taps) = (g.outChannels, g.window.size, layout.lanes, g.window.size * g.window.size)
        let rows = inputLanesOutputs, blocks = (o + rows - 1) / rows
        // The weights as [output channel][tap][lanes], zeros past C and past O.
        let packedWeight = Storage(zeros: blocks * rows * taps * lanes)
        for oc in 0..<o {
            for ic in 0..<g.input.c {
                for t in 0..<taps { packedWeight.pointer[(oc * taps + t) * lanes + ic] = weight[(oc * g.input.c + ic) * taps + t] }
            }
        }
        let classes = WindowClasses(g)
        let group = layout.images, plane = g.outputPlane
        let groups = (g.input.n + group - 1) / group
        let work = groups * blocks
        let ranges = Parallel.split(work, parts: min(threads, max(1, work * rows * group * plane * g.patch / 50_000)))
        Parallel.run(ranges.count) { t in
            let copy = Storage(zeros: layout.groupFloats)
            let sums = Storage(uninitializedCount: rows * 4)
            var copiedGroup = -1
            for item in ranges[t] {
                let (groupIndex, block) = item.quotientAndRemainder(dividingBy: blocks)
                let firstImage = groupIndex * group, images = min(group, g.input.n - firstImage)
                if groupIndex != copiedGroup {
                    layout.copy(images: images, from: x + firstImage * g.input.image, into: copy.pointer)
                    copiedGroup = groupIndex
                }
                let channels = min(rows, o - block * rows)
                for window in classes.classes {
                    let weights = packedWeight.pointer + block * rows * taps * lanes + (window.rows.lowerBound * k + window.columns.lowerBound) * lanes
                    let count = window.positions.count, entries = images * count
                    // Where entry e's window starts in the copy, and where its outputs go.
                    func entry(_ e: Int) -> (x: UnsafePointer<Float>, y: Int) {
                        let (image, index) = min(e, entries - 1).quotientAndRemainder(dividingBy: count)
                        let position = window.positions[index]
                        return (UnsafePointer(copy.pointer) + image * layout.imageFloats + classes.starts[position] * lanes,
                                (firstImage + image) * g.outputImage + block * rows * plane + position)
                    }
                    for first in stride(from: 0, to: entries, by: 4) {
                        let e = (entry(first), entry(first + 1), entry(first + 2), entry(first + 3))
                        inputLanesForwardTile(rows: window.rows.count, runVectors: window.columns.count * lanes / 16,
                                              x: (e.0.x, e.1.x, e.2.x, e.3.x), xRowFloats: g.input.w * lanes,
                                              weights: weights, weightRowFloats: k * lanes, weightChannelFloats: taps * lanes,
                                              sums: sums.pointer)
                        for p in 0..<min(4, entries - first) {
                            let target = p == 0 ? e.0.y : p == 1 ? e.1.y : p == 2 ? e.2.y : e.3.y
                            for r in 0..<channels {
                                y[target + r * plane] = sums.pointer[r * 4 + p] + (bias?[block * rows + r] ?? 0)
                            }
                        }
                    }
                }
            }
            withExtendedLifetime((copy, sums)) {}
        }
        withExtendedLifetime((packedWeight, classes)) {}
    }

    /// Writes to `sums` ([5][4]) the dot products of 5 weight rows with the windows of 4
    /// positions: Σ over `rows` kernel rows of Σ over `runVectors` vectors of the run, the
    /// windows' runs `xRowFloats` apart from `x`, the weights' `weightRowFloats` apart from
    /// `weights` and each output channel's `weightChannelFloats` after the one before.
    ///
    /// Not inlined, and optimized for size so that LLVM does not unroll the loop (as for
    /// `channelLanesTile`): 9 loads and 20 FMAs a step, the 20 sums in registers.
    @inline(never) @_optimize(size)
    static func inputLanesForwardTile(
        rows: Int, runVectors: Int,
        x: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>), xRowFloats: Int,
        weights: UnsafePointer<Float>, weightRowFloats: Int, weightChannelFloats: Int, sums: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD16<Float>
        var s00 = V(), s01 = V(), s02 = V(), s03 = V(), s10 = V(), s11 = V(), s12 = V(), s13 = V()
        var s20 = V(), s21 = V(), s22 = V(), s23 = V(), s30 = V(), s31 = V(), s32 = V(), s33 = V()
        var s40 = V(), s41 = V(), s42 = V(), s43 = V()
        var (x0, x1, x2, x3) = (UnsafeRawPointer(x.0), UnsafeRawPointer(x.1), UnsafeRawPointer(x.2), UnsafeRawPointer(x.3))
        var w0 = UnsafeRawPointer(weights)
        let channelBytes = weightChannelFloats &* 4
        let (w1, w2, w3, w4) = (channelBytes, 2 &* channelBytes, 3 &* channelBytes, 4 &* channelBytes)
        for _ in 0..<rows {
            for v in 0..<runVectors {
                let at = v &* 64
                let a0 = x0.loadUnaligned(fromByteOffset: at, as: V.self), a1 = x1.loadUnaligned(fromByteOffset: at, as: V.self)
                let a2 = x2.loadUnaligned(fromByteOffset: at, as: V.self), a3 = x3.loadUnaligned(fromByteOffset: at, as: V.self)
                var b = w0.loadUnaligned(fromByteOffset: at, as: V.self)
                s00.addProduct(a0, b); s01.addProduct(a1, b); s02.addProduct(a2, b); s03.addProduct(a3, b)
                b = w0.loadUnaligned(fromByteOffset: at &+ w1, as: V.self)
                s10.addProduct(a0, b); s11.addProduct(a1, b); s12.addProduct(a2, b); s13.addProduct(a3, b)
                b = w0.loadUnaligned(fromByteOffset: at &+ w2, as: V.self)
                s20.addProduct(a0, b); s21.addProduct(a1, b); s22.addProduct(a2, b); s23.addProduct(a3, b)
                b = w0.loadUnaligned(fromByteOffset: at &+ w3, as: V.self)
                s30.addProduct(a0, b); s31.addProduct(a1, b); s32.addProduct(a2, b); s33.addProduct(a3, b)
                b = w0.loadUnaligned(fromByteOffset: at &+ w4, as: V.self)
                s40.addProduct(a0, b); s41.addProduct(a1, b); s42.addProduct(a2, b); s43.addProduct(a3, b)
            }
            let xStep = xRowFloats &* 4
            x0 += xStep; x1 += xStep; x2 += xStep; x3 += xStep
            w0 += weightRowFloats &* 4
        }
        @inline(__always) func store(_ r: Int, _ a: V, _ b: V, _ c: V, _ d: V) {
            sums[r &* 4] = laneSum(a); sums[r &* 4 &+ 1] = laneSum(b); sums[r &* 4 &+ 2] = laneSum(c); sums[r &* 4 &+ 3] = laneSum(d)
        }
        store(0, s00, s01, s02, s03); store(1, s10, s11, s12, s13); store(2, s20, s21, s22, s23)
        store(3, s30, s31, s32, s33); store(4, s40, s41, s42, s43)
    }

    /// dy is (N, O, OH, OW), x is (N, C, H, W): writes to `outputs(s)` ((O, C, K, K)) the
    /// weight gradient summed over the images of `slices[s]`.
    static func conv2dBackwardWeightInputLanes(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ g: ConvGeometry,
                                               slices: [Range<Int>], outputs: (Int) -> UnsafeMutablePointer<Float>, threads: Int) {
        let layout = ChannelsInnermost(g)
        let (o, c, k, lanes, taps) = (g.outChannels, g.input.c, g.window.size, layout.lanes, g.window.size * g.window.size)
        let (stride, padding) = (g.window.stride, g.window.padding)
        let rows = inputLanesOutputs, blocks = (o + rows - 1) / rows
        let perThread = Parallel.split(slices.count, parts: threads)
        Parallel.run(perThread.count) { t in
            let copy = Storage(zeros: layout.groupFloats)
            // The sums as [output channel][tap][lanes].
            let sums = Storage(uninitializedCount: blocks * rows * taps * lanes)
            for s in perThread[t] {
                sums.pointer.update(repeating: 0, count: blocks * rows * taps * lanes)
                for firstImage in Swift.stride(from: slices[s].lowerBound, to: slices[s].upperBound, by: layout.images) {
                    let images = min(layout.images, slices[s].upperBound - firstImage)
                    layout.copy(images: images, from: x + firstImage * g.input.image, into: copy.pointer)
                    let gradients = dy + firstImage * g.outputImage
                    for tap in 0..<taps {
                        let (ki, kj) = tap.quotientAndRemainder(dividingBy: k)
                        // The output positions where this tap reads inside the image.
                        let (top, bottom) = validRange(offset: ki - padding, stride: stride, outputs: g.outputHeight, inputs: g.input.h)
                        let (left, right) = validRange(offset: kj - padding, stride: stride, outputs: g.outputWidth, inputs: g.input.w)
                        guard top < bottom && left < right else { continue }
                        let firstRead = ((top * stride + ki - padding) * g.input.w + left * stride + kj - padding) * lanes
                        for block in 0..<blocks {
                            // Channels past O read the last channel's dy again; their sums are not written.
                            func dyStart(_ r: Int) -> UnsafePointer<Float> {
                                gradients + min(block * rows + r, o - 1) * g.outputPlane + top * g.outputWidth + left
                            }
                            for chunk in Swift.stride(from: 0, to: lanes, by: 64) {
                                inputLanesWeightTile(images: images, rows: bottom - top, columns: right - left,
                                                     dy: (dyStart(0), dyStart(1), dyStart(2), dyStart(3), dyStart(4)),
                                                     dyImageFloats: g.outputImage, dyRowFloats: g.outputWidth,
                                                     x: copy.pointer + firstRead + chunk, xImageFloats: layout.imageFloats,
                                                     xRowFloats: stride * g.input.w * lanes, xStepFloats: stride * lanes,
                                                     tile: sums.pointer + (block * rows * taps + tap) * lanes + chunk,
                                                     tileRowFloats: taps * lanes)
                            }
                        }
                    }
                }
                let out = outputs(s)
                for oc in 0..<o {
                    for ic in 0..<c {
                        for tap in 0..<taps { out[(oc * c + ic) * taps + tap] = sums.pointer[(oc * taps + tap) * lanes + ic] }
                    }
                }
            }
            withExtendedLifetime((copy, sums)) {}
        }
    }

    /// Adds to `tile` (5 rows of 64 floats, `tileRowFloats` apart) Σ over the positions of
    /// `images` × `rows` × `columns` of dy_r at the position times the 64 image floats there:
    /// dy_r's positions 1 apart along a row, `dyRowFloats` between rows and `dyImageFloats`
    /// between images; the image's `xStepFloats`, `xRowFloats` and `xImageFloats`.
    ///
    /// Not inlined, and optimized for size, as `inputLanesForwardTile`: 5 broadcasts, 4 loads
    /// and 20 FMAs a step, the 20 sums in registers.
    @inline(never) @_optimize(size)
    static func inputLanesWeightTile(
        images: Int, rows: Int, columns: Int,
        dy: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
        dyImageFloats: Int, dyRowFloats: Int,
        x: UnsafePointer<Float>, xImageFloats: Int, xRowFloats: Int, xStepFloats: Int,
        tile: UnsafeMutablePointer<Float>, tileRowFloats: Int
    ) {
        typealias V = SIMD16<Float>
        let out = UnsafeMutableRawPointer(tile), rowBytes = tileRowFloats &* 4
        @inline(__always) func load(_ r: Int, _ q: Int) -> V { out.loadUnaligned(fromByteOffset: r &* rowBytes &+ q &* 64, as: V.self) }
        var s00 = load(0, 0), s01 = load(0, 1), s02 = load(0, 2), s03 = load(0, 3)
        var s10 = load(1, 0), s11 = load(1, 1), s12 = load(1, 2), s13 = load(1, 3)
        var s20 = load(2, 0), s21 = load(2, 1), s22 = load(2, 2), s23 = load(2, 3)
        var s30 = load(3, 0), s31 = load(3, 1), s32 = load(3, 2), s33 = load(3, 3)
        var s40 = load(4, 0), s41 = load(4, 1), s42 = load(4, 2), s43 = load(4, 3)
        for image in 0..<images {
            for row in 0..<rows {
                let line = image &* dyImageFloats &+ row &* dyRowFloats
                let (d0, d1, d2, d3, d4) = (dy.0 + line, dy.1 + line, dy.2 + line, dy.3 + line, dy.4 + line)
                var xp = UnsafeRawPointer(x + (image &* xImageFloats &+ row &* xRowFloats))
                for q in 0..<columns {
                    let a0 = xp.loadUnaligned(as: V.self), a1 = xp.loadUnaligned(fromByteOffset: 64, as: V.self)
                    let a2 = xp.loadUnaligned(fromByteOffset: 128, as: V.self), a3 = xp.loadUnaligned(fromByteOffset: 192, as: V.self)
                    var b = V(repeating: d0[q])
                    s00.addProduct(a0, b); s01.addProduct(a1, b); s02.addProduct(a2, b); s03.addProduct(a3, b)
                    b = V(repeating: d1[q])
                    s10.addProduct(a0, b); s11.addProduct(a1, b); s12.addProduct(a2, b); s13.addProduct(a3, b)
                    b = V(repeating: d2[q])
                    s20.addProduct(a0, b); s21.addProduct(a1, b); s22.addProduct(a2, b); s23.addProduct(a3, b)
                    b = V(repeating: d3[q])
                    s30.addProduct(a0, b); s31.addProduct(a1, b); s32.addProduct(a2, b); s33.addProduct(a3, b)
                    b = V(repeating: d4[q])
                    s40.addProduct(a0, b); s41.addProduct(a1, b); s42.addProduct(a2, b); s43.addProduct(a3, b)
                    xp += xStepFloats &* 4
                }
            }
        }
        @inline(__always) func store(_ r: Int, _ q: Int, _ v: V) {
            out.storeBytes(of: v, toByteOffset: r &* rowBytes &+ q &* 64, as: V.self)
        }
        store(0, 0, s00); store(0, 1, s01); store(0, 2, s02); store(0, 3, s03)
        store(1, 0, s10); store(1, 1, s11); store(1, 2, s12); store(1, 3, s13)
        store(2, 0, s20); store(2, 1, s21); store(2, 2, s22); store(2, 3, s23)
        store(3, 0, s30); store(3, 1, s31); store(3, 2, s32); store(3, 3, s33)
        store(4, 0, s40); store(4, 1, s41); store(4, 2, s42); store(4, 3, s43)
    }
}

/// A group of images copied channels innermost: image i's (row, column, channel) at
/// i · imageFloats + (row · W + column) · lanes + channel, the lanes past C zero.
struct ChannelsInnermost {
    let geometry: ConvGeometry
    /// C rounded up to a multiple of 64, the weight gradient's tile of 4 vectors.
    let lanes: Int
    /// Images per group: enough that a small plane's positions (25 at 5²) fill the forward's
    /// tiles of a class and make a long sum in the weight gradient's (`128 / positions`, as
    /// channelLanes' weight gradient), at most 16.
    let images: Int
    var imageFloats: Int { geometry.input.plane * lanes }
    var groupFloats: Int { images * imageFloats }

    init(_ g: ConvGeometry) {
        geometry = g
        lanes = (g.input.c + 63) / 64 * 64
        images = max(1, min(16, 128 / max(1, g.outputPlane)))
    }

    /// Copies `images` consecutive (C, H, W) images from `x` to `copy`, 8 channels by 16
    /// positions at a time (`transposeRows`); the lanes past C stay as they were (zero).
    func copy(images: Int, from x: UnsafePointer<Float>, into copy: UnsafeMutablePointer<Float>) {
        let g = geometry
        Kernels.transposeRows(0..<images * g.input.plane, of: x, channels: g.input.c, positions: g.input.plane,
                              imageFloats: g.input.image, into: copy, lanes: lanes, blockFloats: 0)
    }
}

/// The output positions of one image in classes by which kernel rows and columns of their
/// windows read inside the image; with padding 1 and a 3×3 kernel, the four corners, the four
/// edges and the inside.
struct WindowClasses {
    struct Class {
        /// The kernel rows and columns inside the image for each of the class's positions.
        var rows: Range<Int>, columns: Range<Int>
        var positions: [Int]
    }

    let classes: [Class]
    /// Per output position: the first (row · W + column) of the image its window reads, at
    /// kernel row and column `rows.lowerBound`, `columns.lowerBound` of its class.
    let starts: [Int]

    init(_ g: ConvGeometry) {
        let (k, s, p) = (g.window.size, g.window.stride, g.window.padding)
        // The kernel rows (or columns) inside for output row (or column) `index` of `inputs`.
        func inside(_ index: Int, inputs: Int) -> Range<Int> {
            let first = max(0, p - index * s), last = min(k, inputs + p - index * s)
            return first < last ? first..<last : 0..<0
        }
        var byWindow: [[Int]: Int] = [:]
        var classes: [Class] = []
        var starts = [Int](repeating: 0, count: g.outputPlane)
        for oy in 0..<g.outputHeight {
            for ox in 0..<g.outputWidth {
                let rows = inside(oy, inputs: g.input.h), columns = inside(ox, inputs: g.input.w)
                let position = oy * g.outputWidth + ox
                let key = [rows.lowerBound, rows.upperBound, columns.lowerBound, columns.upperBound]
                if let index = byWindow[key] {
                    classes[index].positions.append(position)
                } else {
                    byWindow[key] = classes.count
                    classes.append(Class(rows: rows, columns: columns, positions: [position]))
                }
                if !rows.isEmpty && !columns.isEmpty {
                    starts[position] = (oy * s - p + rows.lowerBound) * g.input.w + ox * s - p + columns.lowerBound
                }
            }
        }
        self.classes = classes
        self.starts = starts
    }
}
