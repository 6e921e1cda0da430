/// Batch normalization over each channel, for x viewed as (N, C, S): S = H·W for images, 1 for
/// features. Channels are split over the threads; each channel's sums run in a fixed order.
/// Every pass runs with the batch outermost, so that a thread's channels of one example are one
/// run of memory: a channel at a time, image after image, read a 12² plane (576 bytes) and then
/// jumped a whole image on, which the prefetcher does not follow. Against that order (`bench
/// "norm batch"`, forward / backward, 2-core AMD EPYC): DenseNet's 192 channels at 12² 2.1 / 2.3
/// times as fast, BN-LeNet's 16 at 8² 1.5 / 1.9, ResNet's 64 at 24² 1.2 / 1.2; BN-LeNet's 6 at
/// 24² 0.92 / 1.09, where a channel of the batch (590 KB) had stayed in L2 between passes.
///
/// With `thenReLU`, the forward writes max(y, 0), and the training backward of images takes the
/// gradient with respect to that: the ReLU runs in the same pass over memory, not in two more
/// (a ReLU layer's forward reads and writes a whole tensor, its backward reads two and writes one).
extension Kernels {
    /// Training: normalizes with the batch's own mean and (biased) variance, writes them per
    /// channel into `mean` and `inverseStd` (1/√(var + ε)) for the backward pass, and y (or
    /// max(y, 0), `thenReLU`).
    package static func batchNormTrainingForward(
        _ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        epsilon: Float, y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
        variance: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>, thenReLU: Bool = false,
        threads: Int = Parallel.threadCount
    ) {
        let m = Float(n * s)
        Parallel.forRanges(c, threads: threads, grain: max(1, 16384 / max(n * s, 1))) { channels in
            if s == 1 {
                // Features: one value per channel and example, so each sum runs down a column;
                // the batch outermost lets the loops run along the rows' channels in vectors.
                let scale = Storage(uninitializedCount: channels.count), shift = Storage(uninitializedCount: channels.count)
                let (first, count) = (channels.lowerBound, channels.count)
                let (mu, v) = (mean + first, variance + first)
                mu.update(repeating: 0, count: count)
                v.update(repeating: 0, count: count)
                for i in 0..<n { let row = x + i * c + first; for j in 0..<count { mu[j] += row[j] } }
                for j in 0..<count { mu[j] /= m }
                for i in 0..<n { let row = x + i * c + first; for j in 0..<count { let d = row[j] - mu[j]; v[j] += d * d } }
                for j in 0..<count {
                    v[j] /= m
                    inverseStd[first + j] = 1 / (v[j] + epsilon).squareRoot()
                    scale.pointer[j] = gamma[first + j] * inverseStd[first + j]
                    shift.pointer[j] = beta[first + j] - mu[j] * scale.pointer[j]
                }
                for i in 0..<n {
                    let row = x + i * c + first, out = y + i * c + first
                    for j in 0..<count { out[j] = affine(row[j], scale.pointer[j], shift.pointer[j], thenReLU: thenReLU) }
                }
                withExtendedLifetime((scale, shift)) {}
                return
            }
            let (first, count) = (channels.lowerBound, channels.count)
            var moments = [Moments](repeating: Moments(), count: count)
            for i in 0..<n {
                for j in 0..<count { moments[j].add(x + (i * c + first + j) * s, count: s) }
            }
            var affines = [(scale: Float, shift: Float)]()
            for (j, moment) in moments.enumerated() {
                let ch = first + j, invStd = 1 / (moment.variance + epsilon).squareRoot()
                (mean[ch], variance[ch], inverseStd[ch]) = (moment.mean, moment.variance, invStd)
                affines.append(affine(gamma: gamma[ch], beta: beta[ch], mean: moment.mean, inverseStd: invStd))
            }
            for i in 0..<n {
                for (j, a) in affines.enumerated() {
                    let row = x + (i * c + first + j) * s, out = y + (i * c + first + j) * s
                    for e in 0..<s { out[e] = affine(row[e], a.scale, a.shift, thenReLU: thenReLU) }
                }
            }
        }
    }

