import Foundation

/// The 8×8 inverse discrete cosine transform that turns a block's coefficients back into samples
/// (T.81 A.3.3):
///
///     s(y, x) = ¼ Σu Σv C(u) C(v) S(v, u) cos((2x + 1)uπ/16) cos((2y + 1)vπ/16),  C(0) = 1/√2, else 1
///
/// It separates into eight 1-D transforms down the columns, then eight along the rows, each a
/// product with the matrix `basis[x][u] = C(u)/2 · cos((2x + 1)uπ/16)`. Two facts make that
/// product cheap:
/// - the even frequencies are symmetric about the middle of the block and the odd ones
///   antisymmetric (`basis[7 − x][u] = ±basis[x][u]`), so sums over each give outputs x and
///   7 − x at once: s(x) = even + odd, s(7 − x) = even − odd, half the multiplications;
/// - quantization leaves most of a photo's coefficients zero, mostly the high frequencies, so
///   the column pass stops at each column's highest nonzero coefficient and skips empty
///   columns, and the row pass sums over the columns that had any.
///
/// The plain reference is the definition above, summed in Double by the tests.
final class JPEGInverseDCT {
    /// `basis[x * 8 + u]`.
    private let basis = UnsafeMutablePointer<Float>.allocate(capacity: 64)
    /// The column pass's results, `columns[y * 8 + u]`.
    private let columns = UnsafeMutablePointer<Float>.allocate(capacity: 64)
    /// The even and the odd horizontal frequencies u whose columns are not all zero.
    private let usedEven = UnsafeMutablePointer<Int>.allocate(capacity: 4)
    private let usedOdd = UnsafeMutablePointer<Int>.allocate(capacity: 4)

    init() {
        for x in 0..<8 {
            for u in 0..<8 {
                let c = u == 0 ? 1 / 2.0.squareRoot() : 1
                basis[x * 8 + u] = Float(c / 2 * cos(Double(2 * x + 1) * Double(u) * .pi / 16))
            }
        }
    }

    deinit {
        basis.deallocate()
        columns.deallocate()
        usedEven.deallocate()
        usedOdd.deallocate()
    }

    /// Transforms `coefficients` (64 dequantized values, `coefficients[v * 8 + u]` for vertical
    /// frequency v and horizontal frequency u), adds 128 (the level shift) and writes the
    /// samples, rounded and clamped to 0...255, into an 8×8 square of `output` whose rows are
    /// `stride` apart. The coefficients are left zero, ready for the next block.
    func transform(_ coefficients: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<UInt8>, stride: Int) {
        let (basis, columns, usedEven, usedOdd) = (self.basis, self.columns, self.usedEven, self.usedOdd)
        var (evenCount, oddCount) = (0, 0)
        for u in 0..<8 {
            var highest = 7  // the highest vertical frequency in this column
            while highest > 0 && coefficients[highest * 8 + u] == 0 { highest -= 1 }
            if highest == 0 {
                let dc = coefficients[u]
                if dc == 0 { continue }
                // basis[y][0] is the same for every y.
                for y in 0..<8 { columns[y * 8 + u] = dc * basis[0] }
                coefficients[u] = 0
            } else {
                let column = coefficients + u  // column[v * 8] is S(v, u)
                for y in 0..<4 {
                    let b = basis + y * 8
                    var (even, odd): (Float, Float) = (0, 0)
                    var v = 0
                    while v < highest {
                        even += b[v] * column[v * 8]
                        odd += b[v + 1] * column[v * 8 + 8]
                        v += 2
                    }
                    if v == highest { even += b[v] * column[v * 8] }
                    columns[y * 8 + u] = even + odd
                    columns[(7 - y) * 8 + u] = even - odd
                }
                for v in 0...highest { column[v * 8] = 0 }
            }
            if u % 2 == 0 { usedEven[evenCount] = u; evenCount += 1 } else { usedOdd[oddCount] = u; oddCount += 1 }
        }
        for y in 0..<8 {
            let (row, samples) = (output + y * stride, columns + y * 8)
            for x in 0..<4 {
                let b = basis + x * 8
                var (even, odd): (Float, Float) = (128.5, 0)  // the level shift, and a half so that truncating rounds
                var i = 0
                while i < evenCount { even += b[usedEven[i]] * samples[usedEven[i]]; i += 1 }
                i = 0
                while i < oddCount { odd += b[usedOdd[i]] * samples[usedOdd[i]]; i += 1 }
                let (left, right) = (even + odd, even - odd)
                row[x] = left <= 0 ? 0 : left >= 255 ? 255 : UInt8(left)
                row[7 - x] = right <= 0 ? 0 : right >= 255 ? 255 : UInt8(right)
            }
        }
    }
}
