import Testing
@testable import Tensors

/// The pool keeps the sizes in use now: after one network's sizes filled it, the next
/// network's buffers still come from the pool from its second step on.
@Suite struct BufferPoolTests {
    /// One "training step" of a network: takes a buffer of each size, then gives them all back.
    func step(_ pool: BufferPool, sizes: [Int]) {
        let buffers = sizes.map { ($0, pool.take($0)) }
        for (count, pointer) in buffers { pool.give(pointer, count) }
    }

    @Test func aFullPoolMakesRoomForTheSizesInUse() {
        let pool = BufferPool(limitBytes: 4 * 10_000)
        let first = [3_000, 2_000, 4_000]   // 9,000 floats: the pool is nearly full after it
        let second = [2_500, 3_500, 1_500]  // 7,500 floats of other sizes
        step(pool, sizes: first)
        step(pool, sizes: first)
        #expect(pool.systemAllocationCount == 3)
        #expect(pool.pooledBytes == 4 * 9_000)
        step(pool, sizes: second)  // the first step of the next network asks the system...
        #expect(pool.systemAllocationCount == 6)
        for _ in 0..<5 { step(pool, sizes: second) }  // ...and no later one does
        #expect(pool.systemAllocationCount == 6)
        #expect(pool.pooledBytes <= 4 * 10_000)
        // Back to the first network: the sizes evicted for the second come from the system once.
        step(pool, sizes: first)
        let back = pool.systemAllocationCount
        step(pool, sizes: first)
        #expect(pool.systemAllocationCount == back)
    }

    @Test func releasingEmptiesThePool() {
        let pool = BufferPool(limitBytes: 4 * 10_000)
        step(pool, sizes: [1_000, 2_000])
        #expect(pool.pooledBytes == 4 * 3_000)
        pool.releaseAll()
        #expect(pool.pooledBytes == 0)
        step(pool, sizes: [1_000])
        #expect(pool.systemAllocationCount == 3)
    }

    @Test func aBufferLargerThanThePoolGoesBackToTheSystem() {
        let pool = BufferPool(limitBytes: 4 * 1_000)
        step(pool, sizes: [500])
        step(pool, sizes: [2_000])
        #expect(pool.pooledBytes == 4 * 500, "the small one stays; the one too large for the pool is freed")
    }
}
