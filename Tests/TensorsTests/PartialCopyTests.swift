import Testing
@testable import Tensors

/// The copies that move a short run of floats in vector pieces: each must write exactly its
/// count, since what lies past it is often another row's outputs, written before.
@Suite struct PartialCopyTests {
    /// `storeFirst` for every count from 0 to 32: the first `count` floats of the vector, and
    /// the sentinels around them untouched.
    @Test func storeFirstWritesItsCountAndNothingPast() {
        let v = SIMD32<Float>((0..<32).map { Float($0 + 1) })
        for count in 0...32 {
            var buffer = [Float](repeating: -1, count: 40)
            buffer.withUnsafeMutableBufferPointer { Kernels.storeFirst(count, of: v, to: $0.baseAddress! + 4) }
            let expected = [Float](repeating: -1, count: 4) + (0..<count).map { Float($0 + 1) }
                + [Float](repeating: -1, count: 36 - count)
            #expect(buffer == expected, "count \(count)")
        }
    }

    /// `copyFloats` for counts across its paths (pieces under 16, overlapping vectors up to 256,
    /// memmove above), from an odd offset.
    @Test func copyFloatsWritesItsCountAndNothingPast() {
        let source = (0..<300).map { Float($0 + 1) }
        for count in Array(0...40) + [63, 64, 65, 255, 256, 257, 299] {
            var target = [Float](repeating: -1, count: 310)
            source.withUnsafeBufferPointer { from in
                target.withUnsafeMutableBufferPointer { Kernels.copyFloats(count, from: from.baseAddress! + 1, to: $0.baseAddress! + 3) }
            }
            let expected = [Float](repeating: -1, count: 3) + source[1..<(1 + count)] + [Float](repeating: -1, count: 307 - count)
            #expect(target == expected, "count \(count)")
        }
    }
}
