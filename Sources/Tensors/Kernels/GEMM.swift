import CPrefetch

/// Matrix multiplication the way BLIS does it: five loops around a register-blocked microkernel.
///
///     C (+)= op(A) · op(B)        C is m×n, op(A) is m×k, op(B) is k×n, all row-major
///
/// op(A) is A (m×k, row stride lda) or, with `transA`, the transpose of a k×m A; likewise B.
/// Transposes cost nothing extra: they only change how the panels are packed.
///
/// Loops, outermost first (blocks NC, KC, MC, NR, MR):
///   jc: NC-wide column panels of B and C
///   pc: KC-deep slices of the sum; the B panel is packed into NR-wide slivers (fits L2/L3)
///   (a panel over 1 MB is packed and goes by in column blocks that fit half of L2, each past all of A)
///   ic: MC-tall row blocks of A, packed into MR-tall slivers (fits L2)
///   jr, ir: one MR×NR tile of C, computed by the microkernel in registers
///
/// Every element of C sums its k terms in the same order whatever the thread count, so the
/// result does not depend on how many threads share the work.
extension Kernels {
    /// The 8×32 tile's sizes, which the convolutions' packers pack for; `gemm` itself runs
    /// 6×64 tiles where they fit (`usesWideTiles`).
    package static let gemmMR = 8
    package static let gemmNR = 32
    /// 512, not 256: each KC slice ends with a load and store of every C tile, which at 1024²
    /// and up come from L3 or memory; halving those passes measured +8-10% on one thread (1024:
    /// 91 → 99 GFLOP/s), while a 64 KB B sliver still streams from L2 fast enough.
    static let gemmKC = 512
    static let gemmMC = 128
    static let gemmNC = 2048
    /// Half of a core's L2 (2 MB on the Xeon), in floats: a packed B panel larger than this
    /// no longer stays in cache beside A's block (`blockedGEMM`'s slivers packed one by one,
    /// `gemmColumnBlock`).
    static let gemmHalfL2 = 1 << 18

