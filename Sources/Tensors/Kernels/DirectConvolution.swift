/// Stride-1 convolution forward without any im2col or B packing.
///
/// It is the GEMM of `Convolution.swift` (y = w · col) with the B operand read in place: for
/// stride 1, the receptive-field value of output (oy, ox) at kernel tap (c, ki, kj) is
/// xpad[c, oy + ki, ox + kj], so 16 consecutive outputs of one row read 16 consecutive floats
/// of one row of the zero-padded image. The 8×32 register tile covers 8 output channels and
/// either 32 outputs of one row (wide images) or 16 outputs of two rows (narrow ones); the
/// weights are packed once, as GEMM's A.
///
/// Small channel counts (LeNet's 6 and 16) gain most: there packing B would cost more than the
/// arithmetic it feeds.
extension Kernels {
    /// Whether `conv2dForward` takes this path.
    static func usesDirectForward(_ g: ConvGeometry) -> Bool { g.window.stride == 1 }

    static func conv2dForwardDirect(
        x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let (o, k, p) = (g.outChannels, g.window.size, g.window.padding)
        // A 1×1 convolution without padding treats the whole plane as one long row.
        let flat = k == 1 && p == 0
        let (oh, ow) = flat ? (1, g.outputPlane) : (g.outputHeight, g.outputWidth)
        let (ih, iw) = flat ? (1, g.input.plane) : (g.input.h, g.input.w)
        // The padded copy: p zero rows and columns around each plane, plus slack so that full
        // 16-lane loads past the end of a row or of the last row stay inside the buffer.
        let paddedWidth = iw + 2 * p + 32
        let paddedHeight = ih + 2 * p + 2
        let paddedPlane = paddedWidth * paddedHeight
        let twoRows = ow <= 16
        // Tiles per image: (first output row, first output column) of each 8×32 tile.
        let tilesPerRow = twoRows ? 1 : (ow + 31) / 32
        let tileRows = twoRows ? (oh + 1) / 2 : oh
        let tilesPerImage = tileRows * tilesPerRow

        let packedWeight = PackedMatrix(transposed: false, rows: o, columns: g.patch, weight, ld: g.patch)
        // Offset of every kernel tap (c, ki, kj) in the padded image, in GEMM's k order.
        let tapOffsets = UnsafeMutablePointer<Int>.allocate(capacity: g.patch)
        defer { tapOffsets.deallocate() }
        for c in 0..<g.input.c {
            for ki in 0..<k { for kj in 0..<k { tapOffsets[(c * k + ki) * k + kj] = c * paddedPlane + ki * paddedWidth + kj } }
        }
        let second = twoRows ? paddedWidth : 16

        let work = g.input.n * tilesPerImage
        let ranges = Parallel.split(work, parts: min(threads, max(1, work * o * g.patch / 50_000)))
        Parallel.run(ranges.count) { t in
            let padded = Storage(zeros: g.input.c * paddedPlane)
            let tile = Storage(uninitializedCount: gemmMR * gemmNR)
            var paddedImage = -1
            for item in ranges[t] {
                let image = item / tilesPerImage, tileIndex = item % tilesPerImage
                if image != paddedImage {
                    // Copy the image inside the zero border (the border and slack stay zero).
                    let source = x + image * g.input.image
                    for c in 0..<g.input.c {
                        for r in 0..<ih {
                            (padded.pointer + c * paddedPlane + (r + p) * paddedWidth + p)
                                .update(from: source + (c * ih + r) * iw, count: iw)
                        }
                    }
                    paddedImage = image
                }
                let oy = (tileIndex / tilesPerRow) * (twoRows ? 2 : 1)
                let ox = (tileIndex % tilesPerRow) * 32
                let base = UnsafePointer(padded.pointer + oy * paddedWidth + ox)
                let out = y + image * g.outputImage
                for ic in stride(from: 0, to: o, by: gemmMR) {
                    for pc in stride(from: 0, to: g.patch, by: gemmKC) {
                        let kc = min(gemmKC, g.patch - pc)
                        microkernel8x32Direct(kc: kc, a: packedWeight.block(row: ic, col: pc, kc: kc),
                                              offsets: tapOffsets + pc, base: base, second: second,
                                              c: tile.pointer, accumulate: pc > 0)
                    }
                    // Keep the tile's valid rows (channels) and lanes (outputs), plus the bias.
                    for r in 0..<min(gemmMR, o - ic) {
                        let src = tile.pointer + r * gemmNR
                        let b = bias?[ic + r] ?? 0
                        let channel = out + (ic + r) * g.outputPlane
                        if twoRows {
                            for line in 0..<min(2, oh - oy) {
                                let dst = channel + (oy + line) * ow, lanes = src + line * 16
                                for e in 0..<ow { dst[e] = lanes[e] + b }
                            }
                        } else {
                            let dst = channel + oy * ow + ox
                            for e in 0..<min(32, ow - ox) { dst[e] = src[e] + b }
                        }
                    }
                }
            }
            withExtendedLifetime((padded, tile)) {}
        }
        withExtendedLifetime(packedWeight) {}
    }

    /// The 8×32 microkernel with B read in place: step q multiplies the 8 packed weights of tap
    /// `pc + q` by 16 floats at `base + offsets[q]` and 16 at `base + offsets[q] + second`.
    /// Writes (or adds to) the 8×32 tile `c`.
    @inline(__always)
    static func microkernel8x32Direct(kc: Int, a: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
                                      base: UnsafePointer<Float>, second: Int,
                                      c: UnsafeMutablePointer<Float>, accumulate: Bool) {
        typealias V = SIMD16<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
        var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
        var ap = a
        let raw = UnsafeRawPointer(base)
        let secondBytes = second &* 4
        for q in 0..<kc {
            let bp = raw + offsets[q] &* 4
            let b0 = bp.loadUnaligned(as: V.self)
            let b1 = bp.loadUnaligned(fromByteOffset: secondBytes, as: V.self)
            var av = V(repeating: ap[0]); c00.addProduct(av, b0); c01.addProduct(av, b1)
            av = V(repeating: ap[1]); c10.addProduct(av, b0); c11.addProduct(av, b1)
            av = V(repeating: ap[2]); c20.addProduct(av, b0); c21.addProduct(av, b1)
            av = V(repeating: ap[3]); c30.addProduct(av, b0); c31.addProduct(av, b1)
            av = V(repeating: ap[4]); c40.addProduct(av, b0); c41.addProduct(av, b1)
            av = V(repeating: ap[5]); c50.addProduct(av, b0); c51.addProduct(av, b1)
            av = V(repeating: ap[6]); c60.addProduct(av, b0); c61.addProduct(av, b1)
            av = V(repeating: ap[7]); c70.addProduct(av, b0); c71.addProduct(av, b1)
            ap += 8
        }
        @inline(__always) func store(_ row: Int, _ lo: V, _ hi: V) {
            let p = UnsafeMutableRawPointer(c + row * 32)
            if accumulate {
                p.storeBytes(of: p.loadUnaligned(as: V.self) + lo, as: V.self)
                p.storeBytes(of: p.loadUnaligned(fromByteOffset: 64, as: V.self) + hi, toByteOffset: 64, as: V.self)
            } else {
                p.storeBytes(of: lo, as: V.self)
                p.storeBytes(of: hi, toByteOffset: 64, as: V.self)
            }
        }
        store(0, c00, c01); store(1, c10, c11); store(2, c20, c21); store(3, c30, c31)
        store(4, c40, c41); store(5, c50, c51); store(6, c60, c61); store(7, c70, c71)
    }
}
