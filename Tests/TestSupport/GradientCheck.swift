import Tensors

/// Helpers shared by the test targets: random inputs, and checks of an operation against its
/// plain reference, values and gradients.

/// Uniform random values in [low, high).
public func randomValues(_ count: Int, _ low: Float = -1, _ high: Float = 1, using g: RandomGenerator) -> [Float] {
    (0..<count).map { _ in g.uniform(low, high) }
}

/// The largest of |a − b| / (atol + rtol·|b|) over all elements: at most 1 means every element
/// is within tolerance. A NaN where b has a number (an output never written, in a buffer the
/// test filled with NaN) is an infinite error: `max` alone would pass over it, since every
/// comparison with NaN is false.
public func worstError(_ a: [Float], _ b: [Double], atol: Double, rtol: Double) -> Double {
    precondition(a.count == b.count, "\(a.count) values against \(b.count)")
    var worst = 0.0
    for (x, y) in zip(a, b) where !(x.isNaN && y.isNaN) {
        let error = abs(Double(x) - y) / (atol + rtol * abs(y))
        worst = error.isNaN ? .infinity : max(worst, error)
    }
    return worst
}

/// One input of an operation under test.
public struct CheckedInput {
    public var shape: Shape
    public var values: [Float]
    public init(_ shape: Shape, _ values: [Float]) {
        precondition(values.count == shape.count)
        (self.shape, self.values) = (shape, values)
    }
    public init(_ shape: Shape, low: Float = -1, high: Float = 1, using g: RandomGenerator) {
        self.init(shape, randomValues(shape.count, low, high, using: g))
    }
}

/// The outcome of a gradient check: the worst error of the forward values and of each input's
/// gradient, in units of the tolerance (≤ 1 passes).
public struct GradientCheckResult: CustomStringConvertible {
    public var forward: Double
    public var gradients: [Double]
    public var passed: Bool { forward <= 1 && gradients.allSatisfy { $0 <= 1 } }
    public var description: String { "forward \(forward), gradients \(gradients) (in tolerances; ≤ 1 passes)" }
}

/// Checks `op` (Float tensors, fast kernels, autograd) against `reference` (plain loops in
/// Double): the forward values, and each input's gradient against central differences of the
/// reference. The scalar differentiated is Σ r·y for a fixed random r, so every output counts.
public func gradientCheck(
    inputs: [CheckedInput], seed: UInt64 = 1,
    valueTolerance: (atol: Double, rtol: Double) = (1e-5, 1e-4),
    gradientTolerance: (atol: Double, rtol: Double) = (1e-4, 1e-3),
    _ op: ([Tensor]) throws -> Tensor,
    reference: ([[Double]]) -> [Double]
) rethrows -> GradientCheckResult {
    let tensors = inputs.map { Tensor($0.values, shape: $0.shape, requiresGrad: true) }
    return try gradientCheck(of: tensors, seed: seed, valueTolerance: valueTolerance,
                             gradientTolerance: gradientTolerance, { try op(tensors) }, reference: reference)
}

/// The same check for tensors that already exist, such as a layer's input and its own
/// parameters: `compute` must use exactly `tensors` (their current values), and `reference`
/// receives their values in the same order.
public func gradientCheck(
    of tensors: [Tensor], seed: UInt64 = 1,
    valueTolerance: (atol: Double, rtol: Double) = (1e-5, 1e-4),
    gradientTolerance: (atol: Double, rtol: Double) = (1e-4, 1e-3),
    step h: Double = 1e-5,
    _ compute: () throws -> Tensor,
    reference: ([[Double]]) -> [Double]
) rethrows -> GradientCheckResult {
    for t in tensors { t.requiresGrad = true; t.zeroGrad() }
    let y = try compute()
    let doubles = tensors.map { $0.scalars.map(Double.init) }
    let expected = reference(doubles)
    let forward = worstError(y.scalars, expected, atol: valueTolerance.atol, rtol: valueTolerance.rtol)

    let r = randomValues(y.count, using: RandomGenerator(seed: seed))
    let rd = r.map(Double.init)
    y.backward(seed: Tensor(r, shape: y.shape))

    func loss(_ xs: [[Double]]) -> Double {
        zip(reference(xs), rd).reduce(0) { $0 + $1.0 * $1.1 }
    }
    var gradients: [Double] = []
    for (i, input) in doubles.enumerated() {
        var numeric = [Double](repeating: 0, count: input.count)
        var xs = doubles
        for e in input.indices {
            xs[i][e] = input[e] + h
            let plus = loss(xs)
            xs[i][e] = input[e] - h
            let minus = loss(xs)
            xs[i][e] = input[e]
            numeric[e] = (plus - minus) / (2 * h)
        }
        let analytic = tensors[i].grad?.scalars ?? [Float](repeating: 0, count: input.count)
        gradients.append(worstError(analytic, numeric, atol: gradientTolerance.atol, rtol: gradientTolerance.rtol))
    }
    return GradientCheckResult(forward: forward, gradients: gradients)
}
