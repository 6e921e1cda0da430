import Dispatch
import Foundation

/// The kernels' one parallel-for.
///
/// Work is cut into `parts` contiguous ranges decided by the sizes alone, never by timing, so a
/// run gives the same numbers every time. Threads come from the package's `WorkerPool`, started
/// once, whose threads stay awake between one kernel and the next; a call made while the pool is
/// taken (a part that runs kernels of its own, or another thread of the program) uses the
/// system's (`DispatchQueue.concurrentPerform`). None are created per call.
public enum Parallel {
    /// Threads the kernels use: all cores unless a lesson or test binds another count
    /// (`Parallel.$threadCount.withValue(1) { ... }`).
    @TaskLocal public static var threadCount: Int = ProcessInfo.processInfo.activeProcessorCount

    /// Calls `body(part)` for `part` in 0..<parts, concurrently when `parts > 1`.
    @inline(__always)
    public static func run(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 {
            if parts == 1 { body(0) }
            return
        }
        // The package's one unchecked hand-over (here and in `WorkerPool`). `body` is not
        // `@Sendable`: the kernels' closures capture raw pointers into tensors' memory, which the
        // compiler cannot prove safe to share. It is safe because of how every caller cuts the
        // work: each part writes only its own disjoint range of the output and only reads memory
        // that no part writes, and both pools return only when every part has finished, so
        // nothing outlives the call. (Tested: every kernel against its plain loops, and bit for
        // bit across thread counts.)
        if WorkerPool.shared.run(parts, body) { return }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { shared.value($0) }
        }
    }

    /// See `run`: the only value the package hands across threads unchecked.
    private struct UncheckedSendable<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    /// Splits 0..<count into at most `threads` contiguous ranges of at least `grain` items
    /// (or a multiple of `alignment`) and runs `body` on each range.
    @inline(__always)
    public static func forRanges(_ count: Int, threads: Int = threadCount, grain: Int = 1,
                                 alignment: Int = 1, _ body: (Range<Int>) -> Void) {
        let ranges = split(count, parts: min(threads, max(1, count / max(grain, 1))), alignment: alignment)
        run(ranges.count) { body(ranges[$0]) }
    }

    /// 0..<count cut into `parts` nearly equal contiguous ranges whose bounds are multiples of
    /// `alignment` (except the end); empty ranges are dropped.
    public static func split(_ count: Int, parts: Int, alignment: Int = 1) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let blocks = (count + alignment - 1) / alignment
        let parts = max(1, min(parts, blocks))
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(parts)
        for p in 0..<parts {
            let lo = min(count, (blocks * p / parts) * alignment)
            let hi = min(count, (blocks * (p + 1) / parts) * alignment)
            if lo < hi { ranges.append(lo..<hi) }
        }
        return ranges
    }
}
