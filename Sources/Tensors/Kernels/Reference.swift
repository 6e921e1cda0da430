import Foundation

/// Plain loops, written to be read: the definition of each operation, with no blocking, no
/// threads and no vectors. Generic over the scalar so tests can run them in `Double` and take
/// finite differences precise enough to check the fast kernels' gradients.
///
/// Arrays are row-major; images are NCHW.
package enum Reference {
    /// C (m×n) = op(A) · op(B); op(A) is m×k (A stored k×m when `transA`), op(B) is k×n.
    package static func gemm<T: BinaryFloatingPoint>(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, a: [T], b: [T]
    ) -> [T] {
        var c = [T](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var total: T = 0
                for p in 0..<k {
                    let aip = transA ? a[p * m + i] : a[i * k + p]
                    let bpj = transB ? b[j * k + p] : b[p * n + j]
                    total += aip * bpj
                }
                c[i * n + j] = total
            }
        }
        return c
    }

    /// y[n, o, oy, ox] = bias[o] + Σ_{c, ki, kj} w[o, c, ki, kj] · x[n, c, oy·s − p + ki, ox·s − p + kj]
    /// (zero outside the image). x is (N, C, H, W), w is (O, C, K, K).
    package static func conv2d<T: BinaryFloatingPoint>(
        _ x: [T], _ input: ImageBatch, weight w: [T], bias: [T]?, outChannels o: Int, window: Window
    ) -> [T] {
        let (k, s, p) = (window.size, window.stride, window.padding)
        let (oh, ow) = (window.outputSize(input.h), window.outputSize(input.w))
        var y = [T](repeating: 0, count: input.n * o * oh * ow)
        for n in 0..<input.n {
            for oc in 0..<o {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var total: T = bias?[oc] ?? 0
                        for c in 0..<input.c {
                            for ki in 0..<k {
                                for kj in 0..<k {
                                    let iy = oy * s - p + ki, ix = ox * s - p + kj
                                    guard iy >= 0, iy < input.h, ix >= 0, ix < input.w else { continue }
                                    total += w[((oc * input.c + c) * k + ki) * k + kj]
                                        * x[((n * input.c + c) * input.h + iy) * input.w + ix]
                                }
                            }
                        }
                        y[((n * o + oc) * oh + oy) * ow + ox] = total
                    }
                }
            }
        }
        return y
    }

    /// dx of `conv2d` given dy: every term w·x of the forward sum sends w·dy back to its x.
    /// dy is (N, O, OH, OW), w is (O, C, K, K); dx is (N, C, H, W).
    package static func conv2dBackwardInput<T: BinaryFloatingPoint>(
        dy: [T], _ input: ImageBatch, weight w: [T], outChannels o: Int, window: Window
    ) -> [T] {
        let (k, s, p) = (window.size, window.stride, window.padding)
        let (oh, ow) = (window.outputSize(input.h), window.outputSize(input.w))
        var dx = [T](repeating: 0, count: input.n * input.image)
        for n in 0..<input.n {
            for oc in 0..<o {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let g = dy[((n * o + oc) * oh + oy) * ow + ox]
                        for c in 0..<input.c {
                            for ki in 0..<k {
                                for kj in 0..<k {
                                    let iy = oy * s - p + ki, ix = ox * s - p + kj
                                    guard iy >= 0, iy < input.h, ix >= 0, ix < input.w else { continue }
                                    dx[((n * input.c + c) * input.h + iy) * input.w + ix] += w[((oc * input.c + c) * k + ki) * k + kj] * g
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    /// dweight and dbias of `conv2d` given dy: every term w·x of the forward sum sends x·dy back
    /// to its w, and every output sends dy to its bias. dy is (N, O, OH, OW), x is (N, C, H, W).
    package static func conv2dBackwardWeight<T: BinaryFloatingPoint>(
        dy: [T], _ x: [T], _ input: ImageBatch, outChannels o: Int, window: Window
    ) -> (dweight: [T], dbias: [T]) {
        let (k, s, p) = (window.size, window.stride, window.padding)
        let (oh, ow) = (window.outputSize(input.h), window.outputSize(input.w))
        var dw = [T](repeating: 0, count: o * input.c * k * k)
        var db = [T](repeating: 0, count: o)
        for n in 0..<input.n {
            for oc in 0..<o {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let g = dy[((n * o + oc) * oh + oy) * ow + ox]
                        db[oc] += g
                        for c in 0..<input.c {
                            for ki in 0..<k {
                                for kj in 0..<k {
                                    let iy = oy * s - p + ki, ix = ox * s - p + kj
                                    guard iy >= 0, iy < input.h, ix >= 0, ix < input.w else { continue }
                                    dw[((oc * input.c + c) * k + ki) * k + kj] += x[((n * input.c + c) * input.h + iy) * input.w + ix] * g
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dw, db)
    }

    /// y[n, c, oy, ox] = max of x over the window (padding never wins).
    package static func maxPool2d<T: BinaryFloatingPoint>(_ x: [T], _ input: ImageBatch, window: Window) -> [T] {
        pool(x, input, window: window) { values, _ in values.max()! }
    }

    /// y[n, c, oy, ox] = sum of x over the window / K² (padding counts as zeros).
    package static func avgPool2d<T: BinaryFloatingPoint>(_ x: [T], _ input: ImageBatch, window: Window) -> [T] {
        pool(x, input, window: window) { values, k in values.reduce(0, +) / T(k * k) }
    }

    private static func pool<T: BinaryFloatingPoint>(
        _ x: [T], _ input: ImageBatch, window: Window, _ reduce: ([T], Int) -> T
    ) -> [T] {
        let (k, s, p) = (window.size, window.stride, window.padding)
        let (oh, ow) = (window.outputSize(input.h), window.outputSize(input.w))
        var y: [T] = []
        for plane in 0..<(input.n * input.c) {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var values: [T] = []
                    for iy in (oy * s - p)..<(oy * s - p + k) where iy >= 0 && iy < input.h {
                        for ix in (ox * s - p)..<(ox * s - p + k) where ix >= 0 && ix < input.w {
                            values.append(x[(plane * input.h + iy) * input.w + ix])
                        }
                    }
                    y.append(reduce(values, k))
                }
            }
        }
        return y
    }

    /// Average over the bins ⌊i·H/OH⌋ ..< ⌈(i+1)·H/OH⌉ (and likewise across).
    package static func adaptiveAvgPool2d<T: BinaryFloatingPoint>(
        _ x: [T], _ input: ImageBatch, outputHeight oh: Int, outputWidth ow: Int
    ) -> [T] {
        var y: [T] = []
        for plane in 0..<(input.n * input.c) {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let rows = (oy * input.h / oh)..<(((oy + 1) * input.h + oh - 1) / oh)
                    let cols = (ox * input.w / ow)..<(((ox + 1) * input.w + ow - 1) / ow)
                    var total: T = 0
                    for iy in rows { for ix in cols { total += x[(plane * input.h + iy) * input.w + ix] } }
                    y.append(total / T(rows.count * cols.count))
                }
            }
        }
        return y
    }

    package static func relu<T: BinaryFloatingPoint>(_ x: [T]) -> [T] { x.map { max($0, 0) } }

    package static func sigmoid<T: BinaryFloatingPoint>(_ x: [T]) -> [T] {
        x.map { T(1 / (1 + Foundation.exp(-Double($0)))) }
    }

    /// y (N, out) = x (N, in) · wᵀ + bias, with w (out, in).
    package static func linear<T: BinaryFloatingPoint>(_ x: [T], rows n: Int, weight w: [T], bias: [T]?,
                                                      inFeatures: Int, outFeatures: Int) -> [T] {
        var y = gemm(transB: true, m: n, n: outFeatures, k: inFeatures, a: x, b: w)
        if let bias { for i in 0..<n { for j in 0..<outFeatures { y[i * outFeatures + j] += bias[j] } } }
        return y
    }

    /// Mean over rows of −log softmax(logits)[label], with logits (N, C).
    package static func softmaxCrossEntropy<T: BinaryFloatingPoint>(_ logits: [T], labels: [Int], classes c: Int) -> T {
        var total: T = 0
        for (i, label) in labels.enumerated() {
            let row = logits[(i * c)..<(i * c + c)]
            let top = row.max()!
            let logSum = Foundation.log(row.reduce(0.0) { $0 + Foundation.exp(Double($1 - top)) })
            total += T(logSum) + top - logits[i * c + label]
        }
        return total / T(labels.count)
    }

    /// Batch normalization of x viewed as (N, C, S), per channel: with the batch's mean and
    /// biased variance when `running` is nil, else with the given (mean, variance) per channel.
    package static func batchNorm<T: BinaryFloatingPoint>(
        _ x: [T], n: Int, c: Int, s: Int, gamma: [T], beta: [T], running: (mean: [T], variance: [T])? = nil,
        epsilon: T = 1e-5
    ) -> [T] {
        var y = x
        for ch in 0..<c {
            var values: [T] = []
            for i in 0..<n { for e in 0..<s { values.append(x[(i * c + ch) * s + e]) } }
            let mean = running?.mean[ch] ?? values.reduce(0, +) / T(values.count)
            let variance = running?.variance[ch] ?? values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / T(values.count)
            let std = T(Double(variance + epsilon).squareRoot())
            for i in 0..<n { for e in 0..<s { let k = (i * c + ch) * s + e; y[k] = gamma[ch] * (x[k] - mean) / std + beta[ch] } }
        }
        return y
    }

    /// Concatenation of NCHW tensors along channels.
    package static func concatChannels<T>(_ parts: [[T]], _ inputs: [ImageBatch]) -> [T] {
        var y: [T] = []
        for n in 0..<inputs[0].n {
            for (part, input) in zip(parts, inputs) {
                y += part[(n * input.image)..<((n + 1) * input.image)]
            }
        }
        return y
    }
}
