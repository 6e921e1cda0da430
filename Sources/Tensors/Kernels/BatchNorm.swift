/// Batch normalization over each channel, for x viewed as (N, C, S): S = H·W for images, 1 for
/// features. Channels are split over the threads; each channel's sums run in a fixed order.
extension Kernels {
    /// Training: normalizes with the batch's own mean and (biased) variance, writes them per
    /// channel into `mean` and `inverseStd` (1/√(var + ε)) for the backward pass, and y.
    package static func batchNormTrainingForward(
        _ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        epsilon: Float, y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
        variance: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>, threads: Int = Parallel.threadCount
    ) {
        let m = Float(n * s)
        Parallel.forRanges(c, threads: threads, grain: max(1, 16384 / max(n * s, 1))) { channels in
            for ch in channels {
                var total: Float = 0
                for i in 0..<n { total += sum(x + (i * c + ch) * s, count: s) }
                let mu = total / m
                var squares: Float = 0
                for i in 0..<n {
                    let row = x + (i * c + ch) * s
                    for e in 0..<s { let d = row[e] - mu; squares += d * d }
                }
                let v = squares / m
                let invStd = 1 / (v + epsilon).squareRoot()
                (mean[ch], variance[ch], inverseStd[ch]) = (mu, v, invStd)
                let scale = gamma[ch] * invStd, shift = beta[ch] - mu * scale
                for i in 0..<n {
                    let row = x + (i * c + ch) * s, out = y + (i * c + ch) * s
                    for e in 0..<s { out[e] = row[e] * scale + shift }
                }
            }
        }
    }

    /// Evaluation (and the backward pass of either mode): y = x·scale[c] + shift[c].
    package static func channelAffine(
        _ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, threads: Int = Parallel.threadCount
    ) {
        Parallel.forRanges(n * c, threads: threads, grain: max(1, 16384 / max(s, 1))) { rows in
            for r in rows {
                let ch = r % c, a = scale[ch], b = shift?[ch] ?? 0
                let row = x + r * s, out = y + r * s
                for e in 0..<s { out[e] = row[e] * a + b }
            }
        }
    }

    /// The training-mode gradient. With x̂ = (x − μ)·invStd and g = dy·γ, over the M = N·S values
    /// of a channel:  dx = invStd · (g − mean(g) − x̂ · mean(g·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy.
    package static func batchNormTrainingBackward(
        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, gamma: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>,
        threads: Int = Parallel.threadCount
    ) {
        let m = Float(n * s)
        Parallel.forRanges(c, threads: threads, grain: max(1, 16384 / max(n * s, 1))) { channels in
            for ch in channels {
                let mu = mean[ch], invStd = inverseStd[ch]
                var sumDy: Float = 0, sumDyXhat: Float = 0
                for i in 0..<n {
                    let g = dy + (i * c + ch) * s, row = x + (i * c + ch) * s
                    for e in 0..<s { sumDy += g[e]; sumDyXhat += g[e] * (row[e] - mu) * invStd }
                }
                (dgamma[ch], dbeta[ch]) = (sumDyXhat, sumDy)
                guard let dx else { continue }
                let k = gamma[ch] * invStd, meanDy = sumDy / m, meanDyXhat = sumDyXhat / m
                for i in 0..<n {
                    let g = dy + (i * c + ch) * s, row = x + (i * c + ch) * s, out = dx + (i * c + ch) * s
                    for e in 0..<s { out[e] = k * (g[e] - meanDy - (row[e] - mu) * invStd * meanDyXhat) }
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
            for ch in channels {
                var sumDy: Float = 0, sumDyXhat: Float = 0
                for i in 0..<n {
                    let g = dy + (i * c + ch) * s, row = x + (i * c + ch) * s
                    for e in 0..<s { sumDy += g[e]; sumDyXhat += g[e] * (row[e] - mean[ch]) * inverseStd[ch] }
                }
                (dgamma[ch], dbeta[ch]) = (sumDyXhat, sumDy)
            }
        }
    }
}
