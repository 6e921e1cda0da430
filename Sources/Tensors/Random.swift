import Foundation
import Synchronization

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64): the same seed gives
/// the same numbers on every machine.
///
///     let g = RandomGenerator(seed: 42)
///     g.uniform(-1, 1)
///     g.shuffle(&indices)
public final class RandomGenerator: Sendable {
    /// xoshiro256**'s four words of state.
    private struct Words {
        var s: (UInt64, UInt64, UInt64, UInt64)

        mutating func next() -> UInt64 {
            let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
            let t = s.1 << 17
            s.2 ^= s.0
            s.3 ^= s.1
            s.1 ^= s.2
            s.0 ^= s.3
            s.2 ^= t
            s.3 = s.3 << 45 | s.3 >> 19
            return result
        }

        /// Uniform in [0, 1), with 24 random bits: every value is exactly a `Float`.
        mutating func unit() -> Float { Float(next() >> 40) * 0x1p-24 }
    }

    /// One generator may serve several threads; each draw takes the lock.
    private let words: Mutex<Words>

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        words = Mutex(Words(s: (splitMix(), splitMix(), splitMix(), splitMix())))
    }

    /// The generator's four words: read them to save where it is, set them to continue from there.
    public var state: [UInt64] {
        get { words.withLock { [$0.s.0, $0.s.1, $0.s.2, $0.s.3] } }
        set {
            precondition(newValue.count == 4, "a generator state has 4 words, not \(newValue.count)")
            words.withLock { $0.s = (newValue[0], newValue[1], newValue[2], newValue[3]) }
        }
    }

    public func next() -> UInt64 { words.withLock { $0.next() } }

    /// Uniform in [low, high).
    public func uniform(_ low: Float = 0, _ high: Float = 1) -> Float {
        words.withLock { low + (high - low) * $0.unit() }
    }

    /// Fills `buffer` with uniform values in [low, high).
    public func fillUniform(_ buffer: UnsafeMutablePointer<Float>, count: Int, _ low: Float, _ high: Float) {
        words.withLock { w in
            for i in 0..<count { buffer[i] = low + (high - low) * w.unit() }
        }
    }

    /// Fills `buffer` with normal values (Box-Muller).
    public func fillNormal(_ buffer: UnsafeMutablePointer<Float>, count: Int, mean: Float = 0, std: Float = 1) {
        words.withLock { w in
            var i = 0
            while i < count {
                let u1 = Double(w.next() >> 11) * 0x1p-53 + 0x1p-54  // in (0, 1)
                let u2 = Double(w.next() >> 11) * 0x1p-53
                let r = (-2 * Foundation.log(u1)).squareRoot()
                buffer[i] = mean + std * Float(r * cos(2 * .pi * u2))
                if i + 1 < count { buffer[i + 1] = mean + std * Float(r * sin(2 * .pi * u2)) }
                i += 2
            }
        }
    }

    /// A uniform integer in 0..<n, without modulo bias.
    public func int(below n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        return words.withLock { w in
            while true {
                let r = w.next()
                if r >= threshold { return Int(r % bound) }
            }
        }
    }

    /// Fisher-Yates shuffle.
    public func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, int(below: i + 1))
        }
    }
}

public enum Random {
    /// The generator that initializers and dropout draw from, like PyTorch's global generator.
    /// A lesson binds a seeded one for its whole run: `Random.$generator.withValue(g) { ... }`.
    @TaskLocal public static var generator = RandomGenerator(seed: 0)
}

extension Tensor {
    /// Uniform values in [low, high).
    public static func uniform(_ shape: Shape, _ low: Float, _ high: Float,
                               requiresGrad: Bool = false,
                               using generator: RandomGenerator = Random.generator) -> Tensor {
        let t = Tensor(uninitialized: shape)
        generator.fillUniform(t.data, count: t.count, low, high)
        t.requiresGrad = requiresGrad
        return t
    }

    /// Standard normal values.
    public static func randn(_ shape: Shape, requiresGrad: Bool = false,
                             using generator: RandomGenerator = Random.generator) -> Tensor {
        let t = Tensor(uninitialized: shape)
        generator.fillNormal(t.data, count: t.count)
        t.requiresGrad = requiresGrad
        return t
    }
}
