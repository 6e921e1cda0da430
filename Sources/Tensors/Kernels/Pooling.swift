import CPrefetch

/// Pooling over each channel plane separately; planes are split over the threads.
///
/// Max pooling pads with −∞ (padding never wins); average pooling counts padded cells as zeros
/// and always divides by the full window, as PyTorch's `count_include_pad=True` default.
extension Kernels {
    /// x is (N, C, H, W), y is (N, C, OH, OW); `argmax` receives, for every output, the index
    /// within its input plane of the winning input (for the backward pass). `thenReLU` writes
    /// max(y, 0): the max pool of relu(x), since the two commute, with the ReLU on the pool's
    /// output (a quarter of x, for the pools that halve it) rather than on x; and where the ReLU
    /// cuts an output (y ≤ 0), its winner is −1, no input: the backward pass then needs no y for
    /// the ReLU's mask (`reluCut`).
    package static func maxPoolForward(
        _ x: UnsafePointer<Float>, _ input: ImageBatch, window: Window,
        _ y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>, thenReLU: Bool = false,
        threads: Int = Parallel.threadCount
    ) {
        let (h, w, k, s, p) = (input.h, input.w, window.size, window.stride, window.padding)
        let (oh, ow) = (window.outputSize(h), window.outputSize(w))
        if window.isHalving2x2 {
            return forPlanes(input.n * input.c, work: h * w, threads: threads) { plane in
                maxPool2x2(x + plane * h * w, width: w, y + plane * oh * ow, argmax: argmax + plane * oh * ow,
                           outputHeight: oh, outputWidth: ow, thenReLU: thenReLU)
            }
        }
        if s <= 2 && p < k {
            return maxPoolForwardVectorized(x, input, window: window, y, argmax: argmax, thenReLU: thenReLU, threads: threads)
        }
        forPlanes(input.n * input.c, work: oh * ow * k * k, threads: threads) { plane in
            let xp = x + plane * h * w, yp = y + plane * oh * ow, ap = argmax + plane * oh * ow
            for oy in 0..<oh {
                let y0 = max(oy * s - p, 0), y1 = min(oy * s - p + k, h)
                for ox in 0..<ow {
                    let x0 = max(ox * s - p, 0), x1 = min(ox * s - p + k, w)
                    var best = -Float.infinity, bestIndex = y0 * w + x0
                    for iy in y0..<y1 {
                        for ix in x0..<x1 where xp[iy * w + ix] > best {
                            best = xp[iy * w + ix]; bestIndex = iy * w + ix
                        }
                    }
                    yp[oy * ow + ox] = thenReLU ? max(best, 0) : best
                    ap[oy * ow + ox] = winner(Int32(bestIndex), of: best, thenReLU: thenReLU)
                }
            }
        }
    }

