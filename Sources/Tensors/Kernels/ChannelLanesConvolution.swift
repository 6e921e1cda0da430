/// Convolution forward with the output channels in the vector lanes, for any stride.
///
/// The direct kernel puts 32 outputs of one or two rows in a tile's lanes, so a row narrower
/// than its vectors leaves lanes idle: a 12-wide row fills 12 of 16, a 6-wide one 6. Here a
/// tile is 8 output positions by 32 output channels: each step broadcasts the image's values
/// at the 8 positions for one kernel tap, read where they lie (in x itself, or in a copy
/// inside a zero border: `PositionClasses.forward`), and multiplies them by that
/// tap's weights for the 32 channels, packed once as a (tap, channel) matrix. The positions can
/// be any 8 of the plane, so rows of any width, and any stride, fill every lane; only the
/// channels past a multiple of 32 and the last positions of a plane are wasted; 16 channels or
/// fewer run in tiles of 16 lanes (`channelLanesTile8x16`), the weights' first 16 floats, or,
/// with stride 1 on rows a whole number of 10 wide (LeNet's second layer), in tiles of two
/// pieces of rows, 10 positions each (`ChannelLaneSegments`).
/// Channels in whole blocks of 64 (all of ResNet's, AlexNet's 256 and 384, GoogLeNet's 192;
/// 64 of 96, 448 of 480) run in tiles of 6 positions by 64 channels (`channelLanesTile6x64`), which broadcast
/// 6 values a step for 24 multiply-adds instead of 8 for 16; the channels past them in tiles
/// of 8 by 32. Tiles take positions of one class of `PositionClasses`, and sum only the taps
/// inside the image.
///
/// y[i, o, pos] = Σ over taps of xpad[i, pos·stride + tap] · w[o, tap]: each output's sum runs
/// over the taps in order, in registers, whatever the thread count (with 16 channels or fewer,
/// over the even taps and the odd ones apart, then the two added).
extension Kernels {
    /// x is (N, C, H, W), weight is (O, C, K, K), bias is (O) or nil; writes y, (N, O, OH, OW).
    ///
    /// The channels in whole blocks of 64 run in tiles of 6 positions by 64 channels
    /// (`channelLanesTile6x64`), the rest (a block of 32 or fewer, as 96 = 64 + 32) in tiles of
    /// 8 by 32 (or 16).
    static func conv2dForwardChannelLanes(
        x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        if ChannelLaneSegments.fit(g) {
            conv2dForwardChannelLaneSegments(x: x, g, weight: weight, bias: bias, y: y, threads: threads)
            return
        }
        for part in channelLanesParts(outChannels: g.outChannels) {
            conv2dForwardChannelLanes(x: x, g, channels: part.channels, wide: part.wide, weight: weight, bias: bias, y: y,
                                      threads: threads)
        }
    }

    /// The output channels in the parts that run in one tile shape: the whole blocks of 64 in
    /// 6 × 64 tiles (`wide`), then the rest, if any, in 8 × 32 ones.
    static func channelLanesParts(outChannels o: Int) -> [(channels: Range<Int>, wide: Bool)] {
        let wideChannels = o / 64 * 64
        return [(0..<wideChannels, true), (wideChannels..<o, false)].filter { !$0.channels.isEmpty }
    }

    /// Positions (or taps) by channels of a channelLanes tile.
    static func channelLanesTileShape(wide: Bool) -> (width: Int, lanes: Int) { wide ? (6, 64) : (8, 32) }

