import Foundation

/// A linear scale from data values to pixels, with round tick values.
struct Axis {
    var low: Double, high: Double
    var pixelLow: Double, pixelHigh: Double

    func pixel(_ v: Double) -> Double {
        high == low ? (pixelLow + pixelHigh) / 2 : pixelLow + (v - low) / (high - low) * (pixelHigh - pixelLow)
    }

    /// Round values between low and high, about `target` of them (steps of 1, 2 or 5 × 10^n).
    static func ticks(_ low: Double, _ high: Double, target: Int = 6) -> [Double] {
        guard high > low, low.isFinite, high.isFinite else { return [low] }
        let step = niceStep((high - low) / Double(max(target, 1)))
        let first = (low / step).rounded(.up) * step
        return stride(from: first, through: high + step * 1e-9, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
    }

    static func niceStep(_ rough: Double) -> Double {
        let magnitude = pow(10, floor(log10(rough)))
        let fraction = rough / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// Widens [low, high] outwards to round values; a single value gets some room.
    static func rounded(_ low: Double, _ high: Double) -> (Double, Double) {
        guard low.isFinite && high.isFinite else { return (0, 1) }
        if low == high { return low == 0 ? (0, 1) : (min(0, low * 2), max(0, high * 2)) }
        let step = niceStep((high - low) / 5)
        return ((low / step).rounded(.down) * step, (high / step).rounded(.up) * step)
    }

    /// 0.5 → "0.5", 2.0 → "2", 61706 → "61,706", 46764746 → "46.8M", 1.9e9 → "1.9G", 1e-5 → "1e-05".
    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        if !v.isFinite { return v.isNaN ? "NaN" : (v > 0 ? "∞" : "−∞") }
        let magnitude = abs(v)
        if magnitude < 1e-3 { return String(format: "%.0e", v) }
        for (size, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M")] where magnitude >= size {
            return trimmed(String(format: magnitude / size >= 100 ? "%.0f" : "%.1f", v / size)) + suffix
        }
        if magnitude >= 1000, let n = Int(exactly: v.rounded()) { return n.formatted(.number.locale(Locale(identifier: "en_US"))) }
        return trimmed(String(format: "%.3f", v))
    }

    /// Three significant digits and a unit for large values, as printed at the end of a bar:
    /// 61706 → "61.7 K", 46764746 → "46.8 M", 999_999 → "1 M", 950 → "950", 0.873 → "0.873".
    static func short(_ v: Double) -> String {
        let magnitude = abs(v)
        guard v.isFinite, magnitude >= 1000 else { return label(v) }
        let units: [(Double, String)] = [(1e3, "K"), (1e6, "M"), (1e9, "G"), (1e12, "T")]
        var unit = units.lastIndex { magnitude >= $0.0 } ?? 0
        var digits = magnitude / units[unit].0
        // 999.6 K would print as 1000 K: say 1 M instead.
        if digits >= 999.5 && unit + 1 < units.count { unit += 1; digits = magnitude / units[unit].0 }
        let text = digits >= 100 ? String(format: "%.0f", digits) : digits >= 10 ? String(format: "%.1f", digits) : String(format: "%.2f", digits)
        return (v < 0 ? "−" : "") + trimmed(text) + " " + units[unit].1
    }

    /// A power of ten as a decade tick says it: 1, 10, 100, 1 K, 10 K, …; 0.1, 0.01 below one.
    static func decade(_ exponent: Int) -> String {
        exponent < 0 ? label(pow(10, Double(exponent))) : short(pow(10, Double(exponent)))
    }

    private static func trimmed(_ s: String) -> String {
        var s = s
        while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
        return s
    }
}
