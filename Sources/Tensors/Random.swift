import Foundation

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64): the same seed gives
/// the same numbers on every machine.
///
///     let g = RandomGenerator(seed: 42)
///     g.uniform(-1, 1)
///     g.shuffle(&indices)
public final class RandomGenerator: @unchecked Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)
    private let lock = NSLock()

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    private func nextUnlocked() -> UInt64 {
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

    /// The generator's four words: read them to save where it is, set them to continue from there.
    public var state: [UInt64] {
        get { lock.lock(); defer { lock.unlock() }; return [s.0, s.1, s.2, s.3] }
        set {
            precondition(newValue.count == 4, "a generator state has 4 words, not \(newValue.count)")
            lock.lock(); defer { lock.unlock() }
            s = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    public func next() -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        return nextUnlocked()
    }

    /// Uniform in [0, 1), with 24 random bits: every value is exactly a `Float`.
    private func unitUnlocked() -> Float { Float(nextUnlocked() >> 40) * 0x1p-24 }

    /// Uniform in [low, high).
    public func uniform(_ low: Float = 0, _ high: Float = 1) -> Float {
        lock.lock(); defer { lock.unlock() }
        return low + (high - low) * unitUnlocked()
    }

    /// Fills `buffer` with uniform values in [low, high).
    public func fillUniform(_ buffer: UnsafeMutablePointer<Float>, count: Int, _ low: Float, _ high: Float) {
        lock.lock(); defer { lock.unlock() }
        for i in 0..<count { buffer[i] = low + (high - low) * unitUnlocked() }
    }

    /// Fills `buffer` with normal values (Box-Muller).
    public func fillNormal(_ buffer: UnsafeMutablePointer<Float>, count: Int, mean: Float = 0, std: Float = 1) {
        lock.lock(); defer { lock.unlock() }
        var i = 0
        while i < count {
            let u1 = Double(nextUnlocked() >> 11) * 0x1p-53 + 0x1p-54  // in (0, 1)
            let u2 = Double(nextUnlocked() >> 11) * 0x1p-53
            let r = (-2 * Foundation.log(u1)).squareRoot()
            buffer[i] = mean + std * Float(r * cos(2 * .pi * u2))
            if i + 1 < count { buffer[i + 1] = mean + std * Float(r * sin(2 * .pi * u2)) }
            i += 2
        }
    }

    /// A uniform integer in 0..<n, without modulo bias.
    public func int(below n: Int) -> Int {
        precondition(n > 0)
        lock.lock(); defer { lock.unlock() }
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        while true {
            let r = nextUnlocked()
            if r >= threshold { return Int(r % bound) }
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
