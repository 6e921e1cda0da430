import Testing
import Tensors
import TestSupport

/// The packed GEMM against the triple loop. Tolerance: Float sums of up to 2,100 terms of
/// magnitude ≤ 1 against an exact Double sum: 1e-4 absolute plus 1e-5 relative.
@Suite struct GEMMTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (8, 32, 1), (7, 31, 5), (9, 33, 17), (1, 300, 7), (300, 1, 7),
        (13, 70, 257), (129, 65, 300), (64, 64, 64), (100, 3, 513), (6, 784, 25), (17, 2049, 3),
        // Sums of several KC slices (512 terms each), the later slices added to the first.
        (20, 70, 1100), (9, 40, 2100),
        // A batch of 128 rows in one block of A (more than the 120 of a block of 6-row slivers),
        // B's panels over 1 MB, so packed sliver by sliver, the last part-filled, over two KC
        // slices.
        (128, 1100, 520),
        // Columns split between the two threads (576 and 524, one in 6×64 tiles, one in 8×32),
        // two blocks of A each, and B's panels over 1 MB: swept in column blocks (512, then 64
        // or a part-filled 12) past both blocks, over two KC slices.
        (200, 1100, 513),
    ]

    @Test(arguments: shapes)
    func matchesReferenceInEveryTransposition(_ shape: (m: Int, n: Int, k: Int)) {
        let g = RandomGenerator(seed: UInt64(shape.m * 1000 + shape.n * 10 + shape.k))
        let (m, n, k) = shape
        let a = randomValues(m * k, using: g), b = randomValues(k * n, using: g)
        let start = randomValues(m * n, using: g)
        for transA in [false, true] {
            for transB in [false, true] {
                let expected = Reference.gemm(transA: transA, transB: transB, m: m, n: n, k: k,
                                              a: a.map(Double.init), b: b.map(Double.init))
                for accumulate in [false, true] {
                    var c = start
                    Kernels.gemm(transA: transA, transB: transB, m: m, n: n, k: k,
                                 a: a, lda: transA ? m : k, b: b, ldb: transB ? k : n,
                                 c: &c, ldc: n, accumulate: accumulate, threads: 2)
                    let want = accumulate ? zip(expected, start).map { $0 + Double($1) } : expected
                    let error = worstError(c, want, atol: 1e-4, rtol: 1e-5)
                    #expect(error <= 1, "m \(m) n \(n) k \(k) transA \(transA) transB \(transB) accumulate \(accumulate)")
                }
            }
        }
    }

    @Test func subMatricesRespectLeadingDimensions() {
        let g = RandomGenerator(seed: 7)
        let (m, n, k, lda, ldb, ldc) = (10, 40, 12, 15, 45, 50)
        let a = randomValues(m * lda, using: g), b = randomValues(k * ldb, using: g)
        var c = [Float](repeating: 99, count: m * ldc)
        Kernels.gemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: &c, ldc: ldc, threads: 2)
        let aDense = (0..<m).flatMap { i in a[(i * lda)..<(i * lda + k)] }.map(Double.init)
        let bDense = (0..<k).flatMap { p in b[(p * ldb)..<(p * ldb + n)] }.map(Double.init)
        let expected = Reference.gemm(m: m, n: n, k: k, a: aDense, b: bDense)
        let inside = (0..<m).flatMap { i in c[(i * ldc)..<(i * ldc + n)] }
        #expect(worstError(inside, expected, atol: 1e-4, rtol: 1e-5) <= 1)
        let outside = (0..<m).flatMap { i in c[(i * ldc + n)..<(i * ldc + ldc)] }
        #expect(outside.allSatisfy { $0 == 99 }, "columns past n must be left alone")
    }

    /// A large C written once (a fully connected layer's weight gradient) is stored past the
    /// caches (`gemmStreamsC`, 64-byte aligned rows): the triple loop's sums, and the same bits
    /// as the same product stored through the caches (C one float off the alignment), in 6×64
    /// tiles and in 8×32 ones, ragged edges and the columns past n left alone.
    @Test(arguments: [(m: 1030, n: 2050, ldc: 2064), (m: 21_000, n: 100, ldc: 112)])
    func largeOutputsStoredPastTheCachesKeepTheirBits(_ shape: (m: Int, n: Int, ldc: Int)) {
        let (m, n, ldc, k) = (shape.m, shape.n, shape.ldc, 5)
        let g = RandomGenerator(seed: 17)
        let a = randomValues(m * k, using: g), b = randomValues(k * n, using: g)
        let (streamed, cached) = (Storage(zeros: m * ldc), Storage(zeros: m * ldc + 1))
        let offAlignment = cached.pointer + 1
        #expect(Kernels.gemmStreamsC(m: m, n: n, k: k, c: streamed.pointer, ldc: ldc, accumulate: false))
        #expect(!Kernels.gemmStreamsC(m: m, n: n, k: k, c: offAlignment, ldc: ldc, accumulate: false))
        for i in 0..<m { (streamed.pointer + i * ldc + n).update(repeating: 99, count: ldc - n) }
        for c in [streamed.pointer, offAlignment] {
            Kernels.gemm(transA: true, m: m, n: n, k: k, a: a, lda: m, b: b, ldb: n, c: c, ldc: ldc, threads: 2)
        }
        let rows = { (c: UnsafeMutablePointer<Float>) in (0..<m).flatMap { i in Array(UnsafeBufferPointer(start: c + i * ldc, count: n)) } }
        let (result, throughCaches) = (rows(streamed.pointer), rows(offAlignment))
        let sameBits = result == throughCaches
        #expect(sameBits, "m \(m) n \(n)")
        let expected = Reference.gemm(transA: true, m: m, n: n, k: k, a: a.map(Double.init), b: b.map(Double.init))
        #expect(worstError(result, expected, atol: 1e-4, rtol: 1e-5) <= 1, "m \(m) n \(n)")
        let past = (0..<m).flatMap { i in Array(UnsafeBufferPointer(start: streamed.pointer + i * ldc + n, count: ldc - n)) }
        #expect(past.allSatisfy { $0 == 99 }, "columns past n must be left alone")
        withExtendedLifetime((streamed, cached)) {}
    }

    @Test func sameBitsForEveryThreadCount() {
        let g = RandomGenerator(seed: 3)
        // (200, 576, 513): on one thread, B's panel in column blocks past two blocks of A; on
        // two, each thread's rows are one block.
        for (m, n, k) in [(200, 90, 300), (40, 500, 700), (8, 2100, 9), (128, 1100, 520), (200, 576, 513)] {
            let a = randomValues(m * k, using: g), b = randomValues(k * n, using: g)
            var results: [[Float]] = []
            for threads in [1, 2, 3, 5] {
                var c = [Float](repeating: 0, count: m * n)
                Kernels.gemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n, threads: threads)
                results.append(c)
            }
            #expect(results.allSatisfy { $0 == results[0] }, "m \(m) n \(n) k \(k)")
        }
    }
}