    /// The mean and (biased) variance of a channel's values, taken a piece of a row at a time
    /// and read from memory once: each piece (at most `piece` floats, so it is still in L1 for
    /// its second pass) gives its own mean and sum of squared deviations, and the pieces combine
    /// in order by Chan's rule, M2 = M2ₐ + M2ᵦ + δ²·nₐ·nᵦ / (nₐ + nᵦ), δ the difference of their
    /// means. (The whole channel's mean and then its deviations read it twice from memory.)
    package struct Moments {
        private var count = 0, sum: Float = 0, squares: Float = 0
        /// 16 KB: L1 holds a piece for its second pass.
        package static let piece = 4096

        var mean: Float { sum / Float(count) }
        var variance: Float { squares / Float(count) }

        mutating func add(_ row: UnsafePointer<Float>, count length: Int) {
            for start in stride(from: 0, to: length, by: Self.piece) {
                let pieceLength = min(Self.piece, length - start), piece = row + start
                let pieceCount = Float(pieceLength), pieceSum = Kernels.sum(piece, count: pieceLength)
                let pieceSquares = Kernels.sumOfSquaredDeviations(piece, count: pieceLength, mean: pieceSum / pieceCount)
                if count > 0 {
                    let delta = pieceSum / pieceCount - mean
                    squares += delta * delta * (Float(count) * pieceCount / Float(count + pieceLength))
                }
                squares += pieceSquares
                sum += pieceSum
                count += pieceLength
            }
        }
    }

    /// The scale and shift a channel's normalization comes to: y = x·scale + shift.
    @inline(__always)
    static func affine(gamma: Float, beta: Float, mean: Float, inverseStd: Float) -> (scale: Float, shift: Float) {
        let scale = gamma * inverseStd
        return (scale, beta - mean * scale)
    }

    /// x·scale + shift, or max(x·scale + shift, 0) with `thenReLU`; the backward recomputes it to
    /// find where the ReLU passed its gradient, so both must round alike.
    @inline(__always)
    static func affine(_ x: Float, _ scale: Float, _ shift: Float, thenReLU: Bool) -> Float {
        let y = x * scale + shift
        return thenReLU ? max(y, 0) : y
    }

    /// Evaluation (and the backward pass of either mode): y = x·scale[c] + shift[c], or
    /// max(that, 0) with `thenReLU`.
    package static func channelAffine(
        _ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, thenReLU: Bool = false, threads: Int = Parallel.threadCount
    ) {
        Parallel.forRanges(n * c, threads: threads, grain: max(1, 16384 / max(s, 1))) { rows in
            for r in rows {
                let ch = r % c, a = scale[ch], b = shift?[ch] ?? 0
                let row = x + r * s, out = y + r * s
                for e in 0..<s { out[e] = affine(row[e], a, b, thenReLU: thenReLU) }
            }
        }
    }

    /// The training-mode gradient. With x̂ = (x − μ)·invStd and g = dy·γ, over the M = N·S values
    /// of a channel:  dx = invStd · (g − mean(g) − x̂ · mean(g·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy.
    ///
    /// Given `reluBeta` (β, images only), dy is the gradient with respect to max(y, 0) (the forward
    /// `thenReLU`), and counts only where y > 0, with y recomputed from x as the forward did.
    package static func batchNormTrainingBackward(
        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, gamma: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>,
        reluBeta: UnsafePointer<Float>? = nil, threads: Int = Parallel.threadCount
    ) {
        precondition(reluBeta == nil || s > 1, "the ReLU's gradient is folded in for images only")
        let m = Float(n * s)
        Parallel.forRanges(c, threads: threads, grain: max(1, 16384 / max(n * s, 1))) { channels in
            if s == 1 {
                // Features: the sums down each column, the batch outermost (as in the forward).
                featureGradientSums(dy, x, n: n, c: c, channels: channels, mean: mean, inverseStd: inverseStd,
                                    dgamma: dgamma, dbeta: dbeta)
                guard let dx else { return }
                let (first, count) = (channels.lowerBound, channels.count)
                for i in 0..<n {
                    let g = dy + i * c + first, row = x + i * c + first, out = dx + i * c + first
                    for j in 0..<count {
                        let ch = first + j, invStd = inverseStd[ch]
                        out[j] = gamma[ch] * invStd * (g[j] - dbeta[ch] / m - (row[j] - mean[ch]) * invStd * (dgamma[ch] / m))
                    }
                }
                return
            }
            let relus = reluBeta.map { beta in
                channels.map { affine(gamma: gamma[$0], beta: beta[$0], mean: mean[$0], inverseStd: inverseStd[$0]) }
            }
            imageGradientSums(dy, x, n: n, c: c, s: s, channels: channels, mean: mean, inverseStd: inverseStd, relus: relus,
                              dgamma: dgamma, dbeta: dbeta)
            guard let dx else { return }
            for i in 0..<n {
                for ch in channels {
                    let mu = mean[ch], invStd = inverseStd[ch]
                    let k = gamma[ch] * invStd, meanDy = dbeta[ch] / m, meanDyXhat = dgamma[ch] / m
                    let g = dy + (i * c + ch) * s, row = x + (i * c + ch) * s, out = dx + (i * c + ch) * s
                    if let relu = relus?[ch - channels.lowerBound] {
                        for e in 0..<s {
                            let passed = affine(row[e], relu.scale, relu.shift, thenReLU: false) > 0 ? g[e] : 0
                            out[e] = k * (passed - meanDy - (row[e] - mu) * invStd * meanDyXhat)
                        }
                    } else {
                        for e in 0..<s { out[e] = k * (g[e] - meanDy - (row[e] - mu) * invStd * meanDyXhat) }
                    }
                }
            }
        }
    }

