import CPrefetch

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
/// A 5×5 kernel goes the same way by F(2×2, 5×5): 6×6 patches (overlapping by 4), 36 places ξ,
/// so 36 GEMMs doing 36/100 of the plain multiply-adds, with Bᵀ, G and Aᵀ interpolating at 0,
/// ±1, ±2 and infinity (`Patches6x6`'s `inputTransform`, `weightTransform`, `outputTransform`). Its
/// transforms multiply by up to 5 and divide by up to 24, so it rounds more than F(2×2, 3×3)
/// (`ConvolutionTests.tolerance`). It has the forward and, as a forward, the input gradient;
/// the weight gradient is the 3×3 one's alone.
///
/// A 3×3 layer's passes on planes that 4×4 tiles cover well go by F(4×4, 3×3)
/// (`WinogradTiles.outputTile`; the weight gradient too): 6×6 patches 4 apart, the same Bᵀ as F(2×2, 5×5), 36
/// GEMMs doing 36/144 of the plain multiply-adds (F(2×2, 3×3): 16/36), and fewer transformed
/// values an output, 36/16 against 16/4 (`Patches6x6Of3x3`). It rounds about as F(2×2, 5×5) does.
/// Against F(2×2, 3×3) in the same build (`bench --rounds 3 --chosen-only`, the two tiles
/// alternating, two runs each, 2-core Xeon), forward and input gradient ran at 1.37–1.41 and
/// 1.31–1.32 times its speed for VGG's 32 → 64 at 56², 1.31–1.36 and 1.28–1.29 for its 64 → 128
/// at 28², 1.23–1.26 and 1.21–1.26 for AlexNet's 384 → 384 at 12².
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
    /// output's sums run over C in the GEMM's order, whatever its columns.) The weight
    /// gradient, whose sums run over the tiles, takes chunks of exactly this many, whatever the
    /// thread count. 4×4 tiles, whose patches hold 36 places, take half as many
    /// (`WinogradTiles.chunkTiles`).
    static let winogradChunkTiles = 256

    /// x is (N, C, H, W), weight is (O, C, 3, 3), bias is (O) or nil; writes y, (N, O, OH, OW).
    static func conv2dForwardWinograd(
        x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        precondition((g.window.size == 3 || g.window.size == 5) && g.window.stride == 1,
                     "Winograd's forward needs a 3×3 or 5×5 window with stride 1")
        let (c, o) = (g.input.c, g.outChannels)
        let tiles = WinogradTiles(g, outputTile: WinogradTiles.outputTile(g))
        guard tiles.count > 0 else { return }
        let places = tiles.places
        let transformed = tiles.transformWeights(weight, outChannels: o, inChannels: c, threads: threads)

        let chunkTiles = tiles.chunkTiles
        let perThread = (tiles.count + chunkTiles * threads - 1) / (chunkTiles * threads)
        let chunks = Parallel.split(tiles.count, parts: perThread * threads)
        let width = chunks.map(\.count).max() ?? 0
        // Each place's U packed once for the GEMM's microkernel, for every chunk and thread.
        func run<Kernel: GEMMMicrokernel>(_: Kernel.Type) {
            let packed = (0..<places).map { place in
                PackedMatrix(transposed: false, rows: o, columns: c, transformed.pointer + place * o * c, ld: c,
                             sliverRows: Kernel.rows)
            }
            let shares = Parallel.split(chunks.count, parts: threads)
            Parallel.run(shares.count) { t in
                let patches = Storage(uninitializedCount: places * WinogradTiles.placeFloats(rows: c, tiles: width))
                let products = Storage(uninitializedCount: places * WinogradTiles.placeFloats(rows: o, tiles: width))
                let scratch = Storage(zeros: tiles.scratchFloats)
                for chunk in shares[t].map({ chunks[$0] }) {
                    let n = chunk.count
                    tiles.transformPatches(of: x, chunk, scratch: scratch.pointer, into: patches.pointer)
                    for place in 0..<places {
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

    /// The weight gradient, the same identity read the other way. y_tile is bilinear in g and
    /// d, so the gradient of the loss with respect to g, from one tile, is
    ///
    ///     dg = Gᵀ [ (A dy Aᵀ) ⊙ (Bᵀ d B) ] G        (dy: the tile's m×m output gradients)
    ///
    /// and the sum over the batch's tiles goes inside the brackets: for each place ξ,
    /// S_ξ[o, c] = Σ_t Z_ξ[o, t] · V_ξ[c, t], with Z = A dy Aᵀ and V = Bᵀ d B the forward's
    /// patches. So: transform a chunk's patches and gradients, add its GEMMs (16, or 36 in 4×4
    /// tiles) of O × tiles by tiles × C into S, and once the slice's tiles are all in, take
    /// dg = Gᵀ S G. Tiles hanging past the plane have zero gradients there, so add nothing.
    ///
    /// Each slice of images (`summingSlices`) sums its tiles in chunks of `chunkTiles`, whatever
    /// the thread count, so the bits are the same for any: a thread takes whole slices.
    ///
    /// Given `biasOutputs`, each slice's Σ dy per channel goes there too, from Z: its place
    /// (1, 1) is a tile's gradients summed (row 1 of A is all ones), and tiles hanging past the
    /// plane add zeros.
    static func conv2dBackwardWeightWinograd(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ g: ConvGeometry,
        slices: [Range<Int>], outputs: (Int) -> UnsafeMutablePointer<Float>,
        biasOutputs: ((Int) -> UnsafeMutablePointer<Float>)?, threads: Int
    ) {
        precondition(g.window.size == 3 && g.window.stride == 1, "Winograd's weight gradient needs a 3×3 window with stride 1")
        let (c, o) = (g.input.c, g.outChannels)
        let tiles = WinogradTiles(g, outputTile: WinogradTiles.outputTile(g))
        let places = tiles.places
        let perThread = Parallel.split(slices.count, parts: threads)
        let chunkTiles = tiles.chunkTiles
        Parallel.run(perThread.count) { t in
            let patches = Storage(uninitializedCount: places * WinogradTiles.placeFloats(rows: c, tiles: chunkTiles))
            let gradients = Storage(uninitializedCount: places * WinogradTiles.placeFloats(rows: o, tiles: chunkTiles))
            let (patchScratch, gradientScratch) = (Storage(zeros: tiles.scratchFloats), Storage(zeros: tiles.scratchFloats))
            // S, [place ξ][o][c].
            let sums = Storage(uninitializedCount: places * o * c)
            let biasSums = Storage(uninitializedCount: o)
            for s in perThread[t] {
                sums.pointer.update(repeating: 0, count: places * o * c)
                biasSums.pointer.update(repeating: 0, count: o)
                let sliceTiles = slices[s].lowerBound * tiles.perImage..<slices[s].upperBound * tiles.perImage
                for first in stride(from: sliceTiles.lowerBound, to: sliceTiles.upperBound, by: chunkTiles) {
                    let chunk = first..<min(first + chunkTiles, sliceTiles.upperBound), n = chunk.count
                    tiles.transformPatches(of: x, chunk, scratch: patchScratch.pointer, into: patches.pointer)
                    tiles.transformGradients(of: dy, chunk, outChannels: o, scratch: gradientScratch.pointer,
                                             into: gradients.pointer)
                    if biasOutputs != nil {
                        // Place (1, 1).
                        let tileSums = gradients.pointer + (tiles.side + 1) * WinogradTiles.placeFloats(rows: o, tiles: n)
                        for oc in 0..<o { biasSums.pointer[oc] += Kernels.sum(tileSums + oc * n, count: n) }
                    }
                    for place in 0..<places {
                        gemmSingleThread(
                            transA: false, transB: true, m: o, n: c, k: n,
                            a: gradients.pointer + place * WinogradTiles.placeFloats(rows: o, tiles: n), lda: n,
                            b: patches.pointer + place * WinogradTiles.placeFloats(rows: c, tiles: n), ldb: n,
                            c: sums.pointer + place * o * c, ldc: c, accumulate: true)
                    }
                }
                tiles.weightGradient(sums.pointer, outChannels: o, inChannels: c, into: outputs(s))
                biasOutputs.map { $0(s).update(from: biasSums.pointer, count: o) }
            }
            withExtendedLifetime((patches, gradients, patchScratch, gradientScratch, sums, biasSums)) {}
        }
    }

    /// dg = Gᵀ S G for every (o, c), from S, [place ξ][o][c], of F(2×2, 3×3); writes dg, (O, C, 3, 3).
    static func winogradWeightGradient(_ s: UnsafePointer<Float>, outChannels o: Int, inChannels c: Int,
                                       into dweight: UnsafeMutablePointer<Float>) {
        let matrix = o * c
        for e in 0..<matrix {
            // Gᵀ S, a row of 3 from S's 4 for each of its 4 columns; then each row of that
            // times G, 3 values.
            func gT(_ a: Float, _ b: Float, _ d: Float, _ f: Float) -> SIMD3<Float> {
                SIMD3(a + 0.5 * (b + d), 0.5 * (b - d), 0.5 * (b + d) + f)
            }
            @inline(__always) func m(_ i: Int, _ j: Int) -> Float { s[(4 * i + j) * matrix + e] }
            let columns = (gT(m(0, 0), m(1, 0), m(2, 0), m(3, 0)), gT(m(0, 1), m(1, 1), m(2, 1), m(3, 1)),
                           gT(m(0, 2), m(1, 2), m(2, 2), m(3, 2)), gT(m(0, 3), m(1, 3), m(2, 3), m(3, 3)))
            for i in 0..<3 {
                let row = gT(columns.0[i], columns.1[i], columns.2[i], columns.3[i])
                for j in 0..<3 { dweight[e * 9 + i * 3 + j] = row[j] }
            }
        }
    }

}

/// The m×m output tiles of a 3×3 or 5×5 stride-1 convolution over a batch (m = `outputTile`,
/// 2, or 4 for F(4×4, 3×3)), numbered image by image, row by row, and the transforms in and out
/// of Winograd's domain (4×4, or 6×6 for 5×5 and for 3×3 in 4×4 tiles) for a range of them.
struct WinogradTiles {
    let g: ConvGeometry
    /// The side m of a tile of outputs.
    let outputTile: Int
    /// Tiles per row and per column of an image's output, and per image.
    let across: Int, down: Int, perImage: Int
    var count: Int { g.input.n * perImage }
    /// The side of a tile's patch (the kernel's plus m − 1), and the places ξ of its transform.
    var side: Int { g.window.size + outputTile - 1 }
    var places: Int { side * side }

    init(_ g: ConvGeometry, outputTile: Int = 2) {
        precondition(outputTile == 2 || (outputTile == 4 && g.window.size == 3), "Winograd's tiles are 2×2, or 4×4 for a 3×3 kernel")
        self.g = g
        self.outputTile = outputTile
        across = (g.outputWidth + outputTile - 1) / outputTile
        down = (g.outputHeight + outputTile - 1) / outputTile
        perImage = g.outputHeight > 0 && g.outputWidth > 0 ? across * down : 0
    }

    /// The tiles of a layer's passes (its input gradient's, a forward of dy's, may differ): F(4×4,
    /// 3×3), 36 products for 16 outputs where F(2×2, 3×3) takes 16 for 4, wherever tiles of 4 hold
    /// at least 3/4 of their outputs inside the plane; else 2×2 tiles (and 5×5 kernels'
    /// F(2×2, 5×5)).
    static func outputTile(_ g: ConvGeometry) -> Int {
        guard g.window.size == 3 else { return 2 }
        let tiles4 = WinogradTiles(g, outputTile: 4)
        return 4 * g.outputPlane >= 3 * 16 * tiles4.perImage && g.outputPlane > 0 ? 4 : 2
    }

    /// Tiles per chunk: for 4×4 tiles, whose patches hold 36 places, half of `winogradChunkTiles`.
    var chunkTiles: Int { outputTile == 4 ? Kernels.winogradChunkTiles / 2 : Kernels.winogradChunkTiles }

    /// dg = Gᵀ S G for every (o, c), from S, [place ξ][o][c]; writes dg, (O, C, 3, 3).
    func weightGradient(_ s: UnsafePointer<Float>, outChannels o: Int, inChannels c: Int, into dweight: UnsafeMutablePointer<Float>) {
        guard outputTile == 4 else { return Kernels.winogradWeightGradient(s, outChannels: o, inChannels: c, into: dweight) }
        for e in 0..<o * c { Patches6x6Of3x3.weightGradient(s + e, matrix: o * c, into: dweight + 9 * e) }
    }

    /// `transformPatches`' scratch plane: one image channel zero-padded to the tiles' patches,
    /// (m · down + side − m) rows of `paddedWidth` floats; and the floats of its buffer, 16 · m
    /// + 16 more, which the last row's vectors of 16 patches read past its end (4×4 tiles' up to
    /// 75, the last tile's columns 4 and 5 loaded 16 floats at a time; 2×2 tiles' up to 30).
    var paddedWidth: Int { outputTile * across + side - outputTile }
    var paddedPlane: Int { (outputTile * down + side - outputTile) * paddedWidth }
    var scratchFloats: Int { paddedPlane + 16 * outputTile + 16 }

    /// One value of each of up to 16 tiles, the tiles in the lanes.
    typealias V = SIMD16<Float>

    /// The tiles `range` in runs of up to 16 within one row of tiles of one image, in order:
    /// `count` tiles from `first` (the index among the batch's tiles), the first at `at`. The
    /// transforms take a run at a time, its tiles in the vector lanes.
    @inline(__always)
    func forEachRun(in range: Range<Int>, _ body: (_ first: Int, _ count: Int, _ at: (image: Int, ty: Int, tx: Int)) -> Void) {
        guard !range.isEmpty else { return }
        var tile = range.lowerBound, at = position(of: tile)
        while tile < range.upperBound {
            let count = min(16, across - at.tx, range.upperBound - tile)
            body(tile, count, at)
            tile += count
            // The next run's place, without dividing again: a divide a run cost more than the
            // transforms on 6² planes (3 tiles a run).
            at.tx += count
            if at.tx == across {
                at.tx = 0
                at.ty += 1
                if at.ty == down { (at.ty, at.image) = (0, at.image + 1) }
            }
        }
    }

    /// V = Bᵀ d B of every input channel for the tiles `range`: [place ξ][channel][tile],
    /// `range.count` tiles a row. d is the side×side patch at (m·ty − p, m·tx − p), zero outside
    /// x: the rows of each image channel that the patches read are first copied into `scratch`
    /// (`scratchFloats` floats, zero on entry), so that every patch is `side` rows read whole. A
    /// run of 16 patches is `side` rows of 16·m + side − m floats: for 2×2 tiles their even and
    /// odd floats, and the same 2 (and 4) floats on, are the patches' columns with the tiles in
    /// the lanes; for 4×4, every fourth float from each of the first four, and columns 0 and 1
    /// one tile on (`Patches6x6Of3x3.row`). Each
    /// place's 16 values are stored whole: past a run's `count` they land on tiles (or the next
    /// channel's row, or the 16 floats past the last) written after.
    /// Scalar, a tile at a time, the transform took a third of the layer's time (`perf record`,
    /// GoogLeNet's 192 → 64 input gradient at 24²).
    func transformPatches(of x: UnsafePointer<Float>, _ range: Range<Int>, scratch: UnsafeMutablePointer<Float>,
                          into v: UnsafeMutablePointer<Float>) {
        if side == 4 {
            transformPatches(Patches4x4.self, of: x, range, scratch: scratch, into: v)
        } else if outputTile == 2 {
            transformPatches(Patches6x6.self, of: x, range, scratch: scratch, into: v)
        } else {
            transformPatches(Patches6x6Of3x3.self, of: x, range, scratch: scratch, into: v)
        }
    }

    /// `transformPatches` for one size of patch: a copy of the loops each, with only its own
    /// transform inlined. One copy for both had cost Inception's 12² and ResNet's 6² layers
    /// (a run of 6 and of 3 tiles) 8% and 6% of their forward.
    private func transformPatches<Shape: WinogradPatchShape>(_: Shape.Type, of x: UnsafePointer<Float>, _ range: Range<Int>,
                                                            scratch: UnsafeMutablePointer<Float>, into v: UnsafeMutablePointer<Float>) {
        let (c, h, w, p, m) = (g.input.c, g.input.h, g.input.w, g.window.padding, outputTile)
        let n = range.count, placeBytes = Self.placeFloats(rows: c, tiles: n) * 4, rowBytes = paddedWidth * 4
        for ic in 0..<c {
            for image in range.lowerBound / perImage...(range.upperBound - 1) / perImage {
                let plane = x + (image * c + ic) * g.input.plane
                let inImage = max(range.lowerBound, image * perImage)..<min(range.upperBound, (image + 1) * perImage)
                for iy in rows(readBy: inImage, of: image, rowsPerTile: side, from: -p, upTo: h) {
                    Kernels.copyFloats(w, from: plane + iy * w, to: scratch + (iy + p) * paddedWidth + p)
                }
                forEachRun(in: inImage) { first, _, at in
                    Shape.transformPatches(UnsafeRawPointer(scratch + m * at.ty * paddedWidth + m * at.tx), rowBytes: rowBytes,
                                           into: UnsafeMutableRawPointer(v + ic * n + (first - range.lowerBound)),
                                           placeBytes: placeBytes)
                }
            }
        }
    }

    /// Z = A dy Aᵀ of every output channel's gradients for the tiles `range`: [place ξ][o][tile],
    /// `range.count` tiles a row, the weight gradient's counterpart of the patches. A tile's dy
    /// is the m×m block at (m·ty, m·tx), zero past the plane: the rows of each gradient plane
    /// that the tiles read are first copied into `scratch` (`scratchFloats` floats, zero on
    /// entry), so that a run of 16 tiles is m rows of 16·m floats: for 2×2 tiles, their even and
    /// odd floats the tiles' left and right gradients; for 4×4, every fourth float
    /// (`Patches6x6Of3x3.transformGradients`).
    /// Stored whole a place at a time, as `transformPatches` does.
    func transformGradients(of dy: UnsafePointer<Float>, _ range: Range<Int>, outChannels o: Int,
                            scratch: UnsafeMutablePointer<Float>, into z: UnsafeMutablePointer<Float>) {
        if outputTile == 4 {
            transformGradients(Patches6x6Of3x3.self, of: dy, range, outChannels: o, scratch: scratch, into: z)
        } else {
            transformGradients(Patches4x4.self, of: dy, range, outChannels: o, scratch: scratch, into: z)
        }
    }

    /// `transformGradients` for one size of tile, as `transformPatches`.
    private func transformGradients<Shape: WinogradGradientShape>(_: Shape.Type, of dy: UnsafePointer<Float>, _ range: Range<Int>,
                                                                 outChannels o: Int, scratch: UnsafeMutablePointer<Float>,
                                                                 into z: UnsafeMutablePointer<Float>) {
        let (oh, ow, m) = (g.outputHeight, g.outputWidth, outputTile)
        let n = range.count, placeBytes = Self.placeFloats(rows: o, tiles: n) * 4
        for oc in 0..<o {
            for image in range.lowerBound / perImage...(range.upperBound - 1) / perImage {
                let plane = dy + (image * o + oc) * oh * ow
                let inImage = max(range.lowerBound, image * perImage)..<min(range.upperBound, (image + 1) * perImage)
                for oy in rows(readBy: inImage, of: image, rowsPerTile: m, from: 0, upTo: oh) {
                    Kernels.copyFloats(ow, from: plane + oy * ow, to: scratch + oy * paddedWidth)
                }
                forEachRun(in: inImage) { first, _, at in
                    let gradients = UnsafeRawPointer(scratch + m * at.ty * paddedWidth + m * at.tx)
                    Shape.transformGradients(gradients, rowBytes: paddedWidth * 4,
                                             into: UnsafeMutableRawPointer(z + oc * n + (first - range.lowerBound)),
                                             placeBytes: placeBytes)
                }
            }
        }
    }

    /// The rows of a plane that `tiles` (of one image, `image`) read: `rowsPerTile` from row
    /// m · ty + `from` for each row of tiles ty among them, inside 0..<`upTo`. A chunk of tiles
    /// cut mid-image copies only these into its scratch plane, not the whole plane again: VGG's
    /// 56² planes have 784 tiles, so each image's planes were copied by four chunks of 256.
    /// The other rows of the scratch plane are left as they were, and not read.
    @inline(__always)
    func rows(readBy tiles: Range<Int>, of image: Int, rowsPerTile: Int, from: Int, upTo limit: Int) -> Range<Int> {
        let first = (tiles.lowerBound - image * perImage) / across, last = (tiles.upperBound - 1 - image * perImage) / across
        return max(0, outputTile * first + from)..<min(limit, outputTile * last + from + rowsPerTile)
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

    /// U = G g Gᵀ for every (o, c): [place ξ][o][c], each ξ an O × C matrix. 16 input channels
    /// at a time, in the vector lanes, so that each place's values are stored 16 at once: a
    /// kernel at a time, in scalars, it took 12% of ResNet's 256 → 256 forward at 6² (`perf
    /// record`).
    func transformWeights(_ weight: UnsafePointer<Float>, outChannels o: Int, inChannels c: Int, threads: Int) -> Storage {
        if side == 4 {
            transformWeights(Patches4x4.self, weight, outChannels: o, inChannels: c, threads: threads)
        } else if outputTile == 2 {
            transformWeights(Patches6x6.self, weight, outChannels: o, inChannels: c, threads: threads)
        } else {
            transformWeights(Patches6x6Of3x3.self, weight, outChannels: o, inChannels: c, threads: threads)
        }
    }

    /// `transformWeights` for one size of patch.
    private func transformWeights<Shape: WinogradPatchShape>(_: Shape.Type, _ weight: UnsafePointer<Float>, outChannels o: Int,
                                                            inChannels c: Int, threads: Int) -> Storage {
        let (side, taps) = (side, g.window.size * g.window.size)
        let u = Storage(uninitializedCount: places * o * c)
        Parallel.forRanges(o, threads: threads, grain: 16) { outputs in
            for oc in outputs {
                for ic in stride(from: 0, to: c, by: 16) {
                    let count = min(16, c - ic), kernels = weight + (oc * c + ic) * taps
                    // Tap t of the 16 kernels; place (i, j) of their transforms.
                    @inline(__always) func tap(_ t: Int) -> V {
                        var v = V()
                        for lane in 0..<count { v[lane] = kernels[lane * taps + t] }
                        return v
                    }
                    @inline(__always) func put(_ i: Int, _ j: Int, _ value: V) {
                        let at = u.pointer + ((i * side + j) * o + oc) * c + ic
                        if count == 16 {
                            UnsafeMutableRawPointer(at).storeBytes(of: value, as: V.self)
                        } else {
                            for lane in 0..<count { at[lane] = value[lane] }
                        }
                    }
                    Shape.transformWeights(tap, put)
                }
            }
        }
        return u
    }

    /// y = Aᵀ M A + bias for the tiles `range`, from the products M, [place ξ][o][tile]
    /// (`range.count` tiles a row), a run of up to 16 tiles at a time in the lanes (as
    /// `transformPatches`; the loads past a run's end read floats that are not used). A run's m
    /// rows of outputs are its tiles' m values a row interleaved; outputs past the plane's last
    /// row or column are not written.
    func transformProducts(_ m: UnsafePointer<Float>, _ range: Range<Int>, outChannels o: Int, bias: UnsafePointer<Float>?,
                           into y: UnsafeMutablePointer<Float>) {
        if side == 4 {
            transformProducts(Patches4x4.self, m, range, outChannels: o, bias: bias, into: y)
        } else if outputTile == 2 {
            transformProducts(Patches6x6.self, m, range, outChannels: o, bias: bias, into: y)
        } else {
            transformProducts(Patches6x6Of3x3.self, m, range, outChannels: o, bias: bias, into: y)
        }
    }

    /// `transformProducts` for one size of patch, as `transformPatches`.
    private func transformProducts<Shape: WinogradPatchShape>(_: Shape.Type, _ m: UnsafePointer<Float>, _ range: Range<Int>,
                                                             outChannels o: Int, bias: UnsafePointer<Float>?,
                                                             into y: UnsafeMutablePointer<Float>) {
        let (oh, ow, tile) = (g.outputHeight, g.outputWidth, outputTile)
        let n = range.count, placeBytes = Self.placeFloats(rows: o, tiles: n) * 4
        for oc in 0..<o {
            let b = V(repeating: bias?[oc] ?? 0)
            forEachRun(in: range) { first, count, at in
                let (oy, ox) = (tile * at.ty, tile * at.tx)
                Shape.transformProducts(UnsafeRawPointer(m + oc * n + (first - range.lowerBound)), placeBytes: placeBytes, bias: b,
                                        into: y + ((at.image * o + oc) * oh + oy) * ow + ox, rowFloats: ow,
                                        width: min(tile * count, ow - ox), rows: min(tile, oh - oy))
            }
        }
    }
}

/// The transforms of one size of patch and tile: `transformWeights`, U = G g Gᵀ of 16 kernels,
/// `tap(t)` giving tap t of each (row by row), `put(i, j, u)` taking place (i, j); and, for a
/// run of 16 tiles in the vector lanes, `transformPatches`, Bᵀ d B of the patches at `patches`
/// (m floats apart, their rows `rowBytes` apart) into `out`, each place's 16 values `placeBytes`
/// after the one before, and `transformProducts`, Aᵀ M A + bias from their products stored the
/// same way: the tiles' m rows of outputs, each tile's m values of a row side by side, written
/// to `out`, `rowFloats` apart, the first `width` of the first `rows`.
protocol WinogradPatchShape {
    static func transformWeights(_ tap: (Int) -> SIMD16<Float>, _ put: (Int, Int, SIMD16<Float>) -> Void)
    static func transformPatches(_ patches: UnsafeRawPointer, rowBytes: Int, into out: UnsafeMutableRawPointer, placeBytes: Int)
    static func transformProducts(_ products: UnsafeRawPointer, placeBytes: Int, bias: SIMD16<Float>,
                                  into out: UnsafeMutablePointer<Float>, rowFloats: Int, width: Int, rows: Int)
}

/// The 3×3 tiles' transform for the weight gradient: `transformGradients`, Z = A dy Aᵀ of a
/// run of 16 tiles' output gradients (m rows at `gradients`, `rowBytes` apart, m floats a tile)
/// into `out`, each place's 16 values `placeBytes` after the one before.
protocol WinogradGradientShape {
    static func transformGradients(_ gradients: UnsafeRawPointer, rowBytes: Int, into out: UnsafeMutableRawPointer, placeBytes: Int)
}

extension WinogradPatchShape {
    typealias V = SIMD16<Float>

    /// x₀ y₀ x₁ y₁ … x₁₅ y₁₅ (`Kernels.interleaved`) of two vectors computed whole: opaque to
    /// the optimizer (`convbook_opaque`), which would otherwise fold the shuffles into the sums
    /// before them, splitting those into part-vector and scalar adds.
    @inline(__always)
    static func interleaved(_ x: V, _ y: V) -> SIMD32<Float> { Kernels.interleaved(convbook_opaque(x), convbook_opaque(y)) }

    /// The two rows of 2×2 tiles' outputs, each tile's left and right values interleaved.
    @inline(__always)
    static func store2x2(_ top: SIMD32<Float>, _ bottom: SIMD32<Float>, into out: UnsafeMutablePointer<Float>, rowFloats: Int,
                         width: Int, rows: Int) {
        Kernels.storeFirst(width, of: top, to: out)
        if rows > 1 { Kernels.storeFirst(width, of: bottom, to: out + rowFloats) }
    }

    /// Columns 2·pair and 2·pair + 1 of row r of the run's patches: the even and odd floats of
    /// the 32 from float 2·pair.
    @inline(__always)
    static func columns(_ patches: UnsafeRawPointer, row r: Int, rowBytes: Int, pair: Int) -> (V, V) {
        let (even, odd) = Kernels.deinterleaved(patches, byteOffset: r * rowBytes + pair * 8)
        return (even, odd)
    }
}

/// F(2×2, 3×3)'s 4×4 patches.
enum Patches4x4: WinogradPatchShape, WinogradGradientShape {
    /// Row i of the 4×4 values (patch or product) of up to 16 tiles: a vector per column.
    struct TileRow: WinogradValue {
        var d0: V, d1: V, d2: V, d3: V
        @inline(__always) init(_ d0: V, _ d1: V, _ d2: V, _ d3: V) { (self.d0, self.d1, self.d2, self.d3) = (d0, d1, d2, d3) }
        @inline(__always) static func + (a: Self, b: Self) -> Self { Self(a.d0 + b.d0, a.d1 + b.d1, a.d2 + b.d2, a.d3 + b.d3) }
        @inline(__always) static func - (a: Self, b: Self) -> Self { Self(a.d0 - b.d0, a.d1 - b.d1, a.d2 - b.d2, a.d3 - b.d3) }
        @inline(__always) static func * (k: Float, a: Self) -> Self { Self(k * a.d0, k * a.d1, k * a.d2, k * a.d3) }
    }

    /// G g along one axis: four values from a kernel's three. G's rows are (1, 0, 0),
    /// (½, ½, ½), (½, −½, ½) and (0, 0, 1).
    @inline(__always)
    static func weightTransform(_ a: V, _ b: V, _ d: V) -> (V, V, V, V) {
        (a, 0.5 * (a + b + d), 0.5 * (a - b + d), d)
    }

    @inline(__always)
    static func transformWeights(_ tap: (Int) -> V, _ put: (Int, Int, V) -> Void) {
        // G g, a column of 4 for each of g's 3 columns; then each row of that times Gᵀ.
        let columns = (weightTransform(tap(0), tap(3), tap(6)), weightTransform(tap(1), tap(4), tap(7)),
                       weightTransform(tap(2), tap(5), tap(8)))
        @inline(__always) func store(_ i: Int, _ a: V, _ b: V, _ d: V) {
            let t = weightTransform(a, b, d)
            put(i, 0, t.0); put(i, 1, t.1); put(i, 2, t.2); put(i, 3, t.3)
        }
        store(0, columns.0.0, columns.1.0, columns.2.0); store(1, columns.0.1, columns.1.1, columns.2.1)
        store(2, columns.0.2, columns.1.2, columns.2.2); store(3, columns.0.3, columns.1.3, columns.2.3)
    }

    @inline(__always)
    static func transformPatches(_ patches: UnsafeRawPointer, rowBytes: Int, into out: UnsafeMutableRawPointer, placeBytes: Int) {
        @inline(__always) func row(_ r: Int) -> TileRow {
            let ((d0, d1), (d2, d3)) = (columns(patches, row: r, rowBytes: rowBytes, pair: 0),
                                        columns(patches, row: r, rowBytes: rowBytes, pair: 1))
            return TileRow(d0, d1, d2, d3)
        }
        let (d0, d1, d2, d3) = (row(0), row(1), row(2), row(3))
        // Bᵀ d combines the rows; (Bᵀ d) B the same way each row's 4 values.
        @inline(__always) func store(_ r: TileRow, _ i: Int) {
            let at = i &* 4 &* placeBytes
            out.storeBytes(of: r.d0 - r.d2, toByteOffset: at, as: V.self)
            out.storeBytes(of: r.d1 + r.d2, toByteOffset: at &+ placeBytes, as: V.self)
            out.storeBytes(of: r.d2 - r.d1, toByteOffset: at &+ 2 &* placeBytes, as: V.self)
            out.storeBytes(of: r.d1 - r.d3, toByteOffset: at &+ 3 &* placeBytes, as: V.self)
        }
        store(d0 - d2, 0)
        store(d1 + d2, 1)
        store(d2 - d1, 2)
        store(d1 - d3, 3)
    }

    /// Z = A dy Aᵀ of a run of 16 tiles' output gradients, 2 rows at `gradients` (`rowBytes`
    /// apart) of 2 floats a tile, into `out`, each place's 16 values `placeBytes` after the one
    /// before.
    @inline(__always)
    static func transformGradients(_ gradients: UnsafeRawPointer, rowBytes: Int, into out: UnsafeMutableRawPointer,
                                   placeBytes: Int) {
        @inline(__always) func row(_ r: Int) -> (left: V, right: V) {
            let (even, odd) = Kernels.deinterleaved(gradients, byteOffset: r &* rowBytes)
            return (even, odd)
        }
        let (top, bottom) = (row(0), row(1))
        // A dy: rows top, top + bottom, top − bottom, −bottom; (A dy) Aᵀ the same way each
        // row's left and right.
        @inline(__always) func store(_ left: V, _ right: V, _ i: Int) {
            let at = i &* 4 &* placeBytes
            out.storeBytes(of: left, toByteOffset: at, as: V.self)
            out.storeBytes(of: left + right, toByteOffset: at &+ placeBytes, as: V.self)
            out.storeBytes(of: left - right, toByteOffset: at &+ 2 &* placeBytes, as: V.self)
            out.storeBytes(of: -right, toByteOffset: at &+ 3 &* placeBytes, as: V.self)
        }
        store(top.left, top.right, 0)
        store(top.left + bottom.left, top.right + bottom.right, 1)
        store(top.left - bottom.left, top.right - bottom.right, 2)
        store(-bottom.left, -bottom.right, 3)
    }

    @inline(__always)
    static func transformProducts(_ products: UnsafeRawPointer, placeBytes: Int, bias b: V,
                                  into out: UnsafeMutablePointer<Float>, rowFloats: Int, width: Int, rows: Int) {
        @inline(__always) func row(_ i: Int) -> TileRow {
            @inline(__always) func place(_ j: Int) -> V { products.loadUnaligned(fromByteOffset: (4 &* i &+ j) &* placeBytes, as: V.self) }
            return TileRow(place(0), place(1), place(2), place(3))
        }
        let (m0, m1, m2, m3) = (row(0), row(1), row(2), row(3))
        // Aᵀ M: 2 rows of 4; then (Aᵀ M) A: 2 values of each.
        let (r0, r1) = (m0 + m1 + m2, m1 - m2 - m3)
        store2x2(interleaved(r0.d0 + r0.d1 + r0.d2 + b, r0.d1 - r0.d2 - r0.d3 + b),
                 interleaved(r1.d0 + r1.d1 + r1.d2 + b, r1.d1 - r1.d2 - r1.d3 + b),
                 into: out, rowFloats: rowFloats, width: width, rows: rows)
    }
}

/// F(2×2, 5×5)'s 6×6 patches: 6 columns from three pairs. Its transforms interpolate at 0,
/// ±1, ±2 and infinity.
enum Patches6x6: WinogradPatchShape {
    /// Row i of the 6×6 values of up to 16 tiles: a vector per column.
    struct TileRow6: WinogradValue {
        var d0: V, d1: V, d2: V, d3: V, d4: V, d5: V
        @inline(__always) init(_ d0: V, _ d1: V, _ d2: V, _ d3: V, _ d4: V, _ d5: V) {
            (self.d0, self.d1, self.d2, self.d3, self.d4, self.d5) = (d0, d1, d2, d3, d4, d5)
        }
        @inline(__always) static func + (a: Self, b: Self) -> Self {
            Self(a.d0 + b.d0, a.d1 + b.d1, a.d2 + b.d2, a.d3 + b.d3, a.d4 + b.d4, a.d5 + b.d5)
        }
        @inline(__always) static func - (a: Self, b: Self) -> Self {
            Self(a.d0 - b.d0, a.d1 - b.d1, a.d2 - b.d2, a.d3 - b.d3, a.d4 - b.d4, a.d5 - b.d5)
        }
        @inline(__always) static func * (k: Float, a: Self) -> Self { Self(k * a.d0, k * a.d1, k * a.d2, k * a.d3, k * a.d4, k * a.d5) }
    }

    /// G g along one axis: six values from a kernel's five. G's rows are (1/4, 0, 0, 0, 0),
    /// −(1, 1, 1, 1, 1)/6, −(1, −1, 1, −1, 1)/6, (1, 2, 4, 8, 16)/24, (1, −2, 4, −8, 16)/24 and
    /// (0, 0, 0, 0, 1).
    @inline(__always)
    static func weightTransform(_ k0: V, _ k1: V, _ k2: V, _ k3: V, _ k4: V) -> (V, V, V, V, V, V) {
        let (even, odd) = (k0 + k2 + k4, k1 + k3)
        let (evenPowers, oddPowers) = (k0 + 4 * k2 + 16 * k4, 2 * k1 + 8 * k3)
        return (0.25 * k0, (-1.0 / 6) * (even + odd), (-1.0 / 6) * (even - odd),
                (1.0 / 24) * (evenPowers + oddPowers), (1.0 / 24) * (evenPowers - oddPowers), k4)
    }

    /// Bᵀ d along one axis: six values (vectors of tiles, or rows of them) from six.
    @inline(__always)
    static func inputTransform<T: WinogradValue>(_ d0: T, _ d1: T, _ d2: T, _ d3: T, _ d4: T, _ d5: T) -> (T, T, T, T, T, T) {
        let (a, b) = (d4 - d2, 2 * (d3 - d1))
        return (4 * d0 - 5 * d2 + d4, (d3 + d4) - 4 * (d1 + d2), (d4 - d3) + 4 * (d1 - d2), a + b, a - b, 4 * d1 - 5 * d3 + d5)
    }

    /// Aᵀ m along one axis: the two outputs from six values.
    @inline(__always)
    static func outputTransform<T: WinogradValue>(_ m0: T, _ m1: T, _ m2: T, _ m3: T, _ m4: T, _ m5: T) -> (T, T) {
        (m0 + m1 + m2 + m3 + m4, m1 - m2 + 2 * (m3 - m4) + m5)
    }

    @inline(__always)
    static func transformWeights(_ tap: (Int) -> V, _ put: (Int, Int, V) -> Void) {
        // G g, a column of 6 for each of g's 5 columns; then each row of that times Gᵀ.
        @inline(__always) func column(_ j: Int) -> (V, V, V, V, V, V) {
            weightTransform(tap(j), tap(5 + j), tap(10 + j), tap(15 + j), tap(20 + j))
        }
        let columns = (column(0), column(1), column(2), column(3), column(4))
        @inline(__always) func store(_ i: Int, _ k0: V, _ k1: V, _ k2: V, _ k3: V, _ k4: V) {
            let t = weightTransform(k0, k1, k2, k3, k4)
            put(i, 0, t.0); put(i, 1, t.1); put(i, 2, t.2); put(i, 3, t.3); put(i, 4, t.4); put(i, 5, t.5)
        }
        store(0, columns.0.0, columns.1.0, columns.2.0, columns.3.0, columns.4.0)
        store(1, columns.0.1, columns.1.1, columns.2.1, columns.3.1, columns.4.1)
        store(2, columns.0.2, columns.1.2, columns.2.2, columns.3.2, columns.4.2)
        store(3, columns.0.3, columns.1.3, columns.2.3, columns.3.3, columns.4.3)
        store(4, columns.0.4, columns.1.4, columns.2.4, columns.3.4, columns.4.4)
        store(5, columns.0.5, columns.1.5, columns.2.5, columns.3.5, columns.4.5)
    }

    @inline(__always)
    static func transformPatches(_ patches: UnsafeRawPointer, rowBytes: Int, into out: UnsafeMutableRawPointer, placeBytes: Int) {
        @inline(__always) func row(_ r: Int) -> TileRow6 {
            @inline(__always) func pair(_ j: Int) -> (V, V) { columns(patches, row: r, rowBytes: rowBytes, pair: j) }
            let ((d0, d1), (d2, d3), (d4, d5)) = (pair(0), pair(1), pair(2))
            return TileRow6(d0, d1, d2, d3, d4, d5)
        }
        storePatches(inputTransform(row(0), row(1), row(2), row(3), row(4), row(5)), into: out, placeBytes: placeBytes)
    }

    @inline(__always)
    static func transformProducts(_ products: UnsafeRawPointer, placeBytes: Int, bias b: V,
                                  into out: UnsafeMutablePointer<Float>, rowFloats: Int, width: Int, rows: Int) {
        // Aᵀ M: 2 rows of 6; then (Aᵀ M) A: 2 values of each.
        let (r0, r1) = outputTransform(productRow(products, 0, placeBytes: placeBytes), productRow(products, 1, placeBytes: placeBytes),
                                       productRow(products, 2, placeBytes: placeBytes), productRow(products, 3, placeBytes: placeBytes),
                                       productRow(products, 4, placeBytes: placeBytes), productRow(products, 5, placeBytes: placeBytes))
        @inline(__always) func pair(_ r: TileRow6) -> SIMD32<Float> {
            let (left, right) = outputTransform(r.d0, r.d1, r.d2, r.d3, r.d4, r.d5)
            return interleaved(left + b, right + b)
        }
        store2x2(pair(r0), pair(r1), into: out, rowFloats: rowFloats, width: width, rows: rows)
    }

    /// Row i of a run's 6×6 products, a vector per place.
    @inline(__always)
    static func productRow(_ products: UnsafeRawPointer, _ i: Int, placeBytes: Int) -> TileRow6 {
        @inline(__always) func place(_ j: Int) -> V { products.loadUnaligned(fromByteOffset: (6 &* i &+ j) &* placeBytes, as: V.self) }
        return TileRow6(place(0), place(1), place(2), place(3), place(4), place(5))
    }

    /// Stores the 36 places of a run's transformed patch rows (Bᵀ d, a row of 6 per row of the
    /// patch), each row's 6 values transformed again: (Bᵀ d) B.
    @inline(__always)
    static func storePatches(_ rows: (TileRow6, TileRow6, TileRow6, TileRow6, TileRow6, TileRow6),
                             into out: UnsafeMutableRawPointer, placeBytes: Int) {
        @inline(__always) func put(_ value: V, place: Int) { out.storeBytes(of: value, toByteOffset: place &* placeBytes, as: V.self) }
        @inline(__always) func store(_ r: TileRow6, _ i: Int) {
            let t = inputTransform(r.d0, r.d1, r.d2, r.d3, r.d4, r.d5)
            put(t.0, place: 6 * i); put(t.1, place: 6 * i + 1); put(t.2, place: 6 * i + 2)
            put(t.3, place: 6 * i + 3); put(t.4, place: 6 * i + 4); put(t.5, place: 6 * i + 5)
        }
        store(rows.0, 0); store(rows.1, 1); store(rows.2, 2); store(rows.3, 3); store(rows.4, 4); store(rows.5, 5)
    }
}

/// F(4×4, 3×3): a 3×3 kernel's 4×4 tile of outputs from a 6×6 patch (patches 4 apart,
/// overlapping by 2), 36 products where the plain sums take 144 (F(2×2, 3×3): 16 for 36). Its
/// Bᵀ is F(2×2, 5×5)'s, the same six points (0, ±1, ±2 and infinity); G and Aᵀ are its own:
///
///     G = |  1/4     0     0  |     Aᵀ = | 1  1  1  1  1  0 |
///         | −1/6  −1/6  −1/6  |          | 0  1 −1  2 −2  0 |
///         | −1/6   1/6  −1/6  |          | 0  1  1  4  4  0 |
///         | 1/24  1/12   1/6  |          | 0  1 −1  8 −8  1 |
///         | 1/24 −1/12   1/6  |
///         |    0     0     1  |
///
/// Its transforms multiply by up to 8 and divide by up to 24, so it rounds as F(2×2, 5×5) does
/// (`ConvolutionTests.tolerance`).
enum Patches6x6Of3x3: WinogradPatchShape, WinogradGradientShape {
    typealias TileRow6 = Patches6x6.TileRow6

    /// G g along one axis: six values from a kernel's three.
    @inline(__always)
    static func weightTransform(_ k0: V, _ k1: V, _ k2: V) -> (V, V, V, V, V, V) {
        let (even, evenPowers) = (k0 + k2, k0 + 4 * k2)
        return (0.25 * k0, (-1.0 / 6) * (even + k1), (-1.0 / 6) * (even - k1),
                (1.0 / 24) * (evenPowers + 2 * k1), (1.0 / 24) * (evenPowers - 2 * k1), k2)
    }

    /// Aᵀ m along one axis: the four outputs from six values.
    @inline(__always)
    static func outputTransform<T: WinogradValue>(_ m0: T, _ m1: T, _ m2: T, _ m3: T, _ m4: T, _ m5: T) -> (T, T, T, T) {
        let (sum12, difference12, sum34, difference34) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4)
        return (m0 + sum12 + sum34, difference12 + 2 * difference34, sum12 + 4 * sum34, difference12 + 8 * difference34 + m5)
    }

    @inline(__always)
    static func transformWeights(_ tap: (Int) -> V, _ put: (Int, Int, V) -> Void) {
        // G g, a column of 6 for each of g's 3 columns; then each row of that times Gᵀ.
        let columns = (weightTransform(tap(0), tap(3), tap(6)), weightTransform(tap(1), tap(4), tap(7)),
                       weightTransform(tap(2), tap(5), tap(8)))
        @inline(__always) func store(_ i: Int, _ k0: V, _ k1: V, _ k2: V) {
            let t = weightTransform(k0, k1, k2)
            put(i, 0, t.0); put(i, 1, t.1); put(i, 2, t.2); put(i, 3, t.3); put(i, 4, t.4); put(i, 5, t.5)
        }
        store(0, columns.0.0, columns.1.0, columns.2.0); store(1, columns.0.1, columns.1.1, columns.2.1)
        store(2, columns.0.2, columns.1.2, columns.2.2); store(3, columns.0.3, columns.1.3, columns.2.3)
        store(4, columns.0.4, columns.1.4, columns.2.4); store(5, columns.0.5, columns.1.5, columns.2.5)
    }

    /// Row r of a run's patches, a vector per column: column j of tile t is float 4t + j of the
    /// row. The 64 floats from the row's start split four ways (even and odd twice) give columns
    /// 0–3; columns 4 and 5 are columns 0 and 1 one tile on: shifted by a lane, float 64 or 65
    /// shifted in (`convbook_shifted_in`). A patch's 6 rows take 70 `vpermt2ps`; splitting the 64
    /// floats from 4 on as well took 131 and 32 `vinsertf64x4` (LLVM merged the two splits), and
    /// 4×4 tiles' forward and input gradient ran 1.03–1.10 times as fast so (`compare_builds`).
    @inline(__always)
    static func row(_ patches: UnsafeRawPointer, _ r: Int, rowBytes: Int) -> TileRow6 {
        let offset = r &* rowBytes
        let (d0, d1, d2, d3) = fourWays(patches, byteOffset: offset)
        @inline(__always) func float(_ i: Int) -> V { patches.loadUnaligned(fromByteOffset: offset &+ 4 &* i, as: V.self) }
        // Opaque too: else LLVM computes the shifted lanes' sums from the unshifted ones, lane by lane.
        return TileRow6(d0, d1, d2, d3, convbook_opaque(convbook_shifted_in(d0, float(64))),
                        convbook_opaque(convbook_shifted_in(d1, float(65))))
    }

    /// Floats 4t, 4t + 1, 4t + 2 and 4t + 3 (t < 16) of the 64 at `p + offset` bytes: their
    /// even and odd floats, split into even and odd again, one two-source permute each (8 in
    /// all). The first split's results are opaque (`convbook_opaque`), so that LLVM does not
    /// fold the two splits into longer chains of permutes.
    @inline(__always)
    static func fourWays(_ p: UnsafeRawPointer, byteOffset offset: Int) -> (V, V, V, V) {
        let (lowEven, lowOdd) = Kernels.deinterleaved(p, byteOffset: offset)
        let (highEven, highOdd) = Kernels.deinterleaved(p, byteOffset: offset &+ 128)
        let even = SIMD32(lowHalf: convbook_opaque(lowEven), highHalf: convbook_opaque(highEven))
        let odd = SIMD32(lowHalf: convbook_opaque(lowOdd), highHalf: convbook_opaque(highOdd))
        return (even.evenHalf, odd.evenHalf, even.oddHalf, odd.oddHalf)
    }

    /// A g along one axis, the weight gradient's transform of a tile's output gradients: six
    /// values from four (A = Aᵀ's transpose: its rows are (1, 0, 0, 0), (1, 1, 1, 1),
    /// (1, −1, 1, −1), (1, 2, 4, 8), (1, −2, 4, −8), (0, 0, 0, 1)).
    @inline(__always)
    static func gradientTransform<T: WinogradValue>(_ g0: T, _ g1: T, _ g2: T, _ g3: T) -> (T, T, T, T, T, T) {
        let (even, odd) = (g0 + g2, g1 + g3)
        let (evenPowers, oddPowers) = (g0 + 4 * g2, 2 * g1 + 8 * g3)
        return (g0, even + odd, even - odd, evenPowers + oddPowers, evenPowers - oddPowers, g3)
    }

    /// Z = A dy Aᵀ of a run of 16 tiles' output gradients, 4 rows at `gradients` (`rowBytes`
    /// apart) of 4 floats a tile, into `out`, each place's 16 values `placeBytes` after the one
    /// before.
    @inline(__always)
    static func transformGradients(_ gradients: UnsafeRawPointer, rowBytes: Int, into out: UnsafeMutableRawPointer,
                                   placeBytes: Int) {
        @inline(__always) func row(_ r: Int) -> Patches4x4.TileRow {
            let (g0, g1, g2, g3) = fourWays(gradients, byteOffset: r &* rowBytes)
            return Patches4x4.TileRow(g0, g1, g2, g3)
        }
        let rows = gradientTransform(row(0), row(1), row(2), row(3))
        @inline(__always) func put(_ value: V, place: Int) { out.storeBytes(of: value, toByteOffset: place &* placeBytes, as: V.self) }
        @inline(__always) func store(_ r: Patches4x4.TileRow, _ i: Int) {
            let t = gradientTransform(r.d0, r.d1, r.d2, r.d3)
            put(t.0, place: 6 * i); put(t.1, place: 6 * i + 1); put(t.2, place: 6 * i + 2)
            put(t.3, place: 6 * i + 3); put(t.4, place: 6 * i + 4); put(t.5, place: 6 * i + 5)
        }
        store(rows.0, 0); store(rows.1, 1); store(rows.2, 2); store(rows.3, 3); store(rows.4, 4); store(rows.5, 5)
    }

    /// dg = Gᵀ S G of one (o, c), S's place (i, j) at `s[(6i + j) · matrix]`: a row of 3 from
    /// each column of S's 6, then each row of that times G.
    @inline(__always)
    static func weightGradient(_ s: UnsafePointer<Float>, matrix: Int, into dg: UnsafeMutablePointer<Float>) {
        // Gᵀ's rows: (1/4, −1/6, −1/6, 1/24, 1/24, 0), (0, −1/6, 1/6, 1/12, −1/12, 0),
        // (0, −1/6, −1/6, 1/6, 1/6, 1).
        @inline(__always) func gT(_ v: (Float, Float, Float, Float, Float, Float)) -> SIMD3<Float> {
            let (sum12, difference12, sum34, difference34) = (v.1 + v.2, v.2 - v.1, v.3 + v.4, v.3 - v.4)
            return SIMD3(0.25 * v.0 - sum12 / 6 + sum34 / 24, difference12 / 6 + difference34 / 12, (sum34 - sum12) / 6 + v.5)
        }
        @inline(__always) func m(_ i: Int, _ j: Int) -> Float { s[(6 * i + j) * matrix] }
        @inline(__always) func column(_ j: Int) -> SIMD3<Float> { gT((m(0, j), m(1, j), m(2, j), m(3, j), m(4, j), m(5, j))) }
        let columns = (column(0), column(1), column(2), column(3), column(4), column(5))
        for i in 0..<3 {
            let row = gT((columns.0[i], columns.1[i], columns.2[i], columns.3[i], columns.4[i], columns.5[i]))
            for j in 0..<3 { dg[i * 3 + j] = row[j] }
        }
    }

    @inline(__always)
    static func transformPatches(_ patches: UnsafeRawPointer, rowBytes: Int, into out: UnsafeMutableRawPointer, placeBytes: Int) {
        @inline(__always) func row(_ r: Int) -> TileRow6 { Self.row(patches, r, rowBytes: rowBytes) }
        Patches6x6.storePatches(Patches6x6.inputTransform(row(0), row(1), row(2), row(3), row(4), row(5)), into: out,
                                placeBytes: placeBytes)
    }

    @inline(__always)
    static func transformProducts(_ products: UnsafeRawPointer, placeBytes: Int, bias b: V,
                                  into out: UnsafeMutablePointer<Float>, rowFloats: Int, width: Int, rows: Int) {
        @inline(__always) func row(_ i: Int) -> TileRow6 { Patches6x6.productRow(products, i, placeBytes: placeBytes) }
        // Aᵀ M: 4 rows of 6; then (Aᵀ M) A: 4 values of each, which go 4 floats a tile.
        let transformed = outputTransform(row(0), row(1), row(2), row(3), row(4), row(5))
        @inline(__always) func store(_ r: TileRow6, _ i: Int) {
            guard i < rows else { return }
            let (o0, o1, o2, o3) = outputTransform(r.d0, r.d1, r.d2, r.d3, r.d4, r.d5)
            // Four ways interleaved: o0 and o2, o1 and o3, then those two (the first round opaque
            // as well: LLVM merged the rounds into 122 shuffles and spills where 32 do). On the
            // Xeon, VGG trained 0.985 times as fast with it; on Zen 4, without it, ResNet 0.933,
            // GoogLeNet 0.945, VGG 1.013 (`compare_builds --rounds 3 -- --chosen-only net…`): kept.
            let (evenLow, evenHigh) = Kernels.interleavedHalves(convbook_opaque(o0 + b), convbook_opaque(o2 + b))
            let (oddLow, oddHigh) = Kernels.interleavedHalves(convbook_opaque(o1 + b), convbook_opaque(o3 + b))
            let target = out + i * rowFloats
            Kernels.storeFirst(min(width, 32), of: interleaved(evenLow, oddLow), to: target)
            if width > 32 { Kernels.storeFirst(width - 32, of: interleaved(evenHigh, oddHigh), to: target + 32) }
        }
        store(transformed.0, 0); store(transformed.1, 1); store(transformed.2, 2); store(transformed.3, 3)
    }
}

/// What F(2×2, 5×5)'s one-axis transforms combine: the tiles' vectors, or rows of them.
protocol WinogradValue {
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (k: Float, a: Self) -> Self
}

extension SIMD16: WinogradValue where Scalar == Float {}