    /// Output channels `channels` of the forward, in tiles of 6 positions by 64 channels
    /// (`wide`, for a whole number of blocks of 64) or of 8 by 32.
    private static func conv2dForwardChannelLanes(
        x: UnsafePointer<Float>, _ g: ConvGeometry, channels outputs: Range<Int>, wide: Bool,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        // o, the channels computed here; the images of y hold all g.outChannels.
        let o = outputs.count, taps = g.patch, plane = g.outputPlane
        let weight = weight + outputs.lowerBound * taps, bias = bias.map { $0 + outputs.lowerBound }
        let y = y + outputs.lowerBound * plane
        // Tiles run over the positions of a group of images side by side, so that small planes
        // fill them too (a 3×3 plane alone fills 9 of 2 tiles' 16 slots; 8 planes, 72 of 72),
        // each tile over positions of one class, which skips the taps in the zero border: the
        // images are read in place, or copied inside a border of zeros (`PositionClasses.forward`).
        let (width, lanes) = channelLanesTileShape(wide: wide)
        let (layout, plan) = PositionClasses.forward(g, outChannels: g.outChannels, width: width, lanes: lanes)
        let group = plan.images
        // The weights as the (tap, channel) matrix wᵀ, in slivers of `lanes` channels:
        // [block][tap][lanes].
        let channelBlocks = (o + lanes - 1) / lanes
        let packedWeight = Storage(uninitializedCount: channelBlocks * lanes * taps)
        packB(transB: true, b: weight, ldb: taps, row: 0, col: 0, kc: taps, nc: o, columns: lanes, into: packedWeight.pointer)

        let groups = (g.input.n + group - 1) / group
        let work = groups * channelBlocks
        let ranges = Parallel.split(work, parts: min(threads, max(1, work * lanes * group * plane * taps / 50_000)))
        // Without a border, whole groups are read in place (`isImageItself`). A last group of
        // fewer images is copied, since its last tiles read positions of the images missing
        // from it; only then do the threads need a padded copy.
        let inPlace = layout.isImageItself
        let copies = !inPlace || g.input.n % group != 0
        Parallel.run(ranges.count) { t in
            let padded = Storage(zeros: copies ? group * layout.image : 0)
            let tiles = Storage(zeros: plan.tileFloats(width: width, lanes: lanes))
            let spreadBias = Storage(uninitializedCount: lanes * 8)
            var paddedGroup = -1
            for item in ranges[t] {
                let groupIndex = item / channelBlocks, block = item % channelBlocks
                let firstImage = groupIndex * group, images = min(group, g.input.n - firstImage)
                let readInPlace = inPlace && images == group
                if groupIndex != paddedGroup && !readInPlace {
                    for i in 0..<images {
                        layout.copy(x + (firstImage + i) * g.input.image, into: padded.pointer + i * layout.image)
                    }
                    paddedGroup = groupIndex
                }
                let weights = UnsafeRawPointer(packedWeight.pointer + block * lanes * taps)
                let channels = min(lanes, o - block * lanes)
                spreadBiases(bias.map { $0 + block * lanes }, channels: channels, lanes: lanes, into: spreadBias.pointer)
                let out = y + (firstImage * g.outChannels + block * lanes) * plane
                let xp = readInPlace ? x + firstImage * g.input.image : UnsafePointer(padded.pointer)
                channelLanesClasses(plan, images: images, x: xp, weights: weights, wide: wide, narrow: o <= 16, channels: channels,
                                    tiles: tiles.pointer, spreadBias: spreadBias.pointer, out: out, plane: plane)
            }
            withExtendedLifetime((padded, tiles, spreadBias)) {}
        }
        withExtendedLifetime((layout, plan, packedWeight)) {}
    }

    /// A sum of more than this many taps runs a chunk at a time over all its class's tiles, so
    /// that the chunk's weight rows (256 or 512 KB) stay in L2 from one tile to the next, rather
    /// than every tile streaming the whole sum's rows (AlexNet's second input gradient: 6,400
    /// taps, 800 KB) from L3. The tiles' sums wait in a buffer (`PositionClasses.tileFloats`).
    static let channelLanesChunk = 2048