    package static func gemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false,
        threads: Int = Parallel.threadCount
    ) {
        guard m > 0 && n > 0 else { return }
        guard k > 0 else {
            if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            return
        }
        let streamsC = gemmStreamsC(m: m, n: n, k: k, c: c, ldc: ldc, accumulate: accumulate)
        // Threads take whole rows (or whole columns) of C: each packs its own panels, so they
        // share nothing but the inputs. Small products stay on one thread.
        let parts = m * n * k < 32 * 32 * 64 ? 1 : threads
        if parts > 1 && m >= n {
            // Slices of whole tiles of the kernel the threads will run (C's width is theirs too).
            let ranges = Parallel.split(m, parts: parts, alignment: usesWideTiles(m: m, n: n) ? Microkernel6x64.rows : gemmMR)
            Parallel.run(ranges.count) { t in
                let rows = ranges[t]
                gemmSingleThread(
                    transA: transA, transB: transB, m: rows.count, n: n, k: k,
                    a: transA ? a + rows.lowerBound : a + rows.lowerBound * lda, lda: lda,
                    b: b, ldb: ldb, c: c + rows.lowerBound * ldc, ldc: ldc, accumulate: accumulate, streamsC: streamsC)
            }
        } else if parts > 1 {
            let ranges = Parallel.split(n, parts: parts, alignment: Microkernel6x64.columns)
            Parallel.run(ranges.count) { t in
                let cols = ranges[t]
                gemmSingleThread(
                    transA: transA, transB: transB, m: m, n: cols.count, k: k, a: a, lda: lda,
                    b: transB ? b + cols.lowerBound * ldb : b + cols.lowerBound, ldb: ldb,
                    c: c + cols.lowerBound, ldc: ldc, accumulate: accumulate, streamsC: streamsC)
            }
        } else {
            gemmSingleThread(
                transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                c: c, ldc: ldc, accumulate: accumulate, streamsC: streamsC)
        }
    }

    /// Whether `gemm` stores C past the caches: where C is written once (not added to, and the
    /// whole sum in one KC slice), is large (8 MB or more: the weight gradient of a fully
    /// connected layer, 103 MB in VGG's first) and its rows are 64-byte aligned. Such a C goes
    /// to memory anyway; stored through the caches, each of its lines is first read from memory
    /// to be owned, and pushes the packed panels out of L2. VGG fc1's weight gradient ran 1.18
    /// times as fast so (`compare_builds --rounds 7 -- fc1`, lowest 1.11).
    package static func gemmStreamsC(m: Int, n: Int, k: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                     accumulate: Bool) -> Bool {
        !accumulate && k <= gemmKC && m * n >= 1 << 21 && ldc % 16 == 0 && Int(bitPattern: c) % 64 == 0
    }

    /// One thread's product, in 6×64 tiles (`Microkernel6x64`) or 8×32 ones (`usesWideTiles`).
    /// Either sums each element's terms in the same order, so the bits are the same whichever
    /// runs. `streamsC`: C's whole tiles are stored past the caches (`gemmStreamsC`).
    package static func gemmSingleThread(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, streamsC: Bool = false
    ) {
        func run<Kernel: GEMMMicrokernel>(_ kernel: Kernel.Type) {
            // A few rows more than a block (a batch of 128 against 120) go in one block: a
            // second, of a sliver or two, would stream every packed panel of B again for them.
            let rowBlock = m <= Kernel.rowBlock * 3 / 2 ? roundedUp(m, toMultipleOf: Kernel.rows) : Kernel.rowBlock
            // Where B's panel goes by in column blocks, each block of A is asked for once per
            // column block: all m rows of the KC slice are packed at the first ask (m × KC
            // floats, 2 MB a thread in gemm 2048), and every later one points into them.
            let columnBlock = m > rowBlock ? gemmColumnBlock(depth: min(k, gemmKC), width: min(n, gemmNC), columns: Kernel.columns) : nil
            let packedRows = columnBlock == nil ? rowBlock : roundedUp(m, toMultipleOf: Kernel.rows)
            let packedA = Storage(uninitializedCount: packedRows * gemmKC)
            var packedSlice = -1
            blockedGEMM(
                kernel, m: m, n: n, k: k, rowBlock: rowBlock, columnBlock: columnBlock, packsBSliverBySliver: true,
                packA: { row, col, mc, kc in
                    guard columnBlock != nil else {
                        packA(transA: transA, a: a, lda: lda, row: row, col: col, mc: mc, kc: kc, rows: Kernel.rows, into: packedA.pointer)
                        return UnsafePointer(packedA.pointer)
                    }
                    if col != packedSlice {
                        packA(transA: transA, a: a, lda: lda, row: 0, col: col, mc: m, kc: kc, rows: Kernel.rows, into: packedA.pointer)
                        packedSlice = col
                    }
                    return UnsafePointer(packedA.pointer + row * kc)
                },
                packB: { row, col, kc, nc, dst in
                    packB(transB: transB, b: b, ldb: ldb, row: row, col: col, kc: kc, nc: nc, columns: Kernel.columns, into: dst)
                },
                c: c, ldc: ldc, accumulate: accumulate, streamsC: streamsC)
            withExtendedLifetime(packedA) {}
        }
        if usesWideTiles(m: m, n: n) { run(Microkernel6x64.self) } else { run(Microkernel8x32.self) }
        if streamsC { convbook_store_fence() }
    }

    /// The width of the column blocks in which `blockedGEMM` takes a packed B panel (`depth` ×
    /// `width`) past every block of A, where the panel is larger than half of L2 (1 MB): a
    /// block then stays in L2 from one block of A to the next, where the whole panel came from
    /// L3 for each. Nil where the panel fits. On the 2-core Xeon, the two ways timed in turn in
    /// one process (24 pairs, 3 runs): gemm 2048 1.035–1.037 times as fast (median of the
    /// pairs' ratios), 1024 1.010–1.019; 1 MB blocks against 512 KB ones, 1.00–1.02. Each
    /// block is packed just before it goes by, not the whole panel first, whose last blocks
    /// pushed its first out of L2 before they were used (gemm 1024's 2 MB panels): on the
    /// 2-core Zen 4, gemm 1024 1.000–1.021 and 2048 0.995–1.030 times as fast (medians of
    /// `compare_builds --rounds 7`, two runs), and a thread's packed B 1 MB, not 2–4.
    static func gemmColumnBlock(depth: Int, width: Int, columns: Int) -> Int? {
        guard depth * width > gemmHalfL2 else { return nil }
        return max(columns, gemmHalfL2 / depth / columns * columns)
    }

    /// Whether an m×n product runs in 6×64 tiles: when C has two slivers of 64 columns or more
    /// and its tiles cover at most 5% more than 8×32 ones would. Packing A in 6-row slivers
    /// costs more than in 8-row ones, which only many column slivers pay back; and a ragged
    /// tile computes its whole 6×64 aside. Measured on the 2-core Xeon, old and new timed in
    /// turn in one process: 1.03–1.17 times the 8×32 speed for square products of 256 to 2048,
    /// 1.08 for NiN's 1×1 forward (96 × 2,916); but 0.64 for its weight gradient (96 × 96, 33%
    /// more tiles), 0.94 for GoogLeNet's (192 × 480, 7% more) and 0.91 for a 64 × 64 one.
    static func usesWideTiles(m: Int, n: Int) -> Bool {
        func covered(_ rows: Int, _ columns: Int) -> Int { roundedUp(m, toMultipleOf: rows) * roundedUp(n, toMultipleOf: columns) }
        return n >= 2 * Microkernel6x64.columns
            && Double(covered(Microkernel6x64.rows, Microkernel6x64.columns)) <= 1.05 * Double(covered(gemmMR, gemmNR))
    }

    /// The five loops, with the packing left to the caller:
    /// `packA(row, col, mc, kc)` returns the MR-sliver packing of A[row..<row+mc, col..<col+kc]
    /// (packing it, or pointing into a copy packed once); `packB(row, col, kc, nc, into:)` packs
    /// B[row..<row+kc, col..<col+nc] into NR slivers. Convolution packs straight from images.
    /// `Kernel` sets the tile (MR × NR) and MC (or `rowBlock`, a multiple of MR); the
    /// convolutions' packers pack for the default, `Microkernel8x32`. With
    /// `packsBSliverBySliver`, where all of A is one block and B's panel is large, `packB` is
    /// asked for one sliver at a time, just before the block uses it. With `columnBlock`, each
    /// KC slice's panel is packed and goes by that many columns at a time past all of A's
    /// blocks (`gemmColumnBlock`), and `packA` is asked for each block once per column block: it
    /// should point into a copy packed once. `streamsC`: C's whole tiles are stored past the
    /// caches (64-byte aligned rows; `gemmStreamsC`).
    @inline(__always)
    static func blockedGEMM<Kernel: GEMMMicrokernel>(
        _: Kernel.Type = Microkernel8x32.self, m: Int, n: Int, k: Int, rowBlock: Int? = nil, columnBlock: Int? = nil,
        packsBSliverBySliver: Bool = false,
        packA: (_ row: Int, _ col: Int, _ mc: Int, _ kc: Int) -> UnsafePointer<Float>,
        packB: (_ row: Int, _ col: Int, _ kc: Int, _ nc: Int, _ into: UnsafeMutablePointer<Float>) -> Void,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, streamsC: Bool = false
    ) {
        let MR = Kernel.rows, NR = Kernel.columns, KC = gemmKC, MC = rowBlock ?? Kernel.rowBlock, NC = gemmNC
        // With A in one block, each sliver of B is used once, by that block: where B's panel is
        // larger than half of L2, each sliver is packed right before, into a sliver that stays
        // in cache, instead of with its panel, which would go to memory and come back (VGG's
        // fully connected input gradient: 4 MB panels). Smaller panels stay in L2 anyway, and
        // packing them at once costs less (Winograd's products, 32 to 64 deep).
        let sliverBySliver = packsBSliverBySliver && m <= MC && min(k, KC) * min(n, NC) > gemmHalfL2
        let packedB = Storage(uninitializedCount: KC * (sliverBySliver ? NR : min(columnBlock ?? NC, roundedUp(min(n, NC), toMultipleOf: NR))))
        let edgeTile = Storage(uninitializedCount: MR * NR)

        for jc in stride(from: 0, to: n, by: NC) {                 // 5th loop: NC-wide panels of B and C
            let nc = min(NC, n - jc)
            for pc in stride(from: 0, to: k, by: KC) {             // 4th loop: KC-deep slices of the sum
                let kc = min(KC, k - pc)
                // The first slice overwrites C unless the caller accumulates; later ones add.
                let add = accumulate || pc > 0
                // With `columnBlock`, the panel is packed and goes a column block at a time past
                // every block of A.
                for jb in stride(from: 0, to: nc, by: columnBlock ?? nc) {
                    let columns = jb..<min(jb + (columnBlock ?? nc), nc)
                    if !sliverBySliver { packB(pc, jc + jb, kc, columns.count, packedB.pointer) }
                    for ic in stride(from: 0, to: m, by: MC) {         // 3rd loop: MC-tall blocks of A
                        let mc = min(MC, m - ic)
                        let aBlock = packA(ic, pc, mc, kc)
                        for jr in stride(from: columns.lowerBound, to: columns.upperBound, by: NR) {  // 2nd loop: NR-wide slivers of B
                            let nr = min(NR, nc - jr)
                            if sliverBySliver { packB(pc, jc + jr, kc, nr, packedB.pointer) }
                            let bSliver = UnsafePointer(packedB.pointer + (sliverBySliver ? 0 : (jr - jb) * kc))
                            for ir in stride(from: 0, to: mc, by: MR) {  // 1st loop: MR-tall slivers of A
                                let mr = min(MR, mc - ir)
                                let cTile = c + (ic + ir) * ldc + jc + jr
                                if mr == MR && nr == NR {
                                    Kernel.multiply(kc: kc, a: aBlock + ir * kc, b: bSliver, c: cTile, ldc: ldc, accumulate: add,
                                                    streaming: streamsC && !add)
                                } else {
                                    // Ragged edge: compute the full tile aside, keep the part inside C.
                                    Kernel.multiply(kc: kc, a: aBlock + ir * kc, b: bSliver, c: edgeTile.pointer, ldc: NR, accumulate: false,
                                                    streaming: false)
                                    for r in 0..<mr {
                                        let src = edgeTile.pointer + r * NR, dst = cTile + r * ldc
                                        if add {
                                            for j in 0..<nr { dst[j] += src[j] }
                                        } else {
                                            dst.update(from: src, count: nr)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        withExtendedLifetime((packedB, edgeTile)) {}
    }

    /// All of op(A) packed once, in the order `blockedGEMM` reads it: KC-deep slices one after
    /// another, each holding every MR-sliver of rows. For a matrix used many times, such as a
    /// convolution's weights over a whole batch.
    package struct PackedMatrix {
        let storage: Storage
        let paddedRows: Int

        /// Packed in blocks of `gemmKC` columns, or of the columns `blocks` gives (covering
        /// 0..<k in order); `block(row:col:kc:)` then takes a block's start and length.
        /// `sliverRows`: the rows of the microkernel that will read it (8, or 6 for `Microkernel6x64`).
        package init(transposed: Bool, rows m: Int, columns k: Int, _ a: UnsafePointer<Float>, ld: Int,
                     blocks: [Range<Int>]? = nil, sliverRows: Int = gemmMR) {
            paddedRows = roundedUp(m, toMultipleOf: sliverRows)
            storage = Storage(uninitializedCount: max(paddedRows * k, 1))
            for block in blocks ?? stride(from: 0, to: k, by: gemmKC).map({ $0..<min($0 + gemmKC, k) }) {
                packA(transA: transposed, a: a, lda: ld, row: 0, col: block.lowerBound, mc: m, kc: block.count,
                      rows: sliverRows, into: storage.pointer + block.lowerBound * paddedRows)
            }
        }

        /// The packed block of rows row..<row+mc (row a multiple of MC) and columns pc..<pc+kc,
        /// one of the blocks it was packed in.
        @inline(__always)
        func block(row: Int, col pc: Int, kc: Int) -> UnsafePointer<Float> {
            UnsafePointer(storage.pointer + pc * paddedRows + row * kc)
        }
    }

    /// Packs op(A)[row..<row+mc, col..<col+kc] into MR-tall slivers (MR = `rows`, 8 or 6):
    /// sliver s holds rows s*MR..<s*MR+MR, column by column (MR consecutive floats per column),
    /// zero-padded.
    @inline(__always)
    static func packA(transA: Bool, a: UnsafePointer<Float>, lda: Int, row: Int, col: Int,
                      mc: Int, kc: Int, rows MR: Int = gemmMR, into dst: UnsafeMutablePointer<Float>) {
        if transA {
            packTransposedA(a: a, lda: lda, row: row, col: col, mc: mc, kc: kc, rows: MR, into: dst)
            return
        }
        for ir in stride(from: 0, to: mc, by: MR) {
            let mr = min(MR, mc - ir)
            let sliver = dst + ir * kc
            // 16 columns of 8 rows at a time, transposed in registers: each vector out is two
            // whole columns of an 8-row sliver; of a 6-row one, the first 6 floats of each
            // half (its 8 rows read 2 past the sliver, still inside the block).
            var p = 0
            if mr == MR && ir + 8 <= mc {
                let rows = UnsafeRawPointer(a + (row + ir) * lda + col), rowBytes = lda * 4
                while p + 16 <= kc {
                    let columns = transposed8x16(rows + p * 4, rowBytes: rowBytes)
                    let out = UnsafeMutableRawPointer(sliver + p * MR)
                    if MR == 8 {
                        storeVectors(columns, to: out)
                    } else {
                        storeColumns(columns, count: 16, to: out, columnBytes: MR * 4, length: MR)
                    }
                    p += 16
                }
            }
            packTransposing(a + (row + ir) * lda + col, ld: lda, count: mr, from: p, kc: kc, width: MR, into: sliver)
        }
    }

    /// Floats p..<kc of `count` rows (`ld` apart from `source`) into a sliver of `width` floats
    /// a step, row r in lane r, and zeros in the lanes past `count` at every step: what the
    /// packers leave after their transposes in registers, one float at a time.
    @inline(__always)
    static func packTransposing(_ source: UnsafePointer<Float>, ld: Int, count: Int, from p: Int, kc: Int, width: Int,
                                into sliver: UnsafeMutablePointer<Float>) {
        for r in 0..<count {
            let src = source + r * ld
            for q in p..<kc { sliver[q * width + r] = src[q] }
        }
        if count < width {
            for q in 0..<kc { for r in count..<width { sliver[q * width + r] = 0 } }
        }
    }

    /// `packA` of a transposed A (stored k×m: op(A)'s column p is A's row col + p, and each
    /// sliver takes MR floats of it). Eight of A's rows at a time, every sliver in turn, so
    /// that the rows stay in L1 while all the slivers read them: a sliver at a time down all kc
    /// rows read rows lda apart (4 KB in gemm 1024: all in one set of L1's), and the next
    /// sliver read them again from further out.
    @inline(__always)
    static func packTransposedA(a: UnsafePointer<Float>, lda: Int, row: Int, col: Int, mc: Int, kc: Int, rows MR: Int,
                                into dst: UnsafeMutablePointer<Float>) {
        for p in stride(from: 0, to: kc, by: 8) {
            let depth = min(8, kc - p)
            for ir in stride(from: 0, to: mc, by: MR) {
                let mr = min(MR, mc - ir)
                for q in p..<p + depth {
                    let src = a + (col + q) * lda + row + ir, out = dst + ir * kc + q * MR
                    if mr == 8 && MR == 8 {
                        UnsafeMutableRawPointer(out).storeBytes(of: UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                    } else if mr == 6 && MR == 6 {
                        UnsafeMutableRawPointer(out).storeBytes(of: UnsafeRawPointer(src).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(out + 4).storeBytes(of: UnsafeRawPointer(src + 4).loadUnaligned(as: SIMD2<Float>.self), as: SIMD2<Float>.self)
                    } else {
                        for r in 0..<mr { out[r] = src[r] }
                        for r in mr..<MR { out[r] = 0 }
                    }
                }
            }
        }
    }

    /// Packs op(B)[row..<row+kc, col..<col+nc] into NR-wide slivers (NR = `columns`, 32 or 64):
    /// sliver s holds columns s*NR..<s*NR+NR, row by row (NR consecutive floats per row),
    /// zero-padded.
    @inline(__always)
    static func packB(transB: Bool, b: UnsafePointer<Float>, ldb: Int, row: Int, col: Int,
                      kc: Int, nc: Int, columns NR: Int = gemmNR, into dst: UnsafeMutablePointer<Float>) {
        for jr in stride(from: 0, to: nc, by: NR) {
            let nr = min(NR, nc - jr)
            let sliver = dst + jr * kc
            if transB {
                // B is stored n×k: one column of op(B) is contiguous. 8 columns by 16 rows at a
                // time, transposed in registers: each vector out is 8 floats of two rows.
                var p = 0
                if nr == NR {
                    while p + 16 <= kc {
                        for j in stride(from: 0, to: NR, by: 8) {
                            let rows = transposed8x16(UnsafeRawPointer(b + (col + jr + j) * ldb + row + p), rowBytes: ldb * 4)
                            let out = UnsafeMutableRawPointer(sliver + p * NR + j)
                            @inline(__always) func put(_ m: Int, _ v: SIMD16<Float>) {
                                out.storeBytes(of: v.lowHalf, toByteOffset: 2 * m * NR * 4, as: SIMD8<Float>.self)
                                out.storeBytes(of: v.highHalf, toByteOffset: (2 * m + 1) * NR * 4, as: SIMD8<Float>.self)
                            }
                            put(0, rows.0); put(1, rows.1); put(2, rows.2); put(3, rows.3)
                            put(4, rows.4); put(5, rows.5); put(6, rows.6); put(7, rows.7)
                        }
                        p += 16
                    }
                }
                packTransposing(b + (col + jr) * ldb + row, ld: ldb, count: nr, from: p, kc: kc, width: NR, into: sliver)
            } else if nr == NR {
                for p in 0..<kc {
                    let src = UnsafeRawPointer(b + (row + p) * ldb + col + jr)
                    let out = UnsafeMutableRawPointer(sliver + p * NR)
                    for v in stride(from: 0, to: NR * 4, by: 64) {
                        out.storeBytes(of: src.loadUnaligned(fromByteOffset: v, as: SIMD16<Float>.self), toByteOffset: v, as: SIMD16<Float>.self)
                    }
                }
            } else {
                for p in 0..<kc {
                    let src = b + (row + p) * ldb + col + jr
                    let out = sliver + p * NR
                    for j in 0..<nr { out[j] = src[j] }
                    for j in nr..<NR { out[j] = 0 }
                }
            }
        }
    }

    /// The 8×16 block of floats at `p` (rows `rowBytes` apart) transposed: vector j holds
    /// column 2j of the 8 rows, then column 2j + 1. Four rounds of splitting the 128 floats into
    /// even and odd places (vpermt2ps) turn index (row, column) into (column, row).
    @inline(__always)
    static func transposed8x16(_ p: UnsafeRawPointer, rowBytes: Int) -> Vectors8 {
        typealias V = SIMD16<Float>
        @inline(__always) func row(_ r: Int) -> V { p.loadUnaligned(fromByteOffset: r &* rowBytes, as: V.self) }
        var v = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
        for _ in 0..<4 {
            v = (V(lowHalf: v.0.evenHalf, highHalf: v.1.evenHalf), V(lowHalf: v.2.evenHalf, highHalf: v.3.evenHalf),
                 V(lowHalf: v.4.evenHalf, highHalf: v.5.evenHalf), V(lowHalf: v.6.evenHalf, highHalf: v.7.evenHalf),
                 V(lowHalf: v.0.oddHalf, highHalf: v.1.oddHalf), V(lowHalf: v.2.oddHalf, highHalf: v.3.oddHalf),
                 V(lowHalf: v.4.oddHalf, highHalf: v.5.oddHalf), V(lowHalf: v.6.oddHalf, highHalf: v.7.oddHalf))
        }
        return v
    }

    typealias Vectors8 = (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>,
                          SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)

    /// Stores 8 vectors one after another at `p`.
    @inline(__always)
    static func storeVectors(_ v: Vectors8, to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: v.0, toByteOffset: 0, as: SIMD16<Float>.self); p.storeBytes(of: v.1, toByteOffset: 64, as: SIMD16<Float>.self)
        p.storeBytes(of: v.2, toByteOffset: 128, as: SIMD16<Float>.self); p.storeBytes(of: v.3, toByteOffset: 192, as: SIMD16<Float>.self)
        p.storeBytes(of: v.4, toByteOffset: 256, as: SIMD16<Float>.self); p.storeBytes(of: v.5, toByteOffset: 320, as: SIMD16<Float>.self)
        p.storeBytes(of: v.6, toByteOffset: 384, as: SIMD16<Float>.self); p.storeBytes(of: v.7, toByteOffset: 448, as: SIMD16<Float>.self)
    }

    /// One 8×32 tile of C from an 8-row sliver of packed A and a 32-column sliver of packed B:
    /// sixteen 16-lane accumulators stay in registers for the whole kc-long sum, and each step
    /// is one broadcast of an A value and two fused multiply-adds per row.
    @inline(__always)
    static func microkernel8x32(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, streaming: Bool = false) {
        let packed = UnsafeRawPointer(b)
        microkernel8x32(kc: kc, a: a, c: c, ldc: ldc, accumulate: accumulate, streaming: streaming, secondHalf: 64) {
            packed + $0 &* 128
        }
    }

    /// The microkernel with B wherever it is: step q reads 16 floats at `b(q)` and 16 more
    /// `secondHalf` bytes further. Packed panels put them side by side; the direct convolution
    /// reads them from the image itself. `Tile6x32` sums the first 6 rows of A only.
    @inline(__always)
    static func microkernel8x32<Tile: PairedVectorTile>(
        _: Tile.Type = Tile8x32.self, kc: Int, a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool, streaming: Bool = false, secondHalf: Int, b: (Int) -> UnsafeRawPointer
    ) {
        var tile = Tile()
        var ap = a
        for q in 0..<kc {
            let bp = b(q)
            tile.addOuterProduct((ap[0], ap[1], ap[2], ap[3], ap[4], ap[5], ap[6], ap[7]),
                                 bp.loadUnaligned(as: Tile8x32.V.self),
                                 bp.loadUnaligned(fromByteOffset: secondHalf, as: Tile8x32.V.self))
            ap += 8
        }
        if streaming {
            tile.storeStreaming(to: c, ld: ldc)
        } else {
            tile.store(to: UnsafeMutableRawPointer(c), rowBytes: ldc &* 4, adding: accumulate)
        }
    }
}

extension Kernels {
    /// One 6×64 tile of C from a 6-row sliver of packed A and a 64-column sliver of packed B,
    /// 24 sums in registers: each step broadcasts 6 values of A for 24 fused multiply-adds.
    /// C's tile is asked for first, to be in cache when the sums are stored; or, `streaming`,
    /// stored past the caches (64-byte aligned rows).
    @inline(never) @_optimize(size)
    static func microkernel6x64(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, streaming: Bool) {
        if !streaming { prefetchForWriting(UnsafeRawPointer(c), rows: 6, rowBytes: ldc &* 4, bytes: 256) }
        var tile = Tile6x64()
        var ap = a
        let packed = UnsafeRawPointer(b)
        for q in 0..<kc {
            tile.addOuterProduct((ap[0], ap[1], ap[2], ap[3], ap[4], ap[5]), packed, at: q &* 256)
            ap += 6
        }
        if streaming {
            tile.storeStreaming(to: c, ld: ldc)
        } else {
            tile.store(to: UnsafeMutableRawPointer(c), rowBytes: ldc &* 4, adding: accumulate)
        }
    }

    /// Asks the cache for `rows` rows of `bytes` bytes at `p`, `rowBytes` apart, to be written:
    /// a tile of C that a microkernel will store at the end of its sum. The rows of a large C
    /// are far apart, where the hardware prefetcher does not look, and would otherwise come
    /// from memory one by one at the store.
    @inline(__always)
    static func prefetchForWriting(_ p: UnsafeRawPointer, rows: Int, rowBytes: Int, bytes: Int) {
        for r in 0..<rows {
            for offset in stride(from: 0, to: bytes, by: 64) { convbook_prefetch_for_writing(p + (r &* rowBytes &+ offset)) }
        }
    }
}

/// The smallest multiple of `step` that is `value` or more (rows padded to whole slivers).
@inline(__always)
func roundedUp(_ value: Int, toMultipleOf step: Int) -> Int { (value + step - 1) / step * step }

/// The register tile of a `blockedGEMM`: MR (`rows`) by NR (`columns`), and MC (`rowBlock`, a
/// multiple of MR), the rows of A packed at a time.
protocol GEMMMicrokernel {
    static var rows: Int { get }
    static var columns: Int { get }
    static var rowBlock: Int { get }
    /// One tile: C (+)= A's sliver · B's sliver; `streaming` (not with `accumulate`), stored
    /// past the caches, C's rows 64-byte aligned.
    static func multiply(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                         ldc: Int, accumulate: Bool, streaming: Bool)
}

/// 8 × 32: the tile the convolutions' packers pack for.
enum Microkernel8x32: GEMMMicrokernel {
    static var rows: Int { Kernels.gemmMR }
    static var columns: Int { Kernels.gemmNR }
    static var rowBlock: Int { Kernels.gemmMC }
    @inline(__always)
    static func multiply(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                         ldc: Int, accumulate: Bool, streaming: Bool) {
        Kernels.microkernel8x32(kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, streaming: streaming)
    }
}

/// 6 × 64, for `gemm`: 6 broadcasts a step for 24 multiply-adds instead of 8 for 16.
enum Microkernel6x64: GEMMMicrokernel {
    static var rows: Int { 6 }
    static var columns: Int { 64 }
    static var rowBlock: Int { 120 }
    @inline(__always)
    static func multiply(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                         ldc: Int, accumulate: Bool, streaming: Bool) {
        Kernels.microkernel6x64(kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, streaming: streaming)
    }
}

/// 6 rows of 64 lanes, each as four 16-lane vectors: 24 of the 32 vector registers, for GEMM's
/// 6×64 microkernel and channelLanes' 6×64 tiles. A step broadcasts 6 values for 24
/// multiply-adds, where `Tile8x32` broadcasts 8 for 16.
struct Tile6x64 {
    typealias V = SIMD16<Float>
    var c00 = V(), c01 = V(), c02 = V(), c03 = V(), c10 = V(), c11 = V(), c12 = V(), c13 = V()
    var c20 = V(), c21 = V(), c22 = V(), c23 = V(), c30 = V(), c31 = V(), c32 = V(), c33 = V()
    var c40 = V(), c41 = V(), c42 = V(), c43 = V(), c50 = V(), c51 = V(), c52 = V(), c53 = V()

    @inline(__always) init() {}

    /// Adds a · the 64 floats at `rows + at`: row r gains a.r times them, one broadcast and
    /// four fused multiply-adds per row.
    @inline(__always)
    mutating func addOuterProduct(_ a: (Float, Float, Float, Float, Float, Float), _ rows: UnsafeRawPointer, at: Int) {
        let b0 = rows.loadUnaligned(fromByteOffset: at, as: V.self), b1 = rows.loadUnaligned(fromByteOffset: at &+ 64, as: V.self)
        let b2 = rows.loadUnaligned(fromByteOffset: at &+ 128, as: V.self), b3 = rows.loadUnaligned(fromByteOffset: at &+ 192, as: V.self)
        var v = V(repeating: a.0); c00.addProduct(v, b0); c01.addProduct(v, b1); c02.addProduct(v, b2); c03.addProduct(v, b3)
        v = V(repeating: a.1); c10.addProduct(v, b0); c11.addProduct(v, b1); c12.addProduct(v, b2); c13.addProduct(v, b3)
        v = V(repeating: a.2); c20.addProduct(v, b0); c21.addProduct(v, b1); c22.addProduct(v, b2); c23.addProduct(v, b3)
        v = V(repeating: a.3); c30.addProduct(v, b0); c31.addProduct(v, b1); c32.addProduct(v, b2); c33.addProduct(v, b3)
        v = V(repeating: a.4); c40.addProduct(v, b0); c41.addProduct(v, b1); c42.addProduct(v, b2); c43.addProduct(v, b3)
        v = V(repeating: a.5); c50.addProduct(v, b0); c51.addProduct(v, b1); c52.addProduct(v, b2); c53.addProduct(v, b3)
    }

    /// Writes the sums to `p` past the caches, row r at `r · ld` floats (64-byte aligned).
    @inline(__always) func storeStreaming(to p: UnsafeMutablePointer<Float>, ld: Int) {
        @inline(__always) func row(_ r: Int, _ v0: V, _ v1: V, _ v2: V, _ v3: V) {
            let at = p + r &* ld
            convbook_store_streaming(at, v0); convbook_store_streaming(at + 16, v1)
            convbook_store_streaming(at + 32, v2); convbook_store_streaming(at + 48, v3)
        }
        row(0, c00, c01, c02, c03); row(1, c10, c11, c12, c13); row(2, c20, c21, c22, c23)
        row(3, c30, c31, c32, c33); row(4, c40, c41, c42, c43); row(5, c50, c51, c52, c53)
    }

    /// Writes the sums to `p` (or adds them to what is there), row r at `r · rowBytes`.
    @inline(__always) func store(to p: UnsafeMutableRawPointer, rowBytes: Int, adding: Bool) {
        @inline(__always) func row(_ r: Int, _ v0: V, _ v1: V, _ v2: V, _ v3: V) {
            let at = r &* rowBytes
            @inline(__always) func put(_ offset: Int, _ v: V) {
                p.storeBytes(of: adding ? p.loadUnaligned(fromByteOffset: at &+ offset, as: V.self) + v : v,
                             toByteOffset: at &+ offset, as: V.self)
            }
            put(0, v0); put(64, v1); put(128, v2); put(192, v3)
        }
        row(0, c00, c01, c02, c03); row(1, c10, c11, c12, c13); row(2, c20, c21, c22, c23)
        row(3, c30, c31, c32, c33); row(4, c40, c41, c42, c43); row(5, c50, c51, c52, c53)
    }
}

/// A register tile of rows of 32 lanes, as two 16-lane vectors, that adds the outer product of
/// up to 8 values and one row of 32 at each step.
protocol PairedVectorTile {
    init()
    mutating func addOuterProduct(_ a: (Float, Float, Float, Float, Float, Float, Float, Float), _ b0: SIMD16<Float>, _ b1: SIMD16<Float>)
    func store(to p: UnsafeMutableRawPointer, rowBytes: Int, adding: Bool)
    func storeStreaming(to p: UnsafeMutablePointer<Float>, ld: Int)
}

/// The 8×32 block of sums that GEMM's microkernel and the convolutions' tiles keep in registers
/// (16 of Zen 4's 32 vector registers): row r is (c[r]0, c[r]1), 32 lanes.
typealias Tile8x32 = Tile32<EightRows>
/// Its first 6 rows, for the direct convolution's blocks of 6 output channels or fewer (LeNet's
/// 6), where the 8-row tile would multiply zeros in a quarter of its rows.
typealias Tile6x32 = Tile32<SixRows>

/// How many rows a `Tile32` sums: 8, or the first 6 (rows 6 and 7 are then never touched, and
/// the compiler keeps no registers for them).
protocol TileRows { static var count: Int { get } }
enum EightRows: TileRows { static var count: Int { 8 } }
enum SixRows: TileRows { static var count: Int { 6 } }

/// Rows of 32 lanes, each as two 16-lane vectors.
struct Tile32<Rows: TileRows>: PairedVectorTile {
    /// Adds a · the 32 floats `at` bytes into `rows`.
    @inline(__always)
    mutating func addOuterProduct(_ a: (Float, Float, Float, Float, Float, Float, Float, Float), _ rows: UnsafeRawPointer, at: Int) {
        addOuterProduct(a, rows.loadUnaligned(fromByteOffset: at, as: V.self), rows.loadUnaligned(fromByteOffset: at &+ 64, as: V.self))
    }

    typealias V = SIMD16<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
    var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()

    @inline(__always) init() {}

    /// Adds a · (b0, b1): row r gains a.r times the 32 values, one broadcast and two fused
    /// multiply-adds per row.
    @inline(__always)
    mutating func addOuterProduct(_ a: (Float, Float, Float, Float, Float, Float, Float, Float), _ b0: V, _ b1: V) {
        var av = V(repeating: a.0); c00.addProduct(av, b0); c01.addProduct(av, b1)
        av = V(repeating: a.1); c10.addProduct(av, b0); c11.addProduct(av, b1)
        av = V(repeating: a.2); c20.addProduct(av, b0); c21.addProduct(av, b1)
        av = V(repeating: a.3); c30.addProduct(av, b0); c31.addProduct(av, b1)
        av = V(repeating: a.4); c40.addProduct(av, b0); c41.addProduct(av, b1)
        av = V(repeating: a.5); c50.addProduct(av, b0); c51.addProduct(av, b1)
        guard Rows.count == 8 else { return }
        av = V(repeating: a.6); c60.addProduct(av, b0); c61.addProduct(av, b1)
        av = V(repeating: a.7); c70.addProduct(av, b0); c71.addProduct(av, b1)
    }

    /// Writes the sums to `p` (or adds them to what is there), row r at `r · rowBytes`.
    @inline(__always) func store(to p: UnsafeMutableRawPointer, rowBytes: Int, adding: Bool = false) {
        @inline(__always) func row(_ r: Int, _ lo: V, _ hi: V) {
            let at = r &* rowBytes
            if adding {
                p.storeBytes(of: p.loadUnaligned(fromByteOffset: at, as: V.self) + lo, toByteOffset: at, as: V.self)
                p.storeBytes(of: p.loadUnaligned(fromByteOffset: at &+ 64, as: V.self) + hi, toByteOffset: at &+ 64, as: V.self)
            } else {
                p.storeBytes(of: lo, toByteOffset: at, as: V.self)
                p.storeBytes(of: hi, toByteOffset: at &+ 64, as: V.self)
            }
        }
        row(0, c00, c01); row(1, c10, c11); row(2, c20, c21); row(3, c30, c31); row(4, c40, c41); row(5, c50, c51)
        guard Rows.count == 8 else { return }
        row(6, c60, c61); row(7, c70, c71)
    }

    /// Writes the sums to `p` past the caches, row r at `r · ld` floats (64-byte aligned).
    @inline(__always) func storeStreaming(to p: UnsafeMutablePointer<Float>, ld: Int) {
        @inline(__always) func row(_ r: Int, _ lo: V, _ hi: V) {
            let at = p + r &* ld
            convbook_store_streaming(at, lo); convbook_store_streaming(at + 16, hi)
        }
        row(0, c00, c01); row(1, c10, c11); row(2, c20, c21); row(3, c30, c31); row(4, c40, c41); row(5, c50, c51)
        guard Rows.count == 8 else { return }
        row(6, c60, c61); row(7, c70, c71)
    }
}

/// Half of `Tile8x32`: 8 rows of 16 lanes, for 16 output channels or fewer (LeNet's second
/// convolution), where the 32-lane tile would multiply zeros in half its lanes.
struct Tile8x16 {
    typealias V = SIMD16<Float>
    var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()

    @inline(__always) init() {}

    @inline(__always)
    mutating func addOuterProduct(_ a: (Float, Float, Float, Float, Float, Float, Float, Float), _ rows: UnsafeRawPointer, at: Int) {
        let b = rows.loadUnaligned(fromByteOffset: at, as: V.self)
        c0.addProduct(V(repeating: a.0), b); c1.addProduct(V(repeating: a.1), b)
        c2.addProduct(V(repeating: a.2), b); c3.addProduct(V(repeating: a.3), b)
        c4.addProduct(V(repeating: a.4), b); c5.addProduct(V(repeating: a.5), b)
        c6.addProduct(V(repeating: a.6), b); c7.addProduct(V(repeating: a.7), b)
    }

    /// Adds another tile's sums to these.
    @inline(__always) mutating func add(_ other: Tile8x16) {
        c0 += other.c0; c1 += other.c1; c2 += other.c2; c3 += other.c3
        c4 += other.c4; c5 += other.c5; c6 += other.c6; c7 += other.c7
    }

    @inline(__always) func store(to p: UnsafeMutableRawPointer, rowBytes: Int, adding: Bool) {
        @inline(__always) func row(_ r: Int, _ v: V) {
            let at = r &* rowBytes
            p.storeBytes(of: adding ? p.loadUnaligned(fromByteOffset: at, as: V.self) + v : v, toByteOffset: at, as: V.self)
        }
        row(0, c0); row(1, c1); row(2, c2); row(3, c3); row(4, c4); row(5, c5); row(6, c6); row(7, c7)
    }
}

