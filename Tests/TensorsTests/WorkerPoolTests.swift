import Dispatch
import Foundation
import Synchronization
import Testing
@testable import Tensors

/// The threads behind `Parallel.run`: every part runs once, whoever calls, however the calls
/// nest, and the pool's threads take parts. Each test has a pool of its own, since the other
/// suites' kernels use the shared one at the same time.
@Suite struct WorkerPoolTests {
    /// Runs `parts` parts `calls` times on `pool` (or, when it is taken, on this thread), each
    /// part adding one to its own counter; returns the counters and how many calls the pool ran.
    func timesEachPartRan(_ pool: WorkerPool, parts: Int, calls: Int, work: Int = 0) -> (counts: [Int], pooled: Int) {
        var counts = [Int](repeating: 0, count: parts), pooled = 0
        counts.withUnsafeMutableBufferPointer { counts in
            let body = { (part: Int) in
                var x = Double(part)
                for _ in 0..<work { x = x * 0.999 + 1 }
                counts[part] += x.isNaN ? 2 : 1
            }
            for _ in 0..<calls {
                if pool.run(parts, body) { pooled += 1 } else { (0..<parts).forEach(body) }
            }
        }
        return (counts, pooled)
    }

    @Test func everyPartRunsOncePerCall() {
        let pool = WorkerPool(workers: 1)
        for parts in [1, 2, 3, 7, 64, 1_000, WorkerPool.maximumParts] {
            let (counts, pooled) = timesEachPartRan(pool, parts: parts, calls: 20)
            #expect(pooled == 20)
            #expect(counts == [Int](repeating: 20, count: parts), "parts: \(parts)")
        }
    }

    /// More parts than one word can count are not the pool's.
    @Test func tooManyPartsAreRefused() {
        let pool = WorkerPool(workers: 1)
        #expect(!pool.run(WorkerPool.maximumParts + 1) { _ in })
    }

    /// A part that runs kernels of its own finds the pool taken and uses the system's threads.
    @Test func nestedCallsRunEveryPart() {
        var counts = [Int](repeating: 0, count: 4 * 5)
        counts.withUnsafeMutableBufferPointer { counts in
            for _ in 0..<20 {
                Parallel.run(4) { outer in
                    Parallel.run(5) { inner in counts[outer * 5 + inner] += 1 }
                }
            }
        }
        #expect(counts == [Int](repeating: 20, count: 20))
    }

    /// Several threads of a program calling at once: one owns the pool at a time, the others
    /// are refused, and no part is lost or repeated.
    @Test func callersOnSeveralThreadsAtOnce() {
        let pool = WorkerPool(workers: 2)
        let results = Mutex<[Int: (counts: [Int], pooled: Int)]>([:])
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            let result = timesEachPartRan(pool, parts: 3 + caller, calls: 200, work: 200)
            results.withLock { $0[caller] = result }
        }
        var pooled = 0
        for caller in 0..<4 {
            let result = results.withLock { $0[caller] }
            #expect(result?.counts == [Int](repeating: 200, count: 3 + caller), "caller \(caller)")
            pooled += result?.pooled ?? 0
        }
        #expect(pooled > 0)
    }

    /// The pool's thread takes some of the parts (here, of calls whose two parts take tens of
    /// µs each).
    @Test func thePoolsThreadsTakeParts() {
        let pool = WorkerPool(workers: 1)
        let caller = pthread_self()
        var elsewhere = [Bool](repeating: false, count: 2)
        var anyElsewhere = false
        for _ in 0..<300 where !anyElsewhere {
            elsewhere.withUnsafeMutableBufferPointer { elsewhere in
                _ = pool.run(2) { part in
                    var x = 1.0
                    for _ in 0..<20_000 { x = x * 0.999 + 1 }
                    elsewhere[part] = pthread_equal(pthread_self(), caller) == 0 && x > 0
                }
            }
            anyElsewhere = elsewhere.contains(true)
        }
        #expect(anyElsewhere)
    }
}