    /// Runs the tiles of every class of `plan` over one group of `images` images read from `x`,
    /// for one block of `channels` output channels (`weights`: the block's packed rows), and
    /// writes their sums plus `spreadBias` to `out` (a class's targets count from it, each
    /// channel `plane` floats after the one before). `narrow`: 16 channels or fewer, in tiles of
    /// 8 by 16. A chunked class's sums wait in `tiles`, and so does the stage.
    ///
    /// A tile's positions lie in y wherever its class puts them. In a strided input gradient
    /// they lie a stride apart (a phase), so each of a tile's 384 sums was stored alone, and every
    /// line of dx was written by each phase in turn. When the plan is `staged`, each tile's rows
    /// are copied instead to a stage laid out as dx's positions, which is written out once the
    /// image is done, 8 positions by 16 channels at a time through `storeTransposed`: ResNet's
    /// 3×3 stride 2 input gradient at 24² ran 1.15 and 1.11 times as fast (medians of two runs of
    /// `compare_builds --rounds 7`, 0.84–1.39 in all). The forward's tiles that straddle two rows
    /// gained nothing by it (Inception's 12², ResNet's 6²: 0.97 and 1.01).
    static func channelLanesClasses(
        _ plan: PositionClasses, images: Int, x xp: UnsafePointer<Float>, weights: UnsafeRawPointer, wide: Bool, narrow: Bool,
        channels: Int, tiles: UnsafeMutablePointer<Float>, spreadBias: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>, plane: Int
    ) {
        let (width, lanes) = channelLanesTileShape(wide: wide)
        let chunk = channelLanesChunk
        let stage = plan.staged ? tiles + plan.sumFloats(width: width, lanes: lanes) : nil
        for positionClass in plan.classes {
            let steps = positionClass.taps.count, used = plan.positionCount(positionClass, images: images)
            let offsets = plan.tapOffsets.pointer + positionClass.taps.lowerBound
            let rowOffsets = plan.tapRows.pointer + positionClass.taps.lowerBound
            let chunked = steps > chunk
            // Writes the sums of the tile of positions first..<first+width to y, or to the stage.
            func write(_ sums: UnsafePointer<Float>, first: Int) {
                let targets = plan.targets.pointer + positionClass.positions.lowerBound + first
                if let stage {
                    for r in 0..<min(width, used - first) {
                        copyRow(from: sums + r &* lanes, to: stage + targets[r] &* lanes, lanes: lanes)
                    }
                    return
                }
                let step = targets[1] &- targets[0]
                if used - first >= width && step > 0 && targets[width - 1] &- targets[0] == (width - 1) &* step {
                    // The tile's positions evenly spaced in y (targets only increase within a
                    // class): side by side in the forward, a stride apart in a strided input gradient.
                    storeTile(sums, positions: width, lanes: lanes, channels: channels, spreadBias: spreadBias,
                              to: out + targets[0], plane: plane, step: step)
                    return
                }
                for r in 0..<min(width, used - first) {
                    let dst = out + targets[r]
                    for lane in 0..<channels { dst[lane &* plane] = sums[r &* lanes &+ lane] + spreadBias[lane &* 8] }
                }
            }
            // One pass over the tiles, or one per chunk (a class with no taps inside still
            // makes one pass, which writes the bias).
            let span = chunked ? chunk : max(steps, 1)
            for start in stride(from: 0, to: max(steps, 1), by: span) {
                let count = min(steps - start, span)
                for first in stride(from: 0, to: used, by: width) {
                    let at = plan.starts.pointer + positionClass.positions.lowerBound + first
                    let sums = tiles + (chunked ? first * lanes : 0)
                    let eight = { (xp + at[0], xp + at[1], xp + at[2], xp + at[3], xp + at[4], xp + at[5], xp + at[6], xp + at[7]) }
                    if wide {
                        channelLanesTile6x64(steps: count, offsets: offsets + start, rows: weights, rowOffsets: rowOffsets + start,
                                             x: (xp + at[0], xp + at[1], xp + at[2], xp + at[3], xp + at[4], xp + at[5]),
                                             tile: sums, adding: start > 0)
                    } else if narrow {
                        channelLanesTile8x16(steps: count, offsets: offsets + start, rows: weights,
                                             rowOffsets: rowOffsets + start, x: eight(), tile: sums, adding: start > 0)
                    } else {
                        channelLanesTile(steps: count, offsets: offsets + start, rows: weights,
                                         rowOffsets: rowOffsets + start, x: eight(), tile: sums, adding: start > 0)
                    }
                    if !chunked { write(sums, first: first) }
                }
            }
            if chunked {
                for first in stride(from: 0, to: used, by: width) { write(tiles + first * lanes, first: first) }
            }
        }
        // A staged plan is one image's: its stage, row by position, goes to out.
        guard let stage else { return }
        var first = 0
        while first + 8 <= plane {
            storeTransposed(stage + first * lanes, positions: 8, lanes: lanes, channels: channels, spreadBias: spreadBias,
                            to: out + first, plane: plane)
            first += 8
        }
        for position in first..<plane {
            for lane in 0..<channels { out[lane &* plane &+ position] = stage[position &* lanes &+ lane] + spreadBias[lane &* 8] }
        }
    }

    /// Each of `lanes` channels' bias 8 times over (zeros past `channels`, or all without a
    /// bias), as `storeTile` adds them to a tile written out transposed: once per block of
    /// channels, not an optional lookup per output written.
    static func spreadBiases(_ bias: UnsafePointer<Float>?, channels: Int, lanes: Int, into spread: UnsafeMutablePointer<Float>) {
        for lane in 0..<lanes {
            (spread + lane * 8).update(repeating: lane < channels ? bias?[lane] ?? 0 : 0, count: 8)
        }
    }

    /// `storeTransposed` compiled on its own, with the common tiles' sizes as constants. Inlined
    /// into the loops over the tiles, with every size a variable, it had compiled to 128-bit
    /// operations, calls to `storeBytes` and `lowHalf` and spilled vectors (objdump), and took
    /// two thirds as long as the tiles' sums in VGG's 32 → 64 forward at 56² (`perf record`,
    /// one thread, which ran at 48–50 GFLOP/s before and 62.5 after; on two threads 1.04 and,
    /// for VGG's 16 → 32 at 112², 1.08 times as fast: `compare_builds --rounds 5 -- --pass forward`).
    /// What is left of its time is the stores waiting on y's lines, 64 planes at a time.
    @inline(never)
    static func storeTile(_ tile: UnsafePointer<Float>, positions: Int, lanes: Int, channels: Int,
                          spreadBias: UnsafePointer<Float>, to out: UnsafeMutablePointer<Float>, plane: Int, step: Int) {
        switch (positions, lanes, channels, step) {
        case (6, 64, 64, 1):
            storeTransposed(tile, positions: 6, lanes: 64, channels: 64, spreadBias: spreadBias, to: out, plane: plane, step: 1)
        case (8, 32, 32, 1):
            storeTransposed(tile, positions: 8, lanes: 32, channels: 32, spreadBias: spreadBias, to: out, plane: plane, step: 1)
        case (8, 32, 16, 1):
            storeTransposed(tile, positions: 8, lanes: 32, channels: 16, spreadBias: spreadBias, to: out, plane: plane, step: 1)
        case (8, 16, 16, 1):
            storeTransposed(tile, positions: 8, lanes: 16, channels: 16, spreadBias: spreadBias, to: out, plane: plane, step: 1)
        default:
            storeTransposed(tile, positions: positions, lanes: lanes, channels: channels, spreadBias: spreadBias,
                            to: out, plane: plane, step: step)
        }
    }

