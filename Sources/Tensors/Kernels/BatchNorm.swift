/// Batch normalization over each channel, for x viewed as (N, C, S): S = H·W for images, 1 for
/// features. Channels are split over the threads; each channel's sums run in a fixed order.
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
            for ch in channels {
                var total: Float = 0
                for i in 0..<n { total += sum(x + (i * c + ch) * s, count: s) }
                let mu = total / m
                var squares: Float = 0
                for i in 0..<n { squares += sumOfSquaredDeviations(x + (i * c + ch) * s, count: s, mean: mu) }
                let v = squares / m
                let invStd = 1 / (v + epsilon).squareRoot()
                (mean[ch], variance[ch], inverseStd[ch]) = (mu, v, invStd)
                let (scale, shift) = affine(gamma: gamma[ch], beta: beta[ch], mean: mu, inverseStd: invStd)
                for i in 0..<n {
                    let row = x + (i * c + ch) * s, out = y + (i * c + ch) * s
                    for e in 0..<s { out[e] = affine(row[e], scale, shift, thenReLU: thenReLU) }
                }
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
            for ch in channels {
                let mu = mean[ch], invStd = inverseStd[ch]
                let relu = reluBeta.map { affine(gamma: gamma[ch], beta: $0[ch], mean: mu, inverseStd: invStd) }
                let (sumDy, sumDyXhat) = channelGradientSums(dy, x, n: n, c: c, s: s, channel: ch, mean: mu, inverseStd: invStd,
                                                             relu: relu)
                (dgamma[ch], dbeta[ch]) = (sumDyXhat, sumDy)
                guard let dx else { continue }
                let k = gamma[ch] * invStd, meanDy = sumDy / m, meanDyXhat = sumDyXhat / m
                for i in 0..<n {
                    let g = dy + (i * c + ch) * s, row = x + (i * c + ch) * s, out = dx + (i * c + ch) * s
                    if let relu {
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
            for ch in channels {
                let (sumDy, sumDyXhat) = channelGradientSums(dy, x, n: n, c: c, s: s, channel: ch, mean: mean[ch],
                                                             inverseStd: inverseStd[ch])
                (dgamma[ch], dbeta[ch]) = (sumDyXhat, sumDy)
            }
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

    /// Σ dy and Σ dy·x̂ over one channel's values, x̂ = (x − mean)·inverseStd; with `relu`, dy
    /// counts only where x·scale + shift > 0.
    static func channelGradientSums(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                                    channel ch: Int, mean: Float, inverseStd: Float,
                                    relu: (scale: Float, shift: Float)? = nil) -> (Float, Float) {
        var sumDy: Float = 0, sumDyDeviation: Float = 0
        for i in 0..<n {
            let sums = gradientSums(dy + (i * c + ch) * s, x + (i * c + ch) * s, count: s, mean: mean, relu: relu)
            sumDy += sums.g
            sumDyDeviation += sums.gTimesDeviation
        }
        return (sumDy, sumDyDeviation * inverseStd)
    }
}
