import Testing
import TestSupport

/// The check every kernel test leans on: outputs are first filled with NaN, so an element a
/// kernel never writes must fail it.
@Suite struct WorstErrorTests {
    @Test func anUnwrittenNaNFails() {
        #expect(worstError([1, .nan, 3], [1, 2, 3], atol: 1e-5, rtol: 1e-5) == .infinity)
        #expect(worstError([.nan, 2], [1, 2], atol: 1e-5, rtol: 1e-5) == .infinity)
    }

    @Test func measuresAgainstTheTolerance() {
        #expect(worstError([1, 2, 3], [1, 2, 3], atol: 1e-5, rtol: 1e-5) == 0)
        #expect(abs(worstError([1.5], [1], atol: 0.25, rtol: 0) - 2) < 1e-6)
        // A NaN expected and got agrees (a loss that went NaN on both sides).
        #expect(worstError([.nan, 2], [.nan, 2], atol: 1e-5, rtol: 1e-5) == 0)
    }
}