    /// Σ dy and Σ dy·x̂ per channel for the evaluation-mode gradient, x̂ = (x − μ)·invStd with
    /// the running statistics.
    package static func channelGradientSums(
        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, mean: UnsafePointer<Float>,
        inverseStd: UnsafePointer<Float>, dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>,
        threads: Int = Parallel.threadCount
    ) {
        Parallel.forRanges(c, threads: threads, grain: max(1, 16384 / max(n * s, 1))) { channels in
            if s == 1 {
                featureGradientSums(dy, x, n: n, c: c, channels: channels, mean: mean, inverseStd: inverseStd,
                                    dgamma: dgamma, dbeta: dbeta)
                return
            }
            imageGradientSums(dy, x, n: n, c: c, s: s, channels: channels, mean: mean, inverseStd: inverseStd, relus: nil,
                              dgamma: dgamma, dbeta: dbeta)
        }
    }

    /// dbeta = Σ dy and dgamma = Σ dy·x̂ for the features `channels` of x viewed as (N, C), the
    /// sums down each column in order, the batch outermost.
    static func featureGradientSums(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, n: Int, c: Int, channels: Range<Int>,
                                    mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
                                    dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>) {
        let (first, count) = (channels.lowerBound, channels.count)
        let (sumDy, sumDyDeviation) = (dbeta + first, dgamma + first)
        sumDy.update(repeating: 0, count: count)
        sumDyDeviation.update(repeating: 0, count: count)
        for i in 0..<n {
            let g = dy + i * c + first, row = x + i * c + first
            for j in 0..<count {
                sumDy[j] += g[j]
                sumDyDeviation[j] += g[j] * (row[j] - mean[first + j])
            }
        }
        for j in 0..<count { sumDyDeviation[j] *= inverseStd[first + j] }
    }

    /// dbeta = Σ dy and dgamma = Σ dy·x̂ for the image channels `channels`, x̂ = (x − mean)·
    /// inverseStd, each channel's sums image by image in order, the batch outermost; with
    /// `relus` (each channel's scale and shift), dy counts only where x·scale + shift > 0.
    static func imageGradientSums(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                                  channels: Range<Int>, mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
                                  relus: [(scale: Float, shift: Float)]?,
                                  dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>) {
        let (first, count) = (channels.lowerBound, channels.count)
        // The sums stay in the thread's own memory until the end: dγ and dβ of the other
        // threads' channels share their cache lines (BN-LeNet's 16 channels are one line each).
        var (sumDy, sumDyDeviation) = ([Float](repeating: 0, count: count), [Float](repeating: 0, count: count))
        for i in 0..<n {
            for j in 0..<count {
                let at = (i * c + first + j) * s
                let sums = gradientSums(dy + at, x + at, count: s, mean: mean[first + j], relu: relus?[j])
                sumDy[j] += sums.g
                sumDyDeviation[j] += sums.gTimesDeviation
            }
        }
        for j in 0..<count { (dbeta[first + j], dgamma[first + j]) = (sumDy[j], sumDyDeviation[j] * inverseStd[first + j]) }
    }
}
