import Testing
@testable import Tensors

/// The pool keeps the sizes in use now: after one network's sizes filled it, the next
/// network's buffers still come from the pool from its second step on.
@Suite struct BufferPoolTests {
    /// One "training step" of a network: takes a buffer of each size, then gives them all back.
    func step(_ pool: BufferPool, sizes: [Int]) {
        let buffers = sizes.map { pool.take($0) }
        for (pointer, capacity) in buffers { pool.give(pointer, capacity) }
    }

    @Test func aFullPoolMakesRoomForTheSizesInUse() {
        let pool = BufferPool(limitBytes: 4 * 10_000)
        let first = [3_000, 2_000, 4_000]   // 9,000 floats: the pool is nearly full after it
        let second = [8_500, 900, 600]  // 10,000 floats of sizes no buffer of the other network serves
        step(pool, sizes: first)
        step(pool, sizes: first)
        #expect(pool.systemAllocationCount == 3)
        #expect(pool.pooledBytes == 4 * 9_000)
        step(pool, sizes: second)  // the first step of the next network asks the system...
        #expect(pool.systemAllocationCount == 6)
        #expect(pool.pooledBytes <= 4 * 10_000)
        for _ in 0..<5 { step(pool, sizes: second) }  // ...and no later one does
        #expect(pool.systemAllocationCount == 6)
        #expect(pool.pooledBytes <= 4 * 10_000)
        // Back to the first network: the sizes evicted for the second come from the system once.
        step(pool, sizes: first)
        let back = pool.systemAllocationCount
        step(pool, sizes: first)
        #expect(pool.systemAllocationCount == back)
    }

    /// An epoch's last, partial batch (and the test's, and a picture's single image) asks for
    /// smaller sizes than the training batch: the training batch's buffers serve them.
    @Test func smallerSizesRunInLargerFreeBuffers() {
        let pool = BufferPool(limitBytes: 4 * 1_000_000)
        let batch = [3_000, 2_000, 4_000], partialBatch = [3_600, 2_700, 1_800]
        step(pool, sizes: batch)
        step(pool, sizes: batch)
        step(pool, sizes: partialBatch)
        #expect(pool.systemAllocationCount == 3, "the partial batch's sizes are served by the full batch's buffers")
        #expect(pool.pooledBytes == 4 * 9_000)
        step(pool, sizes: batch)
        #expect(pool.systemAllocationCount == 3, "each buffer went back under its own size")
        // Exact sizes first: 2,000 takes the 2,000-float buffer, not the 3,000 one, and the
        // 3,000 one is still there for the next request.
        let (two, capacityTwo) = pool.take(2_000), (three, capacityThree) = pool.take(2_500)
        #expect((capacityTwo, capacityThree) == (2_000, 3_000))
        pool.give(two, capacityTwo); pool.give(three, capacityThree)
        // More than twice as large is too wasteful: 1,000 floats come from the system.
        step(pool, sizes: [1_000])
        #expect(pool.systemAllocationCount == 4)
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
