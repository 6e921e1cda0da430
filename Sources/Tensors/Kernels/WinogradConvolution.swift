/// A 3×3 stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3): 16 multiplications
/// for a 2×2 block of outputs where the plain sums take 36 (Lavin and Gray, "Fast Algorithms for
/// Convolutional Neural Networks", 2015).
///
/// Cut the output into 2×2 tiles; tile t reads a 4×4 patch d of the zero-padded image (its
/// patches overlap by 2). For one input channel c and output channel o,
///
///     y_tile = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A        (⊙: element by element, 4×4)
///
///     Bᵀ = | 1  0 −1  0 |     G = | 1    0    0  |     Aᵀ = | 1  1  1  0 |
///          | 0  1  1  0 |         | ½    ½    ½  |          | 0  1 −1 −1 |
///          | 0 −1  1  0 |         | ½   −½    ½  |
///          | 0  1  0 −1 |         | 0    0    1  |
///
/// and the sum over c goes inside the brackets, since Aᵀ(·)A is linear: for each of the 16
/// places ξ of the 4×4, M_ξ[o, t] = Σ_c U_ξ[o, c] · V_ξ[c, t] is a matrix product, with
/// U = G g Gᵀ (the weights, transformed once) and V = Bᵀ d B (the patches). So a layer is:
/// transform the patches, run 16 GEMMs of O × C by C × tiles, transform the 16 results back.
/// The GEMMs do 16/36 of the plain multiply-adds; the transforms add a few adds per value.
///
/// Each output is a sum in an order set by the sizes alone (the GEMM's, over C, for each ξ;
/// then Aᵀ·A's fixed adds), so the bits are the same for every thread count. The rounding
/// differs from the plain sums (each output combines 16 sums of transformed values; G's halves
/// are exact), but on the test cases its worst error was that of channelLanes
/// (`ConvolutionTests.tolerance`).
extension Kernels {
    /// Output tiles per chunk, about: a thread transforms a chunk's patches, runs its 16 GEMMs
    /// and writes its outputs before the next, so that the transformed patches and products
    /// (16 · (C + O) floats a tile) stay near the cores. The chunks come in a multiple of the
    /// thread count, so that each thread has as many. (The bits do not depend on the chunks: each
    /// output's sums run over C in the GEMM's order, whatever its columns.)
    static let winogradChunkTiles = 256

    /// x is (N, C, H, W), weight is (O, C, 3, 3), bias is (O) or nil; writes y, (N, O, OH, OW).
    static func conv2dForwardWinograd(
        x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        precondition(g.window.size == 3 && g.window.stride == 1, "Winograd F(2×2, 3×3) needs a 3×3 window with stride 1")
        let (c, o) = (g.input.c, g.outChannels)
        let tiles = WinogradTiles(g)
        guard tiles.count > 0 else { return }
        let transformed = winogradWeights(weight, outChannels: o, inChannels: c, threads: threads)

        let perThread = (tiles.count + winogradChunkTiles * threads - 1) / (winogradChunkTiles * threads)
        let chunks = Parallel.split(tiles.count, parts: perThread * threads)
        let width = chunks.map(\.count).max() ?? 0
        // Each place's U packed once for the GEMM's microkernel, for every chunk and thread.
        func run<Kernel: GEMMMicrokernel>(_: Kernel.Type) {
            let packed = (0..<16).map { place in
                PackedMatrix(transposed: false, rows: o, columns: c, transformed.pointer + place * o * c, ld: c,
                             sliverRows: Kernel.rows)
            }
            let shares = Parallel.split(chunks.count, parts: threads)
            Parallel.run(shares.count) { t in
                let patches = Storage(uninitializedCount: 16 * WinogradTiles.placeFloats(rows: c, tiles: width))
                let products = Storage(uninitializedCount: 16 * WinogradTiles.placeFloats(rows: o, tiles: width))
                let scratch = Storage(zeros: tiles.paddedPlane)
                for chunk in shares[t].map({ chunks[$0] }) {
                    let n = chunk.count
                    tiles.transformPatches(of: x, chunk, scratch: scratch.pointer, into: patches.pointer)
                    for place in 0..<16 {
                        let v = patches.pointer + place * WinogradTiles.placeFloats(rows: c, tiles: n)
                        blockedGEMM(Kernel.self, m: o, n: n, k: c,
                                    packA: { row, col, _, kc in packed[place].block(row: row, col: col, kc: kc) },
                                    packB: { row, col, kc, nc, into in
                                        packB(transB: false, b: v, ldb: n, row: row, col: col, kc: kc, nc: nc,
                                              columns: Kernel.columns, into: into)
                                    },
                                    c: products.pointer + place * WinogradTiles.placeFloats(rows: o, tiles: n), ldc: n,
                                    accumulate: false)
                    }
                    tiles.transformProducts(products.pointer, chunk, outChannels: o, bias: bias, into: y)
                }
                withExtendedLifetime((patches, products, scratch)) {}
            }
            withExtendedLifetime(packed) {}
        }
        if usesWideTiles(m: o, n: width) { run(Microkernel6x64.self) } else { run(Microkernel8x32.self) }
        withExtendedLifetime(transformed) {}
    }

