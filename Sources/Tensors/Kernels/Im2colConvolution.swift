/// Convolution as darknet computes it: im2col, then one GEMM per image.
///
/// For each image, im2col copies every receptive field into a column of an explicit matrix col
/// (C·K·K rows (c, ki, kj), OH·OW columns); the image's y and dy are (O, OH·OW) matrices as
/// NCHW stores them, so the GEMMs read and write them in place:
///     forward:          y    = w · col, then add the bias
///     input gradient:   dcol = wᵀ · dy, then col2im adds dcol into dx
///     weight gradient:  dw  += dy · colᵀ
/// A 1×1 convolution with stride 1 and no padding has col = x, so it skips im2col and col2im.
/// This is the readable step between `Reference.conv2d`'s loops and the packed algorithm, which
/// does the same GEMMs without building col (PackedConvolution.swift).
///
/// Threads take whole images (or, for the weight gradient, whole slices of the batch), each
/// with a col matrix of its own; each GEMM runs on one thread.
extension Kernels {
    /// x is (N, C, H, W), weight is (O, C, K, K), bias is (O) or nil; writes y, (N, O, OH, OW).
    static func conv2dForwardIm2col(
        x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let (o, plane) = (g.outChannels, g.outputPlane)
        let ranges = Parallel.split(g.input.n, parts: threads)
        Parallel.run(ranges.count) { t in
            let col = Storage(uninitializedCount: g.skipsIm2col ? 0 : g.patch * plane)
            for image in ranges[t] {
                let xi = x + image * g.input.image, yi = y + image * g.outputImage
                if !g.skipsIm2col { im2col(xi, g, into: col.pointer) }
                // y (O, OH·OW) = w (O, C·K·K) · col (C·K·K, OH·OW)
                gemm(m: o, n: plane, k: g.patch, a: weight, lda: g.patch,
                     b: g.skipsIm2col ? xi : UnsafePointer(col.pointer), ldb: plane, c: yi, ldc: plane, threads: 1)
                if let bias {
                    for oc in 0..<o {
                        let row = yi + oc * plane
                        for e in 0..<plane { row[e] += bias[oc] }
                    }
                }
            }
            withExtendedLifetime(col) {}
        }
    }

    /// dy is (N, O, OH, OW), weight is (O, C, K, K); writes dx, (N, C, H, W).
    static func conv2dBackwardInputIm2col(
        dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, _ g: ConvGeometry,
        dx: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let (o, plane) = (g.outChannels, g.outputPlane)
        let ranges = Parallel.split(g.input.n, parts: threads)
        Parallel.run(ranges.count) { t in
            let dcol = Storage(uninitializedCount: g.skipsIm2col ? 0 : g.patch * plane)
            for image in ranges[t] {
                let dyi = dy + image * g.outputImage, dxi = dx + image * g.input.image
                // dcol (C·K·K, OH·OW) = wᵀ (C·K·K, O) · dy (O, OH·OW)
                gemm(transA: true, m: g.patch, n: plane, k: o, a: weight, lda: g.patch,
                     b: dyi, ldb: plane, c: g.skipsIm2col ? dxi : dcol.pointer, ldc: plane, threads: 1)
                if !g.skipsIm2col { col2im(dcol.pointer, ld: plane, g, into: dxi) }
            }
            withExtendedLifetime(dcol) {}
        }
    }

    /// dy is (N, O, OH, OW), x is (N, C, H, W); writes the weight gradient of each slice of the
    /// batch, (O, C, K, K), to `outputs(slice)`.
    static func conv2dBackwardWeightIm2col(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ g: ConvGeometry,
        slices: [Range<Int>], outputs: (Int) -> UnsafeMutablePointer<Float>, threads: Int
    ) {
        let (o, plane) = (g.outChannels, g.outputPlane)
        let perThread = Parallel.split(slices.count, parts: threads)
        Parallel.run(perThread.count) { t in
            let col = Storage(uninitializedCount: g.skipsIm2col ? 0 : g.patch * plane)
            for s in perThread[t] {
                for image in slices[s] {
                    let xi = x + image * g.input.image
                    if !g.skipsIm2col { im2col(xi, g, into: col.pointer) }
                    // dw (O, C·K·K) += dy (O, OH·OW) · colᵀ (OH·OW, C·K·K); the slice's first image sets it.
                    gemm(transB: true, m: o, n: g.patch, k: plane, a: dy + image * g.outputImage, lda: plane,
                         b: g.skipsIm2col ? xi : UnsafePointer(col.pointer), ldb: plane,
                         c: outputs(s), ldc: g.patch, accumulate: image > slices[s].lowerBound, threads: 1)
                }
            }
            withExtendedLifetime(col) {}
        }
    }

    /// Copies the receptive fields of one (C, H, W) image into col, (C·K·K, OH·OW):
    /// col[(c, ki, kj), (oy, ox)] = x[c, oy·s − p + ki, ox·s − p + kj], zero outside the image.
    static func im2col(_ x: UnsafePointer<Float>, _ g: ConvGeometry, into col: UnsafeMutablePointer<Float>) {
        let (h, w, k, s, p) = (g.input.h, g.input.w, g.window.size, g.window.stride, g.window.padding)
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        for c in 0..<g.input.c {
            let plane = x + c * h * w
            for ki in 0..<k {
                for kj in 0..<k {
                    var dst = col + ((c * k + ki) * k + kj) * oh * ow
                    // The outputs ox whose input column ox·s − p + kj is inside the image.
                    let (first, last) = validRange(offset: kj - p, stride: s, outputs: ow, inputs: w)
                    for oy in 0..<oh {
                        let iy = oy * s - p + ki
                        if iy >= 0 && iy < h {
                            let row = plane + iy * w + kj - p
                            for ox in 0..<first { dst[ox] = 0 }
                            for ox in first..<max(first, last) { dst[ox] = row[ox * s] }
                            for ox in max(first, last)..<ow { dst[ox] = 0 }
                        } else {
                            dst.update(repeating: 0, count: ow)
                        }
                        dst += ow
                    }
                }
            }
        }
    }

    /// Adds the im2col-shaped gradient of one image (rows (c, ki, kj), row stride `ld`) back into
    /// its (C, H, W) gradient `dx`, which it first clears.
    static func col2im(_ dcol: UnsafePointer<Float>, ld: Int, _ g: ConvGeometry, into dx: UnsafeMutablePointer<Float>) {
        let (h, w, k, s, p) = (g.input.h, g.input.w, g.window.size, g.window.stride, g.window.padding)
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        dx.update(repeating: 0, count: g.input.image)
        for c in 0..<g.input.c {
            let plane = dx + c * h * w
            for ki in 0..<k {
                for kj in 0..<k {
                    var src = dcol + ((c * k + ki) * k + kj) * ld
                    let (first, last) = validRange(offset: kj - p, stride: s, outputs: ow, inputs: w)
                    for oy in 0..<oh {
                        let iy = oy * s - p + ki
                        if iy >= 0 && iy < h {
                            let row = plane + iy * w + kj - p
                            if s == 1 {
                                for ox in first..<max(first, last) { row[ox] += src[ox] }
                            } else {
                                for ox in first..<max(first, last) { row[ox * s] += src[ox] }
                            }
                        }
                        src += ow
                    }
                }
            }
        }
    }

}
