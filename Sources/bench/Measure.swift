import Foundation
import NN
import Tensors

/// Times `body` after `warmups` untimed calls: the median of `runs` timings, in seconds, with
/// at least `minimumSeconds` of timed work in all.
func medianSeconds(warmups: Int = 2, runs: Int = 7, minimumSeconds: Double = 0.5, _ body: () throws -> Void) rethrows -> Double {
    try timed(warmups: warmups, runs: runs, minimumSeconds: minimumSeconds, body).seconds
}

/// A body's timings, each with the multiply-add rate a short probe (`peakProbe`) reached just
/// before it.
struct Timing {
    var runs: [(seconds: Double, probeGFLOPS: Double?)]

    /// The median time.
    var seconds: Double { median(runs.map(\.seconds)) }

    /// The share of the FMA peak that a body doing `flops` reaches: the median over the runs
    /// of its rate over the probe's just before it. On a shared machine whose speed moves by
    /// tens of percent within minutes, a rate and a peak probed minutes apart can give any share,
    /// even above 100%; a run and its probe meet the same neighbours.
    func shareOfPeak(flops: Double) -> Double? {
        let shares = runs.compactMap { run in run.probeGFLOPS.map { flops / run.seconds / 1e9 / $0 } }
        return shares.isEmpty ? nil : median(shares)
    }
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// Like `medianSeconds`, keeping every run; with `besidePeak`, each run follows a short peak
/// probe on the kernels' threads, for `Timing.shareOfPeak`.
func timed(warmups: Int = 2, runs: Int = 7, minimumSeconds: Double = 0.5, besidePeak: Bool = false,
           _ body: () throws -> Void) rethrows -> Timing {
    for _ in 0..<warmups { try body() }
    var timing = Timing(runs: [])
    let clock = ContinuousClock()
    var total = 0.0
    while timing.runs.count < runs || (total < minimumSeconds && timing.runs.count < 200) {
        let probe = besidePeak ? peakProbeGFLOPS(threads: Parallel.threadCount, iterations: 1_000_000) : nil
        let start = clock.now
        try body()
        let seconds = (clock.now - start).seconds
        timing.runs.append((seconds, probe))
        total += seconds
    }
    return timing
}

/// The FP32 multiply-add rate this machine reaches: each thread runs independent chains of
/// 16-lane fused multiply-adds (enough to hide their latency), so the figure is the ceiling no
/// kernel can pass. The best of five probes: on a shared machine the others are slowed by
/// neighbours, not by the arithmetic.
func measuredPeakGFLOPS(threads: Int) -> Double {
    (0..<5).map { _ in peakProbeGFLOPS(threads: threads, iterations: 10_000_000) }.max()!
}

/// One probe of the multiply-add rate: `iterations` steps of twelve FMA chains on each thread.
func peakProbeGFLOPS(threads: Int, iterations: Int) -> Double {
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
    let clock = ContinuousClock()
    var sink = [Float](repeating: 0, count: threads)
    let start = clock.now
    sink.withUnsafeMutableBufferPointer { s in Parallel.run(threads) { s[$0] = probe() } }
    let seconds = (clock.now - start).seconds
    precondition(sink.allSatisfy { !$0.isNaN })
    return Double(iterations) * 12 * 16 * 2 * Double(threads) / seconds / 1e9
}