    /// U = G g Gᵀ for every (o, c): [place ξ][o][c], each ξ an O × C matrix.
    static func winogradWeights(_ weight: UnsafePointer<Float>, outChannels o: Int, inChannels c: Int, threads: Int) -> Storage {
        let u = Storage(uninitializedCount: 16 * o * c)
        Parallel.forRanges(o, threads: threads, grain: 16) { outputs in
            for oc in outputs {
                for ic in 0..<c {
                    let k = weight + (oc * c + ic) * 9
                    // G g, a column of 4 for each of g's 3 columns; then each row of that
                    // times Gᵀ, 4 values.
                    func g(_ a: Float, _ b: Float, _ d: Float) -> SIMD4<Float> { SIMD4(a, 0.5 * (a + b + d), 0.5 * (a - b + d), d) }
                    let columns = (g(k[0], k[3], k[6]), g(k[1], k[4], k[7]), g(k[2], k[5], k[8]))
                    for i in 0..<4 {
                        let row = g(columns.0[i], columns.1[i], columns.2[i])
                        for j in 0..<4 { u.pointer[((i * 4 + j) * o + oc) * c + ic] = row[j] }
                    }
                }
            }
        }
        return u
    }
}

/// The 2×2 output tiles of a 3×3 stride-1 convolution over a batch, numbered image by image,
/// row by row, and the transforms in and out of Winograd's 4×4 domain for a range of them.
struct WinogradTiles {
    let g: ConvGeometry
    /// Tiles per row and per column of an image's output, and per image.
    let across: Int, down: Int, perImage: Int
    var count: Int { g.input.n * perImage }

    init(_ g: ConvGeometry) {
        self.g = g
        across = (g.outputWidth + 1) / 2
        down = (g.outputHeight + 1) / 2
        perImage = g.outputHeight > 0 && g.outputWidth > 0 ? across * down : 0
    }

    /// `transformPatches`' scratch plane: one image channel zero-padded to the tiles' patches,
    /// (2 · down + 2) rows of `paddedWidth` floats.
    var paddedWidth: Int { 2 * across + 2 }
    var paddedPlane: Int { (2 * down + 2) * paddedWidth }