    /// Strides 1 and 2 (every max pool of the chapter but VGG's 2×2 ones, `maxPool2x2`:
    /// GoogLeNet's 3×3 pools beside its convolutions, on planes as small as 3×3, and the 3×3
    /// stride-2 pools that halve the maps). The
    /// plane is copied inside a border of −∞ (pw wide), and each vector of 16 results takes the
    /// window's cells (ki, kj) in turn in registers, a 16-lane compare of inputs at stride 1 per
    /// cell, and is stored once (a cell at a time over all the results, loading and storing
    /// them for every cell, ran the bench's four max pools at 0.7 to 0.85 of this speed):
    /// - at stride 1, over all flat positions j = oy·pw + ox at once, whose cell is padded input
    ///   j + ki·pw + kj (positions in the border columns are computed and dropped);
    /// - at stride 2, row by row, over every column c of padded rows 2·oy + ki; output ox is
    ///   column 2·ox (the odd columns are computed and dropped: picking the even ones out of
    ///   vectors took LLVM 16 scalar inserts a vector, slower than the compares they save).
    /// Each lane keeps the cell that won as its offset ki·w + kj in the input plane, taken in the
    /// window's order with a strict compare, so the first of equal maxima wins, as in the
    /// general loop; when nothing beats −∞ the winner is the first cell inside the image.
    static func maxPoolForwardVectorized(
        _ x: UnsafePointer<Float>, _ input: ImageBatch, window: Window,
        _ y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>, thenReLU: Bool, threads: Int
    ) {
        typealias V = SIMD16<Float>
        typealias I = SIMD16<Int32>
        let (h, w, k, s, p) = (input.h, input.w, window.size, window.stride, window.padding)
        precondition(s == 1 || s == 2)
        let (oh, ow) = (window.outputSize(h), window.outputSize(w))
        let (pw, ph) = (w + 2 * p, h + 2 * p)
        // Runs of vectors: one over the whole plane at stride 1, one per output row at stride 2,
        // `inputStep` padded inputs and `resultStep` results apart; output (oy, ox) is result
        // oy·rowPitch + ox·s.
        let (runs, runVectors) = s == 1 ? (1, ((oh - 1) * pw + ow + 15) / 16) : (oh, ((ow - 1) * s + 16) / 16)
        let (inputStep, resultStep) = (s * pw, runVectors * 16)
        let rowPitch = s == 1 ? pw : resultStep, results = runs * resultStep
        // Loads of the last vectors run past the padded plane, into more −∞.
        let paddedCount = max(ph * pw, (runs - 1) * inputStep + (k - 1) * (pw + 1) + resultStep)
        forPlaneRanges(input.n * input.c, work: oh * ow * k * k, threads: threads) { planes in
            // Scratch set up once per thread: each plane overwrites the padded plane's inside
            // only, so its border of −∞ stays.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: paddedCount + results) { scratch in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: results) { cells in
            let padded = scratch.baseAddress!, best = padded + paddedCount, cell = cells.baseAddress!
            padded.update(repeating: -.infinity, count: paddedCount)
            for plane in planes {
                let xp = x + plane * h * w
                for r in 0..<h { Kernels.copyFloats(w, from: xp + r * w, to: padded + (r + p) * pw + p) }
                let (values, bests, winners) = (UnsafeRawPointer(padded), UnsafeMutableRawPointer(best), UnsafeMutableRawPointer(cell))
                // Each vector of results goes through the whole window in registers, stored once.
                for run in 0..<runs {
                    for v in 0..<runVectors {
                        let (input, result) = (run &* inputStep &* 4 &+ v &* 64, run &* resultStep &* 4 &+ v &* 64)
                        var b = V(repeating: -.infinity), c = I(repeating: -1)
                        for ki in 0..<k {
                            for kj in 0..<k {
                                let value = values.loadUnaligned(fromByteOffset: input &+ (ki &* pw &+ kj) &* 4, as: V.self)
                                keepGreater(value, Int32(truncatingIfNeeded: ki &* w &+ kj), &b, &c)
                            }
                        }
                        bests.storeBytes(of: b, toByteOffset: result, as: V.self)
                        winners.storeBytes(of: c, toByteOffset: result, as: I.self)
                    }
                }
                let yp = y + plane * oh * ow, ap = argmax + plane * oh * ow
                for oy in 0..<oh {
                    // Where the row's first window starts in the input plane (outside it if
                    // padded), and its first cell inside the plane, the winner when none wins.
                    let windowStart = Int32((oy * s - p) * w - p), firstInside = Int32(max(oy * s - p, 0) * w)
                    let (bestOfRow, cellOfRow, values, out) = (best + oy * rowPitch, cell + oy * rowPitch, yp + oy * ow, ap + oy * ow)
                    for ox in 0..<ow {
                        let at = ox &* s, number = cellOfRow[at], at32 = Int32(truncatingIfNeeded: at)
                        values[ox] = thenReLU ? max(bestOfRow[at], 0) : bestOfRow[at]
                        out[ox] = winner(number < 0 ? firstInside &+ max(at32 &- Int32(p), 0) : windowStart &+ at32 &+ number,
                                         of: bestOfRow[at], thenReLU: thenReLU)
                    }
                }
            }
            }
            }
        }
    }

    /// The winner of an output that the forward's ReLU cut (`thenReLU`, y ≤ 0): none, so that its
    /// gradient goes nowhere. The ReLU's gradient taken on the pool's outputs (an input that wins
    /// y > 0 is that y, so the mask is relu(x)'s), kept in the winners the backward pass reads
    /// anyway, not in a read of y (VGG's pools' y, 196 MB a step).
    package static let reluCut: Int32 = -1

    /// What a max pool's forward keeps for the output `best` that input `index` won: the index,
    /// or `reluCut` where `thenReLU` cuts the output (the vectors' way: `maxPool2x2`).
    @inline(__always)
    static func winner(_ index: Int32, of best: Float, thenReLU: Bool) -> Int32 {
        thenReLU && !(best > 0) ? reluCut : index
    }

    /// Routes each output gradient to the input that won its window (none where the forward's
    /// ReLU cut it: `reluCut`); dx is cleared first.
    package static func maxPoolBackward(
        _ dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, _ input: ImageBatch, window: Window,
        _ dx: UnsafeMutablePointer<Float>, threads: Int = Parallel.threadCount
    ) {
        let (oh, ow) = (window.outputSize(input.h), window.outputSize(input.w))
        let outPlane = oh * ow, inVectors = window.isHalving2x2 && ow >= 16
        forPlanes(input.n * input.c, work: outPlane + input.plane, threads: threads) { plane in
            let dxp = dx + plane * input.plane, dyp = dy + plane * outPlane, ap = argmax + plane * outPlane
            if inVectors {
                return maxUnpool2x2(dyp, argmax: ap, outputHeight: oh, outputWidth: ow, dxp, height: input.h, width: input.w)
            }
            dxp.update(repeating: 0, count: input.plane)
            for o in 0..<outPlane where ap[o] != reluCut { dxp[Int(ap[o])] += dyp[o] }
        }
    }

    /// `maxPoolBackward` of a 2×2 pool with stride 2 (VGG's), whose windows do not overlap, on
    /// rows of 16 windows or more: each input gets its window's gradient if it won the window
    /// (a window the ReLU cut has no winner), else zero, written once, 16 windows at a time, in place
    /// of clearing dx and adding to it one winner at a time (VGG's first pool: 25.7 million
    /// windows a batch, about half of them masked at random by the ReLU, a branch mispredicted
    /// as often). Each window's gradient and winner go twice into the lanes of its two inputs on
    /// a line, and each lane keeps the gradient where its cell won: two selects for 32 inputs.
    /// (Selecting each column's gradients apart, then interleaving them, compiled to scalar
    /// extracts and masked moves: VGG's first layer's fused backward took 58–59 ms a batch
    /// against 39–44 this way, `bench fused`, 2 threads.) Inputs past the last whole window get
    /// zero. Narrower rows, whose planes fit in L1, go the plain way: gathering a part-filled
    /// vector cost more.
    /// dx's rows are `rowPitch` floats apart (w by default; the direct weight gradient's copy
    /// of dy has wider rows, `conv2dReLUMaxPoolWeightGradient`), of which the first w are written.
    @inline(__always)
    static func maxUnpool2x2(_ dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, outputHeight oh: Int, outputWidth ow: Int,
                             _ dx: UnsafeMutablePointer<Float>, height h: Int, width w: Int, rowPitch: Int? = nil) {
        let pitch = rowPitch ?? w
        typealias V = SIMD16<Float>
        typealias I = SIMD16<Int32>
        let lineColumns = I(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        for oy in 0..<oh {
            let (g, winners) = (dy + oy * ow, argmax + oy * ow)
            for line in 0..<2 {
                let row = dx + (2 * oy + line) * pitch, rowStart = (2 * oy + line) * w
                // Windows ox..<ox+16: the gradients of the pair of inputs each covers on this line.
                @inline(__always) func inputs(_ ox: Int, _ gradient: V, _ won: I) -> SIMD32<Float> {
                    // Each window's gradient and winner twice, once for each of its inputs on
                    // this line; an input gets the gradient where it is the winner (`reluCut`
                    // is no input's).
                    let twice = Kernels.interleavedHalves(gradient, gradient)
                    let bits = unsafeBitCast(won, to: V.self)
                    let winners = Kernels.interleavedHalves(bits, bits)
                    let first = I(repeating: Int32(truncatingIfNeeded: rowStart &+ 2 &* ox)) &+ lineColumns
                    @inline(__always) func half(_ gradients: V, _ winners: V, _ cells: I) -> V {
                        V(repeating: 0).replacing(with: gradients, where: unsafeBitCast(winners, to: I.self) .== cells)
                    }
                    return SIMD32(lowHalf: half(twice.0, winners.0, first), highHalf: half(twice.1, winners.1, first &+ 16))
                }
                // The last 16 windows overlap the ones before unless ow is a multiple of 16:
                // their inputs are written again with the same values.
                for start in stride(from: 0, to: ow, by: 16) {
                    let ox = min(start, ow - 16)
                    @inline(__always) func load<T: SIMD>(_ p: UnsafePointer<T.Scalar>) -> T { UnsafeRawPointer(p + ox).loadUnaligned(as: T.self) }
                    UnsafeMutableRawPointer(row + 2 * ox).storeBytes(of: inputs(ox, load(g), load(winners)), as: SIMD32<Float>.self)
                }
                for i in (2 * ow)..<w { row[i] = 0 }
            }
        }
        for iy in (2 * oh)..<h { (dx + iy * pitch).update(repeating: 0, count: w) }
    }

    package static func avgPoolForward(
        _ x: UnsafePointer<Float>, _ input: ImageBatch, window: Window,
        _ y: UnsafeMutablePointer<Float>, threads: Int = Parallel.threadCount
    ) {
        let (h, w, k, s, p) = (input.h, input.w, window.size, window.stride, window.padding)
        let (oh, ow) = (window.outputSize(h), window.outputSize(w))
        let scale = 1 / Float(k * k)
        if window.isHalving2x2 {
            return forPlanes(input.n * input.c, work: h * w, threads: threads) { plane in
                pool2x2(x + plane * h * w, width: w, y + plane * oh * ow, outputHeight: oh, outputWidth: ow) { a, b, c, d in
                    (a + b + c + d) * 0.25
                }
            }
        }
        forPlanes(input.n * input.c, work: oh * ow * k * k, threads: threads) { plane in
            let xp = x + plane * h * w, yp = y + plane * oh * ow
            for oy in 0..<oh {
                let y0 = max(oy * s - p, 0), y1 = min(oy * s - p + k, h)
                for ox in 0..<ow {
                    let x0 = max(ox * s - p, 0), x1 = min(ox * s - p + k, w)
                    var total: Float = 0
                    for iy in y0..<y1 { for ix in x0..<x1 { total += xp[iy * w + ix] } }
                    yp[oy * ow + ox] = total * scale
                }
            }
        }
    }

    package static func avgPoolBackward(
        _ dy: UnsafePointer<Float>, _ input: ImageBatch, window: Window,
        _ dx: UnsafeMutablePointer<Float>, threads: Int = Parallel.threadCount
    ) {
        let (h, w, k, s, p) = (input.h, input.w, window.size, window.stride, window.padding)
        let (oh, ow) = (window.outputSize(h), window.outputSize(w))
        let scale = 1 / Float(k * k)
        if window.isHalving2x2 {
            return forPlanes(input.n * input.c, work: h * w, threads: threads) { plane in
                unpool2x2(dy + plane * oh * ow, outputHeight: oh, outputWidth: ow, dx + plane * h * w, height: h, width: w, scale: 0.25)
            }
        }
        forPlanes(input.n * input.c, work: oh * ow * k * k, threads: threads) { plane in
            let dxp = dx + plane * h * w, dyp = dy + plane * oh * ow
            dxp.update(repeating: 0, count: h * w)
            for oy in 0..<oh {
                let y0 = max(oy * s - p, 0), y1 = min(oy * s - p + k, h)
                for ox in 0..<ow {
                    let x0 = max(ox * s - p, 0), x1 = min(ox * s - p + k, w)
                    let g = dyp[oy * ow + ox] * scale
                    for iy in y0..<y1 { for ix in x0..<x1 { dxp[iy * w + ix] += g } }
                }
            }
        }
    }

    /// 2×2 windows with stride 2 and no padding, the most common pooling, 16 outputs at a time:
    /// two rows of 32 inputs are split into even and odd columns and combined by `f`.
    @inline(__always)
    static func pool2x2(_ x: UnsafePointer<Float>, width w: Int, _ y: UnsafeMutablePointer<Float>,
                        outputHeight oh: Int, outputWidth ow: Int,
                        _ f: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>) {
        for oy in 0..<oh {
            let top = UnsafeRawPointer(x + 2 * oy * w), bottom = UnsafeRawPointer(x + (2 * oy + 1) * w)
            let out = y + oy * ow
            var ox = 0
            while ox + 16 <= ow {
                let t = deinterleaved(top, byteOffset: 8 * ox), b = deinterleaved(bottom, byteOffset: 8 * ox)
                UnsafeMutableRawPointer(out + ox).storeBytes(of: f(t.even, t.odd, b.even, b.odd), as: SIMD16<Float>.self)
                ox += 16
            }
            if ox < ow {
                // The tail: the same arithmetic on lanes gathered one by one.
                var t0 = SIMD16<Float>(), t1 = SIMD16<Float>(), b0 = SIMD16<Float>(), b1 = SIMD16<Float>()
                let tr = x + 2 * oy * w, br = x + (2 * oy + 1) * w
                for e in 0..<(ow - ox) {
                    let i = 2 * (ox + e)
                    (t0[e], t1[e], b0[e], b1[e]) = (tr[i], tr[i + 1], br[i], br[i + 1])
                }
                let r = f(t0, t1, b0, b1)
                for e in 0..<(ow - ox) { out[ox + e] = r[e] }
            }
        }
    }

    /// 2×2 max pooling with stride 2 and no padding (VGG's, which halve maps as large as 224²),
    /// 16 outputs at a time as `pool2x2` reads them: the window's four cells in its order, (0, 0),
    /// (0, 1), (1, 0), (1, 1), each taken only when strictly greater, so the first of equal
    /// maxima wins and NaN never does; when none beats −∞ the winner is the first cell.
    /// `argmax` gets the winners' indices within the plane (`maxPoolForward`), plus `firstIndex`
    /// when x is a strip of rows further down a plane (`conv2dReLUMaxPoolForward`). `streaming`
    /// writes y and the winners past the caches, and needs whole vectors a row, 64-byte aligned.
    @inline(__always)
    static func maxPool2x2(_ x: UnsafePointer<Float>, width w: Int, _ y: UnsafeMutablePointer<Float>,
                           argmax: UnsafeMutablePointer<Int32>, outputHeight oh: Int, outputWidth ow: Int, thenReLU: Bool,
                           firstIndex: Int = 0, streaming: Bool = false) {
        typealias V = SIMD16<Float>
        typealias I = SIMD16<Int32>
        let below = Int32(truncatingIfNeeded: w)
        let evenColumns = I(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
        for oy in 0..<oh {
            let top = UnsafeRawPointer(x + 2 * oy * w), bottom = UnsafeRawPointer(x + (2 * oy + 1) * w)
            let (out, winners) = (y + oy * ow, argmax + oy * ow)
            let rowStart = Int32(truncatingIfNeeded: firstIndex + 2 * oy * w)
            var ox = 0
            while ox + 16 <= ow {
                let t = deinterleaved(top, byteOffset: 8 * ox), b = deinterleaved(bottom, byteOffset: 8 * ox)
                var best = V(repeating: -.infinity), cell = I(repeating: 0)
                keepGreater(t.even, 0, &best, &cell)
                keepGreater(t.odd, 1, &best, &cell)
                keepGreater(b.even, below, &best, &cell)
                keepGreater(b.odd, below &+ 1, &best, &cell)
                var won = I(repeating: rowStart &+ Int32(truncatingIfNeeded: 2 * ox)) &+ evenColumns &+ cell
                if thenReLU {
                    let cut = .!(best .> 0)
                    best.replace(with: 0, where: cut)
                    won.replace(with: reluCut, where: cut)
                }
                if streaming {
                    convbook_store_streaming(out + ox, best)
                    convbook_store_streaming(UnsafeMutableRawPointer(winners + ox).assumingMemoryBound(to: Float.self),
                                             unsafeBitCast(won, to: V.self))
                } else {
                    UnsafeMutableRawPointer(out + ox).storeBytes(of: best, as: V.self)
                    UnsafeMutableRawPointer(winners + ox).storeBytes(of: won, as: I.self)
                }
                ox += 16
            }
            for o in ox..<ow {
                let first = 2 * oy * w + 2 * o
                var best = -Float.infinity, winner = first
                for ki in 0..<2 {
                    for kj in 0..<2 where x[first + ki * w + kj] > best { (best, winner) = (x[first + ki * w + kj], first + ki * w + kj) }
                }
                out[o] = thenReLU ? max(best, 0) : best
                winners[o] = Kernels.winner(Int32(truncatingIfNeeded: firstIndex + winner), of: best, thenReLU: thenReLU)
            }
        }
    }

    /// A window's next cell: where `value` is greater than `best`, it and `offset` replace them.
    @inline(__always)
    static func keepGreater(_ value: SIMD16<Float>, _ offset: Int32, _ best: inout SIMD16<Float>, _ cell: inout SIMD16<Int32>) {
        let better = value .> best
        best.replace(with: value, where: better)
        cell.replace(with: SIMD16(repeating: offset), where: better)
    }

    /// The gradient of 2×2 average pooling with stride 2: each input of a window receives
    /// `scale` times its output's gradient; inputs past the last whole window receive zero.
    @inline(__always)
    static func unpool2x2(_ dy: UnsafePointer<Float>, outputHeight oh: Int, outputWidth ow: Int,
                          _ dx: UnsafeMutablePointer<Float>, height h: Int, width w: Int, scale: Float) {
        for oy in 0..<oh {
            let g = dy + oy * ow
            for line in 0..<2 {
                let row = dx + (2 * oy + line) * w
                var ox = 0
                while ox + 16 <= ow {
                    let v = UnsafeRawPointer(g + ox).loadUnaligned(as: SIMD16<Float>.self) * scale
                    UnsafeMutableRawPointer(row + 2 * ox).storeBytes(of: Kernels.interleaved(v, v), as: SIMD32<Float>.self)
                    ox += 16
                }
                for o in ox..<ow { row[2 * o] = g[o] * scale; row[2 * o + 1] = g[o] * scale }
                for i in (2 * ow)..<w { row[i] = 0 }
            }
        }
        for iy in (2 * oh)..<h { (dx + iy * w).update(repeating: 0, count: w) }
    }

    /// The input rows (or columns) that output cell `i` of `outputs` averages over, as PyTorch's
    /// adaptive pooling: from ⌊i·n/outputs⌋ to ⌈(i+1)·n/outputs⌉.
    @inline(__always)
    package static func adaptiveBin(_ i: Int, outputs: Int, inputs n: Int) -> Range<Int> {
        (i * n / outputs)..<(((i + 1) * n + outputs - 1) / outputs)
    }

    package static func adaptiveAvgPoolForward(
        _ x: UnsafePointer<Float>, _ input: ImageBatch, outputHeight oh: Int, outputWidth ow: Int,
        _ y: UnsafeMutablePointer<Float>, threads: Int = Parallel.threadCount
    ) {
        let (h, w) = (input.h, input.w)
        forPlanes(input.n * input.c, work: h * w, threads: threads) { plane in
            let xp = x + plane * h * w, yp = y + plane * oh * ow
            for oy in 0..<oh {
                let rows = adaptiveBin(oy, outputs: oh, inputs: h)
                for ox in 0..<ow {
                    let cols = adaptiveBin(ox, outputs: ow, inputs: w)
                    var total: Float = 0
                    for iy in rows { for ix in cols { total += xp[iy * w + ix] } }
                    yp[oy * ow + ox] = total / Float(rows.count * cols.count)
                }
            }
        }
    }

    package static func adaptiveAvgPoolBackward(
        _ dy: UnsafePointer<Float>, _ input: ImageBatch, outputHeight oh: Int, outputWidth ow: Int,
        _ dx: UnsafeMutablePointer<Float>, threads: Int = Parallel.threadCount
    ) {
        let (h, w) = (input.h, input.w)
        forPlanes(input.n * input.c, work: h * w, threads: threads) { plane in
            let dxp = dx + plane * h * w, dyp = dy + plane * oh * ow
            dxp.update(repeating: 0, count: h * w)
            for oy in 0..<oh {
                let rows = adaptiveBin(oy, outputs: oh, inputs: h)
                for ox in 0..<ow {
                    let cols = adaptiveBin(ox, outputs: ow, inputs: w)
                    let g = dyp[oy * ow + ox] / Float(rows.count * cols.count)
                    for iy in rows { for ix in cols { dxp[iy * w + ix] += g } }
                }
            }
        }
    }

    /// Runs `body(plane)` for every plane, splitting the planes over the threads when the total
    /// work (`work` per plane) is worth it.
    @inline(__always)
    static func forPlanes(_ planes: Int, work: Int, threads: Int, _ body: (Int) -> Void) {
        forPlaneRanges(planes, work: work, threads: threads) { range in
            for plane in range { body(plane) }
        }
    }

    /// As `forPlanes`, a range of planes per thread, for a kernel that sets up scratch once.
    @inline(__always)
    static func forPlaneRanges(_ planes: Int, work: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        Parallel.forRanges(planes, threads: threads, grain: max(1, elementwiseGrain / max(work, 1)), body)
    }
}