    /// Copies a tile's row of `lanes` (32 or 64) floats.
    @inline(__always)
    static func copyRow(from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, lanes: Int) {
        let (from, to) = (UnsafeRawPointer(source), UnsafeMutableRawPointer(destination))
        for offset in stride(from: 0, to: lanes &* 4, by: 64) {
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self), toByteOffset: offset,
                          as: SIMD16<Float>.self)
        }
    }

    /// Writes a tile of 8 (or 6) output positions that lie `step` floats apart in y (rows
    /// `lanes` floats apart, a lane per channel) as 8 (or 6) floats per channel, `plane` apart
    /// from `out`, adding each channel's bias (`spreadBias`: 8 copies of each of the lanes; only
    /// `channels` are stored). Each 16 channels' 8×16 block is transposed in registers
    /// (`transposed8x16`; a 6-row tile has 2 rows past it, which are not stored) and parked in
    /// a block on the stack, from which each channel's floats are loaded, biased and stored as
    /// one or two vectors. Writing the tile one float at a time took a third of VGG's 16→32
    /// forward at 112². Taking each channel's floats out of the transposed registers instead
    /// (`lowHalf`, then a pair of lanes) compiled to 128-bit inserts and extracts, with calls to
    /// `lowHalf` and `storeBytes` where inlined into a large function (objdump).
    @inline(__always)
    static func storeTransposed(_ tile: UnsafePointer<Float>, positions: Int, lanes: Int, channels: Int,
                                spreadBias: UnsafePointer<Float>, to out: UnsafeMutablePointer<Float>, plane: Int,
                                step: Int = 1) {
        let (rows, biases, target) = (UnsafeRawPointer(tile), UnsafeRawPointer(spreadBias), UnsafeMutableRawPointer(out))
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 8) { buffer in
            // Channel n of the half at hand: its 8 positions' floats, 32 bytes from n · 32.
            let block = UnsafeMutableRawPointer(buffer.baseAddress!)
            for half in 0..<(channels + 15) / 16 {
                storeVectors(transposed8x16(rows + half &* 64, rowBytes: lanes &* 4), to: block)
                for n in 0..<min(16, channels &- half &* 16) {
                    let channel = half &* 16 &+ n
                    let (from, bias, to) = (n &* 32, channel &* 32, channel &* plane &* 4)
                    if step != 1 {
                        for i in 0..<positions {
                            let sum = block.load(fromByteOffset: from &+ i &* 4, as: Float.self) + spreadBias[channel &* 8]
                            target.storeBytes(of: sum, toByteOffset: to &+ i &* step &* 4, as: Float.self)
                        }
                    } else if positions == 8 {
                        let sum = block.load(fromByteOffset: from, as: SIMD8<Float>.self)
                            + biases.loadUnaligned(fromByteOffset: bias, as: SIMD8<Float>.self)
                        target.storeBytes(of: sum, toByteOffset: to, as: SIMD8<Float>.self)
                    } else {
                        // 6 positions: 4 and 2.
                        let four = block.load(fromByteOffset: from, as: SIMD4<Float>.self)
                            + biases.loadUnaligned(fromByteOffset: bias, as: SIMD4<Float>.self)
                        let two = block.load(fromByteOffset: from &+ 16, as: SIMD2<Float>.self)
                            + biases.loadUnaligned(fromByteOffset: bias &+ 16, as: SIMD2<Float>.self)
                        target.storeBytes(of: four, toByteOffset: to, as: SIMD4<Float>.self)
                        target.storeBytes(of: two, toByteOffset: to &+ 16, as: SIMD2<Float>.self)
                    }
                }
            }
        }
    }

    /// Stores the first `count` columns of an 8×16 block transposed by `transposed8x16` (column
    /// 2j in vector j's low half, 2j + 1 in its high half), the first `length` (8 or 6) floats
    /// of each, column n at `out + n · columnBytes`.
    @inline(__always)
    static func storeColumns(_ v: Vectors8, count: Int, to out: UnsafeMutableRawPointer, columnBytes: Int, length: Int = 8) {
        @inline(__always) func store(_ column: SIMD8<Float>, _ n: Int) {
            let at = n &* columnBytes
            if length == 8 {
                out.storeBytes(of: column, toByteOffset: at, as: SIMD8<Float>.self)
            } else {
                out.storeBytes(of: column.lowHalf, toByteOffset: at, as: SIMD4<Float>.self)
                out.storeBytes(of: SIMD2(column[4], column[5]), toByteOffset: at &+ 16, as: SIMD2<Float>.self)
            }
        }
        @inline(__always) func store(_ j: Int, _ pair: SIMD16<Float>) {
            let n = 2 &* j
            guard n < count else { return }
            store(pair.lowHalf, n)
            if n &+ 1 < count { store(pair.highHalf, n &+ 1) }
        }
        store(0, v.0); store(1, v.1); store(2, v.2); store(3, v.3); store(4, v.4); store(5, v.5); store(6, v.6); store(7, v.7)
    }

    /// Where the 8 positions (or taps) of an 8-row tile read x; a step reads each at one offset.
    typealias EightPositions = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)

    /// The 8 values a step of an 8-row tile broadcasts: each position's at offset `i`.
    @inline(__always)
    static func values(_ x: EightPositions, at i: Int) -> (Float, Float, Float, Float, Float, Float, Float, Float) {
        (x.0[i], x.1[i], x.2[i], x.3[i], x.4[i], x.5[i], x.6[i], x.7[i])
    }

    /// Writes to `tile` ([8][32]), or adds to it, Σ over steps q of x_r[offsets[q]] · the 32
    /// floats `rowOffsets[q]` bytes into `rows`, with sixteen 16-lane sums in registers: the
    /// forward's tile (8 positions, a step per kernel tap inside the image, rows = the taps'
    /// weights) and the weight gradient's (8 taps, a step per output position, rows = the
    /// positions' dy).
    ///
    /// Not inlined, and optimized for size so that LLVM does not unroll the loop: unrolled twice
    /// (as it was, inlined or not) it kept the next step's broadcasts alive across this one's and
    /// spilled two vectors a step to the stack (objdump); as one call per tile (9 to 3,456 steps
    /// of 16 multiply-adds each) the loop is 2 offset loads, 2 row loads, 8 broadcasts and 16
    /// FMAs, all in registers.
    ///
    /// 16 channels or fewer run in `channelLanesTile8x16`.
    @inline(never) @_optimize(size)
    static func channelLanesTile(
        steps: Int, offsets: UnsafePointer<Int>, rows: UnsafeRawPointer, rowOffsets: UnsafePointer<Int>,
        x: EightPositions,
        tile: UnsafeMutablePointer<Float>, adding: Bool
    ) {
        var sums = Tile8x32()
        for q in 0..<steps {
            sums.addOuterProduct(values(x, at: offsets[q]), rows, at: rowOffsets[q])
        }
        sums.store(to: UnsafeMutableRawPointer(tile), rowBytes: 128, adding: adding)
    }

    /// `channelLanesTile` for 16 channels or fewer (the rows' first 16 floats; the tile is
    /// written with rows 32 floats apart all the same), summing the even steps and the odd ones
    /// in two tiles, added at the end. A single tile of 8 sums has just enough chains of
    /// multiply-adds to cover their latency on two FMA units, and any wait on a broadcast stalls
    /// them; 16 sums in two tiles do not. LeNet's second layer ran 1.064 times as fast forward,
    /// and its weight gradient 1.068 times, as in one tile (medians of `compare_builds
    /// --rounds 7 -- --chosen-only --pass forward "14²"`, and `--pass weight`; the lowest rounds
    /// 1.059 and 1.052). A step reads its tap's offset and row in place, as in `channelLanesTile`:
    /// taking the row as the one after the last instead, where they follow on, gained nothing.
    @inline(never) @_optimize(size)
    static func channelLanesTile8x16(
        steps: Int, offsets: UnsafePointer<Int>, rows: UnsafeRawPointer, rowOffsets: UnsafePointer<Int>,
        x: EightPositions,
        tile: UnsafeMutablePointer<Float>, adding: Bool
    ) {
        var (even, odd) = (Tile8x16(), Tile8x16())
        var q = 0
        while q &+ 1 < steps {
            even.addOuterProduct(values(x, at: offsets[q]), rows, at: rowOffsets[q])
            odd.addOuterProduct(values(x, at: offsets[q &+ 1]), rows, at: rowOffsets[q &+ 1])
            q &+= 2
        }
        if q < steps { even.addOuterProduct(values(x, at: offsets[q]), rows, at: rowOffsets[q]) }
        even.add(odd)
        even.store(to: UnsafeMutableRawPointer(tile), rowBytes: 128, adding: adding)
    }
}

