/// Vectorized transcendental functions on 16 lanes, for the elementwise kernels: the C
/// library's `expf` works one float at a time.
extension Kernels {
    /// e^x on 16 lanes, with a relative error below 2·10⁻⁷ (under 2 ulp) over the whole range.
    ///
    /// x = n·ln 2 + r with n an integer and |r| ≤ ln 2 / 2; e^r comes from a polynomial
    /// and 2^n from writing n straight into the exponent bits. Inputs are clamped to where e^x
    /// is a normal float (about −87.3 to 88.37), so large ones saturate near 2.6·10³⁸ instead
    /// of overflowing to infinity.
    @inline(__always)
    package static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        typealias I = SIMD16<Int32>
        let clamped = pointwiseMin(pointwiseMax(x, V(repeating: -87.3)), V(repeating: 88.37))
        // n = round(x / ln 2). Adding 1.5·2²³ pushes the fraction out of the mantissa, so the
        // float sum is x / ln 2 rounded to an integer, and its bits are n plus the bits of the
        // constant. (The generic `rounded()` and Int32 conversions of SIMD types are not
        // vectorized; these are.)
        let magic = V(repeating: 12_582_912)
        let shifted = clamped * V(repeating: 1.442_695_04) + magic
        let n = shifted - magic
        // r = x − n·ln 2, with ln 2 split in two so the product stays exact.
        var r = clamped.addingProduct(n, V(repeating: -0.693_145_751_953_125))
        r = r.addingProduct(n, V(repeating: -1.428_606_765_330_187e-06))
        // e^r = 1 + r + r²·q(r), q a degree-5 minimax polynomial (Cephes' expf coefficients).
        var q = V(repeating: 1.987_569_150_0e-4)
        q = V(repeating: 1.398_199_950_7e-3).addingProduct(q, r)
        q = V(repeating: 8.333_451_907_3e-3).addingProduct(q, r)
        q = V(repeating: 4.166_579_589_4e-2).addingProduct(q, r)
        q = V(repeating: 1.666_666_545_9e-1).addingProduct(q, r)
        q = V(repeating: 5.000_000_120_1e-1).addingProduct(q, r)
        let p = (r + 1).addingProduct(q, r * r)
        // 2^n: n + 127 in the exponent bits.
        let integer = unsafeBitCast(shifted, to: I.self) &- unsafeBitCast(magic, to: I.self)
        return p * unsafeBitCast((integer &+ 127) &<< 23, to: V.self)
    }

    /// 1 / (1 + e^−x) on 16 lanes.
    @inline(__always)
    package static func sigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> {
        1 / (1 + exp(-x))
    }

    /// Applies a 16-lane function to `count` floats, the tail through a zero-padded vector.
    /// Pass a closure (`{ sigmoid($0) }`), not a function's name: handed `sigmoid` itself, the
    /// compiler called it once a vector and computed it in four 4-lane pieces.
    @inline(__always)
    static func map16(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
                      _ f: (SIMD16<Float>) -> SIMD16<Float>) {
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(v), as: SIMD16<Float>.self)
            i += 16
        }
        if i < count {
            var v = SIMD16<Float>()
            for j in 0..<(count - i) { v[j] = x[i + j] }
            let r = f(v)
            for j in 0..<(count - i) { y[i + j] = r[j] }
        }
    }
}
