import Foundation
import Localization

/// A network's verdict on one image: one bar per class, as long as the softmax probability of
/// that class, with the percentage at its end and, if known, the raw score (logit) beside it.
/// The predicted class (the largest) is drawn strong, the true class framed in green and ticked.
///
///     var verdict = ProbabilityBars(title: "What LeNet sees", classNames: names, logits: scores)
///     verdict.trueClass = 7
///     let canvas = try verdict.render()
///
/// It is drawn by `ValueBars`, which it configures (`bars`).
public struct ProbabilityBars {
    public var title: String
    public var notes: [String] = []
    public var classNames: [String]
    /// One per class, summing to 1.
    public var probabilities: [Double]
    /// The scores the probabilities were computed from, printed small beside each bar; nil for
    /// none.
    public var logits: [Double]?
    public var trueClass: Int?
    public var width: Double = 640

    /// From scores: the probabilities are their softmax.
    public init(title: String, classNames: [String], logits: [Double]) {
        self.init(title: title, classNames: classNames, probabilities: Self.softmax(logits))
        self.logits = logits
    }

    public init(title: String, classNames: [String], probabilities: [Double]) {
        precondition(classNames.count == probabilities.count, "\(classNames.count) names for \(probabilities.count) classes")
        (self.title, self.classNames, self.probabilities) = (title, classNames, probabilities)
    }

    /// exp(s) / Σ exp(s), computed after subtracting the largest score so that nothing overflows.
    public static func softmax(_ scores: [Double]) -> [Double] {
        let top = scores.filter(\.isFinite).max() ?? 0
        let e = scores.map { exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    /// The class with the largest probability.
    public var predicted: Int? { probabilities.indices.filter { probabilities[$0].isFinite }.max { probabilities[$0] < probabilities[$1] } }

    /// "87.3 %".
    static func percent(_ p: Double) -> String { String(format: "%.1f %%", p * 100) }

    /// The bars as drawn.
    public var bars: ValueBars {
        var bars = ValueBars(title: title, labels: classNames, values: probabilities)
        bars.range = 0...1
        bars.format = Self.percent
        bars.tickFormat = { String(format: "%.0f %%", $0 * 100) }
        bars.valueLabel = localized("probability (softmax of the scores)", zh: "概率（分数的 softmax）")
        let score = localized("score ", zh: "分数 ")
        bars.annotations = logits.map { $0.map { score + String(format: "%.2f", $0).replacingOccurrences(of: "-", with: "−") } } ?? []
        bars.highlighted = predicted
        bars.highlightMeaning = localized("predicted: the most probable class", zh: "预测：概率最大的类别")
        bars.marked = trueClass
        bars.width = width
        var notes = self.notes
        if let p = predicted {
            let verdict = trueClass.map {
                $0 == p ? localized(" — right", zh: "——正确")
                    : localized(" — wrong: it is \(classNames[$0])", zh: "——错误：它其实是 \(classNames[$0])")
            } ?? ""
            notes.append(localized("Predicted: \(classNames[p]) (\(Self.percent(probabilities[p])))\(verdict).",
                                   zh: "预测：\(classNames[p])（\(Self.percent(probabilities[p]))）\(verdict)。"))
        }
        bars.notes = notes
        return bars
    }

    public func render(scale: Double = 1) throws -> Canvas { try bars.render(scale: scale) }
}