extension Kernels {
    /// Writes to `tile` ([6][64]), or adds to it, Σ over steps q of x_r[offsets[q]] · the 64
    /// floats `rowOffsets[q]` bytes into `rows`, with 24 sums in registers: for channels in
    /// blocks of 64, the forward's tile (6 positions, a step per kernel tap) and the weight
    /// gradient's (6 taps, a step per output position, rows = the positions' dy). A step
    /// broadcasts 6 values for 24 multiply-adds, where the 8 × 32 tile broadcasts 8 for 16. On the 2-core Xeon, with the data in L1 and a neighbour
    /// busy on the host, this loop ran 1.13–1.15 times as fast as the 8 × 32 one, and 1.03 times
    /// on a quiet machine (each pair timed in turn in one process, 9 pairs, medians).
    ///
    /// Not inlined, and optimized for size, as `channelLanesTile`: the loop is 2 offset loads,
    /// 4 row loads, 6 broadcasts and 24 FMAs, all in registers.
    @inline(never) @_optimize(size)
    static func channelLanesTile6x64(
        steps: Int, offsets: UnsafePointer<Int>, rows: UnsafeRawPointer, rowOffsets: UnsafePointer<Int>,
        x: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
            UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
        tile: UnsafeMutablePointer<Float>, adding: Bool
    ) {
        var sums = Tile6x64()
        let (x0, x1, x2, x3, x4, x5) = x
        for q in 0..<steps {
            let i = offsets[q]
            sums.addOuterProduct((x0[i], x1[i], x2[i], x3[i], x4[i], x5[i]), rows, at: rowOffsets[q])
        }
        sums.store(to: UnsafeMutableRawPointer(tile), rowBytes: 256, adding: adding)
    }
}

