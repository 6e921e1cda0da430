import Foundation

/// Element-by-element loops. Simple loops over unsafe pointers, which the compiler vectorizes;
/// large ones are split over the threads.
extension Kernels {
    /// Below this many elements a loop stays on one thread: waking another costs more.
    static let elementwiseGrain = 1 << 15

    /// Copies `count` floats. A row of an image into a padded plane is often short (5 floats at
    /// NiN's last layer, 6 at ResNet's and GoogLeNet's): below 16 floats the copy goes 8, then
    /// 4, then 1 float at a time in place, where a call of memmove per row cost NiN's last weight
    /// gradient (384 channels at 5²) a tenth of its time. Up to 256 floats it goes 16 at a time,
    /// the last 16 overlapping the ones before: LeNet's 28-float rows by memmove took 8% of its
    /// first weight gradient's time, as long as the sums (`perf record`). Longer rows go by memmove.
    /// Source and target must not overlap (the vector copies assume they do not).
    @inline(__always)
    static func copyFloats(_ count: Int, from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>) {
        let (from, to) = (UnsafeRawPointer(source), UnsafeMutableRawPointer(target))
        if count >= 16 {
            guard count <= 256 else { target.update(from: source, count: count); return }
            var e = 0
            while e &+ 16 < count {
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: e &* 4, as: SIMD16<Float>.self), toByteOffset: e &* 4, as: SIMD16<Float>.self)
                e &+= 16
            }
            let last = (count &- 16) &* 4
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: last, as: SIMD16<Float>.self), toByteOffset: last, as: SIMD16<Float>.self)
            return
        }
        var e = 0
        if count >= 8 {
            to.storeBytes(of: from.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            e = 8
        }
        if e &+ 4 <= count {
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: e &* 4, as: SIMD4<Float>.self), toByteOffset: e &* 4, as: SIMD4<Float>.self)
            e &+= 4
        }
        if e < count { target[e] = source[e] }
        if e &+ 1 < count { target[e &+ 1] = source[e &+ 1] }
        if e &+ 2 < count { target[e &+ 2] = source[e &+ 2] }
    }

    /// Stores the first `count` (at most 32) floats of `v` at `target`, and nothing past them:
    /// 16, 8, 4, 2 and 1 at a time, as `count`'s bits say.
    @inline(__always)
    static func storeFirst(_ count: Int, of v: SIMD32<Float>, to target: UnsafeMutablePointer<Float>) {
        let to = UnsafeMutableRawPointer(target)
        var rest = v.lowHalf, at = 0
        if count >= 16 {
            to.storeBytes(of: v.lowHalf, as: SIMD16<Float>.self)
            guard count < 32 else { to.storeBytes(of: v.highHalf, toByteOffset: 64, as: SIMD16<Float>.self); return }
            (rest, at) = (v.highHalf, 64)
        }
        var eight = rest.lowHalf
        if count & 8 != 0 { to.storeBytes(of: eight, toByteOffset: at, as: SIMD8<Float>.self); (eight, at) = (rest.highHalf, at &+ 32) }
        var four = eight.lowHalf
        if count & 4 != 0 { to.storeBytes(of: four, toByteOffset: at, as: SIMD4<Float>.self); (four, at) = (eight.highHalf, at &+ 16) }
        var two = four.lowHalf
        if count & 2 != 0 { to.storeBytes(of: two, toByteOffset: at, as: SIMD2<Float>.self); (two, at) = (four.highHalf, at &+ 8) }
        if count & 1 != 0 { to.storeBytes(of: two[0], toByteOffset: at, as: Float.self) }
    }

    /// x₀ y₀ x₁ y₁ … x₁₅ y₁₅: four rounds of splitting the 32 floats into even and odd places
    /// turn index i into 2i (mod 31), which LLVM folds into two shuffles. (SIMD32's `evenHalf`
    /// setter, given two different vectors in Winograd's products, compiled to 128-bit unpacks
    /// and stack traffic.)
    @inline(__always)
    static func interleaved(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD32<Float> {
        let (low, high) = interleavedHalves(x, y)
        return SIMD32(lowHalf: low, highHalf: high)
    }

    /// The same as two vectors, x₀ y₀ … x₇ y₇ and x₈ y₈ … x₁₅ y₁₅, to work on further in
    /// 16-lane vectors (compares and selects on SIMD32 compiled to scalar code).
    @inline(__always)
    static func interleavedHalves(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>) {
        var (a, b) = (x, y)
        for _ in 0..<4 {
            (a, b) = (SIMD16(lowHalf: a.evenHalf, highHalf: b.evenHalf), SIMD16(lowHalf: a.oddHalf, highHalf: b.oddHalf))
        }
        return (a, b)
    }

    /// The even and odd floats of the 32 at `p + offset` bytes, x₀ x₂ … x₃₀ and x₁ x₃ … x₃₁ (the
    /// inverse of `interleaved`): two 16-float loads, split half by half, which LLVM compiles to
    /// two shuffles. (SIMD32's `evenHalf` and `oddHalf` compiled to calls and stack traffic, and
    /// VGG's 2×2 max pools spent as long as its first convolution.)
    @inline(__always)
    static func deinterleaved(_ p: UnsafeRawPointer, byteOffset offset: Int) -> (even: SIMD16<Float>, odd: SIMD16<Float>) {
        let a = p.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
        let b = p.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self)
        return (SIMD16(lowHalf: a.evenHalf, highHalf: b.evenHalf), SIMD16(lowHalf: a.oddHalf, highHalf: b.oddHalf))
    }

    @inline(__always)
    static func forChunks(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        Parallel.forRanges(count, threads: threads, grain: elementwiseGrain, alignment: 16, body)
    }

    /// Copies `count` blocks of `width` floats, block i from `source + i · sourceStep` to
    /// `target + i · targetStep`: one input's part of every image of a concatenation, or its
    /// gradient's back out of the whole. The blocks are shared among the threads: on one,
    /// DenseNet's concatenations took a tenth of its training step (`bench "profile DenseNet"`).
    package static func copyBlocks(_ count: Int, width: Int, from source: UnsafePointer<Float>, every sourceStep: Int,
                                   to target: UnsafeMutablePointer<Float>, every targetStep: Int,
                                   threads: Int = Parallel.threadCount) {
        Parallel.forRanges(count, threads: threads, grain: max(1, elementwiseGrain / max(width, 1))) { blocks in
            for i in blocks { (target + i * targetStep).update(from: source + i * sourceStep, count: width) }
        }
    }

    package static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                           into out: UnsafeMutablePointer<Float>, count: Int,
                           threads: Int = Parallel.threadCount) {
        forChunks(count, threads: threads) { r in for i in r { out[i] = a[i] + b[i] } }
    }

    /// The 16 lanes' sum, as a tree of halves: lane i + lane i+8, then i + i+4, and so on.
    /// Inlined: the standard library's `sum()` compiles to a call (objdump) and a chain of 15
    /// dependent adds, a cost in every row of a small plane's batch norm.
    @inline(__always)
    static func laneSum(_ v: SIMD16<Float>) -> Float {
        let eight = v.lowHalf + v.highHalf, four = eight.lowHalf + eight.highHalf, two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// The sum of `count` floats, in a fixed order: 16 running sums added pairwise at the end.
    package static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var total = laneSum(acc)
        while i < count { total += x[i]; i += 1 }
        return total
    }

    /// Σ (x − mean)² over `count` floats, in the same fixed order as `sum`.
    package static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, mean: Float) -> Float {
        let mu = SIMD16<Float>(repeating: mean)
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let d = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) - mu
            acc.addProduct(d, d)
            i += 16
        }
        var total = laneSum(acc)
        while i < count { let d = x[i] - mean; total += d * d; i += 1 }
        return total
    }

    /// Σ g and Σ g·(x − mean) over `count` floats in one pass, in the same fixed order as `sum`:
    /// the sums of a normalization's backward pass. With `relu`, g counts only where
    /// x·scale + shift > 0 (the gradient a ReLU after the normalization lets through).
    package static func gradientSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int, mean: Float,
                                     relu: (scale: Float, shift: Float)? = nil) -> (g: Float, gTimesDeviation: Float) {
        typealias V = SIMD16<Float>
        let mu = V(repeating: mean)
        var sumG = V(), sumGD = V()
        var i = 0
        while i + 16 <= count {
            var gv = UnsafeRawPointer(g + i).loadUnaligned(as: V.self)
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            if let relu { gv.replace(with: 0, where: .!(xv * V(repeating: relu.scale) + V(repeating: relu.shift) .> 0)) }
            sumG += gv
            sumGD.addProduct(gv, xv - mu)
            i += 16
        }
        var (totalG, totalGD) = (laneSum(sumG), laneSum(sumGD))
        while i < count {
            let gi = relu.map { affine(x[i], $0.scale, $0.shift, thenReLU: false) > 0 ? g[i] : 0 } ?? g[i]
            totalG += gi; totalGD += gi * (x[i] - mean); i += 1
        }
        return (totalG, totalGD)
    }

    // MARK: ReLU — y = max(x, 0); dx = dy where y > 0

    package static func reluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
                                   threads: Int = Parallel.threadCount) {
        forChunks(count, threads: threads) { r in for i in r { y[i] = max(x[i], 0) } }
    }

    /// y = max(y, 0) in place. Its own loop: `reluForward(y, y)` found its two pointers
    /// overlapping and ran the unvectorized copy of the loop (AlexNet trained at 0.86×).
    package static func reluInPlace(_ y: UnsafeMutablePointer<Float>, count: Int, threads: Int = Parallel.threadCount) {
        forChunks(count, threads: threads) { r in for i in r { y[i] = max(y[i], 0) } }
    }

    package static func reluBackward(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                    _ dx: UnsafeMutablePointer<Float>, count: Int,
                                    threads: Int = Parallel.threadCount) {
        forChunks(count, threads: threads) { r in for i in r { dx[i] = y[i] > 0 ? dy[i] : 0 } }
    }

    // MARK: Sigmoid — y = 1 / (1 + e^−x); dx = dy · y · (1 − y)

    package static func sigmoidForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
                                      threads: Int = Parallel.threadCount) {
        forChunks(count, threads: threads) { r in
            map16(x + r.lowerBound, y + r.lowerBound, count: r.count) { sigmoid($0) }
        }
    }

    package static func sigmoidBackward(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                       _ dx: UnsafeMutablePointer<Float>, count: Int,
                                       threads: Int = Parallel.threadCount) {
        forChunks(count, threads: threads) { r in for i in r { dx[i] = dy[i] * y[i] * (1 - y[i]) } }
    }

    // MARK: SGD — w −= lr · dw

    public static func sgdStep(_ w: UnsafeMutablePointer<Float>, _ dw: UnsafePointer<Float>, lr: Float,
                               count: Int, threads: Int = Parallel.threadCount) {
        forChunks(count, threads: threads) { r in for i in r { w[i] -= lr * dw[i] } }
    }
}