    /// V = Bᵀ d B of every input channel for the tiles `range`: [place ξ][channel][tile],
    /// `range.count` tiles a row. d is the 4×4 patch at (2·ty − p, 2·tx − p), zero outside x:
    /// each image channel is first copied into `scratch` (`paddedPlane` floats, zero on entry),
    /// so that every patch is 4 rows read whole.
    func transformPatches(of x: UnsafePointer<Float>, _ range: Range<Int>, scratch: UnsafeMutablePointer<Float>,
                          into v: UnsafeMutablePointer<Float>) {
        let (c, h, w, p) = (g.input.c, g.input.h, g.input.w, g.window.padding)
        let n = range.count, placeFloats = Self.placeFloats(rows: c, tiles: n), paddedWidth = paddedWidth
        for ic in 0..<c {
            for image in range.lowerBound / perImage...(range.upperBound - 1) / perImage {
                let plane = x + (image * c + ic) * g.input.plane
                for iy in 0..<h { Kernels.copyFloats(w, from: plane + iy * w, to: scratch + (iy + p) * paddedWidth + p) }
                let inImage = max(range.lowerBound, image * perImage)..<min(range.upperBound, (image + 1) * perImage)
                var at = position(of: inImage.lowerBound)
                for tile in inImage {
                    let patch = UnsafeRawPointer(scratch + 2 * at.ty * paddedWidth + 2 * at.tx)
                    func row(_ r: Int) -> SIMD4<Float> { patch.loadUnaligned(fromByteOffset: r * paddedWidth * 4, as: SIMD4<Float>.self) }
                    let (d0, d1, d2, d3) = (row(0), row(1), row(2), row(3))
                    // Bᵀ d combines the rows; (Bᵀ d) B the same way each row's 4 values.
                    let rows = (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
                    let out = v + ic * n + (tile - range.lowerBound)
                    func store(_ r: SIMD4<Float>, _ i: Int) {
                        let at = out + i * 4 * placeFloats
                        at[0] = r[0] - r[2]
                        at[placeFloats] = r[1] + r[2]
                        at[2 * placeFloats] = r[2] - r[1]
                        at[3 * placeFloats] = r[1] - r[3]
                    }
                    store(rows.0, 0)
                    store(rows.1, 1)
                    store(rows.2, 2)
                    store(rows.3, 3)
                    advance(&at)
                }
            }
        }
    }

    /// Floats from one place ξ's matrix (`rows` × `tiles`) to the next: 16 more than it holds,
    /// so that the 16 places, written side by side, do not start on the same cache sets (with
    /// 384 rows of 256 tiles each is a multiple of 4 KB).
    static func placeFloats(rows: Int, tiles: Int) -> Int { rows * tiles + 16 }

    /// Tile `index`'s image and place in its image's rows of tiles.
    func position(of index: Int) -> (image: Int, ty: Int, tx: Int) {
        let (image, inImage) = index.quotientAndRemainder(dividingBy: perImage)
        let (ty, tx) = inImage.quotientAndRemainder(dividingBy: across)
        return (image, ty, tx)
    }

    /// The next tile's position.
    @inline(__always)
    func advance(_ at: inout (image: Int, ty: Int, tx: Int)) {
        at.tx += 1
        if at.tx == across {
            at.tx = 0
            at.ty += 1
            if at.ty == down { at.ty = 0; at.image += 1 }
        }
    }

    /// y = Aᵀ M A + bias for the tiles `range`, from the products M, [place ξ][o][tile]
    /// (`range.count` tiles a row); a tile's outputs past the plane's last row or column are
    /// not written.
    func transformProducts(_ m: UnsafePointer<Float>, _ range: Range<Int>, outChannels o: Int, bias: UnsafePointer<Float>?,
                           into y: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        let n = range.count, placeFloats = Self.placeFloats(rows: o, tiles: n)
        for oc in 0..<o {
            let b = bias?[oc] ?? 0
            var at = position(of: range.lowerBound)
            for column in 0..<n {
                let (image, ty, tx) = at
                advance(&at)
                func row(_ i: Int) -> SIMD4<Float> {
                    let at = m + i * 4 * placeFloats + oc * n + column
                    return SIMD4(at[0], at[placeFloats], at[2 * placeFloats], at[3 * placeFloats])
                }
                let (m0, m1, m2, m3) = (row(0), row(1), row(2), row(3))
                // Aᵀ M: 2 rows of 4; then (Aᵀ M) A: 2 values of each.
                let (r0, r1) = (m0 + m1 + m2, m1 - m2 - m3)
                let top = SIMD2(r0[0] + r0[1] + r0[2], r0[1] - r0[2] - r0[3]) + b
                let bottom = SIMD2(r1[0] + r1[1] + r1[2], r1[1] - r1[2] - r1[3]) + b
                let plane = y + (image * o + oc) * oh * ow
                let (oy, ox) = (2 * ty, 2 * tx)
                plane[oy * ow + ox] = top[0]
                if ox + 1 < ow { plane[oy * ow + ox + 1] = top[1] }
                if oy + 1 < oh {
                    plane[(oy + 1) * ow + ox] = bottom[0]
                    if ox + 1 < ow { plane[(oy + 1) * ow + ox + 1] = bottom[1] }
                }
            }
        }
    }
}