/// The weight gradient with the output channels in the vector lanes, as GEMM's outer products.
///
/// dwᵀ[(c, ki, kj), o] = Σ over positions of xpad[c, oy·s + ki, ox·s + kj] · dy[o, oy, ox]: a
/// product whose sum runs over the output positions. Its 8×32 register tile holds 8 kernel taps
/// by 32 output channels; each step broadcasts the 8 taps' values at one position, read from the
/// image itself or from a zero-padded copy (`TapBlocks.weightGradient`), and multiplies them by
/// the 32 channels' dy at that position, read from a copy of dy transposed a chunk of
/// positions at a time (channels innermost, in blocks of 32). Channels in whole blocks of 64
/// run in tiles of 6 taps by 64 channels instead, as the forward does (`channelLanesTile6x64`).
/// Packing col's panels, as the packed GEMM does, costs a scalar gather per tap and position,
/// which with only O multiply-adds to share it was a quarter to a half of the packed weight
/// gradient's time at O = 128 and 64. A block of taps steps only over the positions where its
/// taps read inside the image (`TapBlocks`).
extension Kernels {
    /// The channels in whole blocks of 64 run in tiles of 6 taps by 64 channels
    /// (`channelLanesTile6x64`), the rest in tiles of 8 by 32 (or 16), as in the forward.
    /// `biasOutputs`, if given: where each slice's Σ dy per channel goes (`summingSlices`), summed
    /// from the chunks of dy transposed for the tiles, not in a pass of its own over dy (a tenth
    /// of VGG's 16 → 32 weight gradient at 112², `perf record`).
    static func conv2dBackwardWeightChannelLanes(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ g: ConvGeometry,
                                          slices: [Range<Int>], outputs: (Int) -> UnsafeMutablePointer<Float>,
                                          biasOutputs: ((Int) -> UnsafeMutablePointer<Float>)?, threads: Int) {
        for part in channelLanesParts(outChannels: g.outChannels) {
            conv2dBackwardWeightChannelLanes(dy: dy, x: x, g, channels: part.channels, wide: part.wide, slices: slices,
                                             outputs: outputs, biasOutputs: biasOutputs, threads: threads)
        }
    }

