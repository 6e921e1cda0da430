import Foundation
import NN
import Tensors

/// Times `body` after `warmups` untimed calls: the median of `runs` timings, in seconds, with
/// at least `minimumSeconds` of timed work in all.
func medianSeconds(warmups: Int = 2, runs: Int = 7, minimumSeconds: Double = 0.5, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmups { try body() }
    var times: [Double] = []
    let clock = ContinuousClock()
    var total = 0.0
    while times.count < runs || (total < minimumSeconds && times.count < 200) {
        let start = clock.now
        try body()
        let seconds = (clock.now - start).seconds
        times.append(seconds)
        total += seconds
    }
    times.sort()
    return times[times.count / 2]
}

/// The FP32 multiply-add rate this machine reaches: each thread runs independent chains of
/// 16-lane fused multiply-adds (enough to hide their latency), so the figure is the ceiling no
/// kernel can pass. The best of five probes: on a shared machine the others are slowed by
/// neighbours, not by the arithmetic.
func measuredPeakGFLOPS(threads: Int) -> Double {
    let iterations = 10_000_000
    @Sendable func probe() -> Float {
        typealias V = SIMD16<Float>
        var a0 = V(repeating: 1), a1 = V(repeating: 1.1), a2 = V(repeating: 1.2), a3 = V(repeating: 1.3)
        var a4 = V(repeating: 1.4), a5 = V(repeating: 1.5), a6 = V(repeating: 1.6), a7 = V(repeating: 1.7)
        var a8 = V(repeating: 1), a9 = V(repeating: 1.1), a10 = V(repeating: 1.2), a11 = V(repeating: 1.3)
        let m = V(repeating: 0.999999), c = V(repeating: 1e-7)
        // a ← c + a·m: twelve independent chains, one FMA each per step.
        for _ in 0..<iterations {
            a0 = c.addingProduct(a0, m); a1 = c.addingProduct(a1, m); a2 = c.addingProduct(a2, m)
            a3 = c.addingProduct(a3, m); a4 = c.addingProduct(a4, m); a5 = c.addingProduct(a5, m)
            a6 = c.addingProduct(a6, m); a7 = c.addingProduct(a7, m); a8 = c.addingProduct(a8, m)
            a9 = c.addingProduct(a9, m); a10 = c.addingProduct(a10, m); a11 = c.addingProduct(a11, m)
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).sum()
    }
    let flopsPerThread = Double(iterations) * 12 * 16 * 2
    var best = Double.infinity
    for _ in 0..<5 {
        let seconds = medianSeconds(warmups: 0, runs: 1, minimumSeconds: 0) {
            var sink = [Float](repeating: 0, count: threads)
            sink.withUnsafeMutableBufferPointer { s in Parallel.run(threads) { s[$0] = probe() } }
            precondition(sink.allSatisfy { !$0.isNaN })
        }
        best = min(best, seconds)
    }
    return flopsPerThread * Double(threads) / best / 1e9
}