    /// The rows of dw for output channels `channels`, in tiles of 6 taps by 64 channels (`wide`,
    /// for a whole number of blocks of 64) or of 8 by 32.
    private static func conv2dBackwardWeightChannelLanes(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ g: ConvGeometry, channels outputChannels: Range<Int>, wide: Bool,
        slices: [Range<Int>], outputs: (Int) -> UnsafeMutablePointer<Float>,
        biasOutputs: ((Int) -> UnsafeMutablePointer<Float>)?, threads: Int
    ) {
        // o, the channels computed here; the images of dy hold all g.outChannels.
        let o = outputChannels.count, taps = g.patch
        let dy = dy + outputChannels.lowerBound * g.outputPlane
        let (oh, ow) = g.directRows
        let positions = oh * ow
        let (width, lanes) = channelLanesTileShape(wide: wide)
        let channelBlocks = (o + lanes - 1) / lanes, tapBlocks = (taps + width - 1) / width
        // Images per call of the tile: enough that a small plane's few positions (9 for 3×3)
        // still make a long sum between the tile's loads and stores.
        let group = max(1, min(16, 128 / positions))
        // Each block of taps sums over the group's positions where one of its taps is inside,
        // read from the images in place or from a padded copy (`TapBlocks.weightGradient`).
        let (layout, plan) = TapBlocks.weightGradient(g, images: group, width: width, lanes: lanes)
        // The group's rows of dy (a row per image and position) are transposed and summed
        // `chunk` rows at a time, 128 KB per block of 32 channels (256 KB per 64), so that every
        // tap block reads them from L2. Transposing a whole 112² image (1.6 MB at 32 channels) and then
        // streaming it from memory once per tap block ran VGG's first weight gradient at 142
        // GFLOP/s instead of 162 on a Zen 4, 78 instead of 140 on a Xeon.
        let chunk = min(1024, group * positions)
        let perThread = Parallel.split(slices.count, parts: threads)
        // Without a border the images are read in place (`isImageItself`): a group's last
        // images, if missing, have no steps.
        let inPlace = layout.isImageItself
        Parallel.run(perThread.count) { t in
            let padded = Storage(zeros: inPlace ? 0 : group * layout.image)
            // A chunk of dy as [channel block][row][lanes], zeros past channel o.
            let dyT = Storage(zeros: channelBlocks * chunk * lanes)
            // The sums, tile by tile: [channel block][tap block][width taps][lanes].
            let tileFloats = width * lanes
            let sums = Storage(uninitializedCount: channelBlocks * tapBlocks * tileFloats)
            // The slice's Σ dy per channel, [channel block][lanes].
            let biasSums = Storage(zeros: channelBlocks * lanes)
            // Each tap block's steps in the chunk at hand.
            var spans = [Range<Int>](repeating: 0..<0, count: plan.blocks.count)
            for s in perThread[t] {
                sums.pointer.update(repeating: 0, count: channelBlocks * tapBlocks * tileFloats)
                biasSums.pointer.update(repeating: 0, count: channelBlocks * lanes)
                for firstImage in stride(from: slices[s].lowerBound, to: slices[s].upperBound, by: group) {
                    let images = min(group, slices[s].upperBound - firstImage)
                    if !inPlace {
                        for i in 0..<images {
                            layout.copy(x + (firstImage + i) * g.input.image, into: padded.pointer + i * layout.image)
                        }
                    }
                    let xp = inPlace ? x + firstImage * g.input.image : UnsafePointer(padded.pointer)
                    for first in stride(from: 0, to: images * positions, by: chunk) {
                        let rows = first..<min(images * positions, first + chunk)
                        transposeRows(rows, of: dy + firstImage * g.outputImage, channels: o, positions: positions,
                                      imageFloats: g.outputImage, into: dyT.pointer, lanes: lanes, blockFloats: chunk * lanes)
                        if biasOutputs != nil {
                            addRowSums(rows.count, of: dyT.pointer, lanes: lanes, blocks: channelBlocks, blockFloats: chunk * lanes,
                                       to: biasSums.pointer)
                        }
                        for (tb, block) in plan.blocks.enumerated() { spans[tb] = plan.steps(block, rows: rows) }
                        for cb in 0..<channelBlocks {
                            // Row offsets count from the group's first row; the chunk holds rows from `first`.
                            let channels = UnsafeRawPointer(dyT.pointer + cb * chunk * lanes) - first * lanes * 4
                            for tb in 0..<tapBlocks where !spans[tb].isEmpty {
                                let offset = { (r: Int) in layout.tapOffsets.pointer[plan.taps.pointer[tb * width + r]] }
                                let span = spans[tb]
                                let (starts, rowOffsets) = (plan.starts.pointer + span.lowerBound, plan.rowOffsets.pointer + span.lowerBound)
                                let tile = sums.pointer + (cb * tapBlocks + tb) * tileFloats
                                let eight = { (xp + offset(0), xp + offset(1), xp + offset(2), xp + offset(3),
                                               xp + offset(4), xp + offset(5), xp + offset(6), xp + offset(7)) }
                                if wide {
                                    channelLanesTile6x64(steps: span.count, offsets: starts, rows: channels, rowOffsets: rowOffsets,
                                                         x: (xp + offset(0), xp + offset(1), xp + offset(2), xp + offset(3), xp + offset(4), xp + offset(5)),
                                                         tile: tile, adding: true)
                                } else if o <= 16 {
                                    channelLanesTile8x16(steps: span.count, offsets: starts, rows: channels,
                                                         rowOffsets: rowOffsets, x: eight(), tile: tile, adding: true)
                                } else {
                                    channelLanesTile(steps: span.count, offsets: starts, rows: channels,
                                                     rowOffsets: rowOffsets, x: eight(), tile: tile, adding: true)
                                }
                            }
                        }
                    }
                }
                let out = outputs(s) + outputChannels.lowerBound * taps
                for oc in 0..<o {
                    let (cb, lane) = (oc / lanes, oc % lanes)
                    for tap in 0..<taps {
                        out[oc * taps + tap] = sums.pointer[(cb * tapBlocks * width + plan.slots.pointer[tap]) * lanes + lane]
                    }
                }
                biasOutputs.map { ($0(s) + outputChannels.lowerBound).update(from: biasSums.pointer, count: o) }
            }
            withExtendedLifetime((padded, dyT, sums, biasSums)) {}
        }
        withExtendedLifetime((layout, plan)) {}
    }

    /// Adds to `totals`, [block][lanes], the sum of the first `count` rows of each of `blocks`
    /// blocks of rows (`lanes` floats each, blocks `blockFloats` apart): the rows one after
    /// another in 16-lane vectors, then that sum to the total.
    static func addRowSums(_ count: Int, of rows: UnsafePointer<Float>, lanes: Int, blocks: Int, blockFloats: Int,
                           to totals: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            for part in stride(from: 0, to: lanes, by: 16) {
                let first = UnsafeRawPointer(rows + block * blockFloats + part)
                var sum = SIMD16<Float>()
                for r in 0..<count { sum += first.loadUnaligned(fromByteOffset: r &* lanes &* 4, as: SIMD16<Float>.self) }
                let total = UnsafeMutableRawPointer(totals + block * lanes + part)
                total.storeBytes(of: total.loadUnaligned(as: SIMD16<Float>.self) + sum, as: SIMD16<Float>.self)
            }
        }
    }

    /// Copies `rows` of a group's dy (row r: image r / positions, position r % positions; dy's
    /// images `imageFloats` apart, each starting with `channels` planes of `positions`) to `dyT`
    /// as [block of `lanes` channels][row][lanes], each block `blockFloats` apart, the rows from
    /// `rows.lowerBound` on. 8 channels by 16 positions go at a time through `transposed8x16`;
    /// the last positions of an image and channels past a multiple of 8 one float at a time.
    static func transposeRows(_ rows: Range<Int>, of dy: UnsafePointer<Float>, channels: Int, positions: Int, imageFloats: Int,
                              into dyT: UnsafeMutablePointer<Float>, lanes: Int, blockFloats: Int) {
        var row = rows.lowerBound
        while row < rows.upperBound {
            let (image, first) = row.quotientAndRemainder(dividingBy: positions)
            let end = min(positions, first + rows.upperBound - row)
            let source = dy + image * imageFloats
            // Where this image's position `first` goes.
            let target = dyT + (row - rows.lowerBound) * lanes
            for c in stride(from: 0, to: channels, by: 8) {
                let dst = target + c / lanes * blockFloats + c % lanes
                var q = first
                if c + 8 <= channels {
                    while q + 16 <= end {
                        let v = transposed8x16(UnsafeRawPointer(source + c * positions + q), rowBytes: positions * 4)
                        storeColumns(v, count: 16, to: UnsafeMutableRawPointer(dst + (q - first) * lanes), columnBytes: lanes * 4)
                        q += 16
                    }
                }
                for p in q..<end {
                    for lane in 0..<min(8, channels - c) { dst[(p - first) * lanes + lane] = source[(c + lane) * positions + p] }
                }
            }
            row += end - first
        }
    }
}

/// The input gradient with dx's channels in the vector lanes, for a stride of 2 or more (with
/// stride 1 it is a forward convolution: `conv2dBackwardInputAsForward`). A tile is 6 (or 8)
/// dx positions of one phase and border class by 64 (or 32, 16) channels; each step broadcasts
/// dy at the positions for one (o, ki, kj) and multiplies it by w[o, ·, ki, kj] for the
/// channels (`PositionClasses(inputGradientOf:)`). The packed GEMM, the way before, gathered
/// dy's columns into panels and summed into a col matrix that col2im then scattered.
extension Kernels {
    /// dy is (N, O, OH, OW), weight is (O, C, K, K); writes dx, (N, C, H, W).
    static func conv2dBackwardInputChannelLanes(
        dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, _ g: ConvGeometry, dx: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let (o, c, kk) = (g.outChannels, g.input.c, g.window.size * g.window.size)
        let taps = o * kk, plane = g.input.plane
        // w as the (channel c, tap (ki, kj, o)) matrix, whose transpose is packed below.
        let byChannel = Storage(uninitializedCount: c * taps)
        for oc in 0..<o {
            for ic in 0..<c {
                for t in 0..<kk { byChannel.pointer[ic * taps + t * o + oc] = weight[(oc * c + ic) * kk + t] }
            }
        }
        for part in channelLanesParts(outChannels: c) {
            let (width, lanes) = channelLanesTileShape(wide: part.wide)
            let plan = PositionClasses(inputGradientOf: g, width: width, lanes: lanes)
            let count = part.channels.count, channelBlocks = (count + lanes - 1) / lanes
            let packedWeight = Storage(uninitializedCount: channelBlocks * lanes * taps)
            packB(transB: true, b: byChannel.pointer + part.channels.lowerBound * taps, ldb: taps, row: 0, col: 0, kc: taps,
                  nc: count, columns: lanes, into: packedWeight.pointer)
            let work = g.input.n * channelBlocks
            let ranges = Parallel.split(work, parts: min(threads, max(1, work * lanes * plane * taps / 50_000)))
            Parallel.run(ranges.count) { t in
                let tiles = Storage(zeros: plan.tileFloats(width: width, lanes: lanes))
                let noBias = Storage(zeros: lanes * 8)
                for item in ranges[t] {
                    let (image, block) = item.quotientAndRemainder(dividingBy: channelBlocks)
                    let out = dx + (image * c + part.channels.lowerBound + block * lanes) * plane
                    channelLanesClasses(plan, images: 1, x: dy + image * g.outputImage,
                                        weights: UnsafeRawPointer(packedWeight.pointer + block * lanes * taps), wide: part.wide,
                                        narrow: count <= 16, channels: min(lanes, count - block * lanes), tiles: tiles.pointer,
                                        spreadBias: noBias.pointer, out: out, plane: plane)
                }
                withExtendedLifetime((tiles, noBias)) {}
            }
            withExtendedLifetime((plan, packedWeight)) {}
        }
        withExtendedLifetime(byChannel) {}
    }
}
