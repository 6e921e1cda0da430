import Tensors

/// How a classifier's predictions fall on a labelled data set: `counts[t][p]` examples of true
/// class `t` were predicted as class `p` (true class by row, as scikit-learn's
/// `confusion_matrix`). The diagonal is what it got right.
public struct Confusion: Codable, Equatable, Sendable {
    public private(set) var counts: [[Int]]

    public init(classes: Int) { counts = Array(repeating: Array(repeating: 0, count: classes), count: classes) }

    public var classes: Int { counts.count }
    public var total: Int { counts.joined().reduce(0, +) }
    public var correct: Int { (0..<classes).reduce(0) { $0 + counts[$1][$1] } }
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// For each true class, the fraction of its examples predicted right (its recall); nil for a
    /// class with no examples.
    public var perClassAccuracy: [Double?] {
        counts.enumerated().map { t, row in
            let n = row.reduce(0, +)
            return n == 0 ? nil : Double(row[t]) / Double(n)
        }
    }

    /// The most frequent mistakes, largest first: (true class, predicted class, count).
    public func mistakes(limit: Int = 3) -> [(truth: Int, predicted: Int, count: Int)] {
        counts.enumerated().flatMap { t, row in row.enumerated().map { (t, $0.offset, $0.element) } }
            .filter { $0.0 != $0.1 && $0.2 > 0 }
            .sorted { ($0.2, $1.0, $1.1) > ($1.2, $0.0, $0.1) }
            .prefix(limit).map { ($0.0, $0.1, $0.2) }
    }

    public mutating func add(truth: [Int32], predicted: [Int]) {
        for (t, p) in zip(truth, predicted) { counts[Int(t)][p] += 1 }
    }
}

/// The confusion of `net` on `data`, in evaluation mode, asking `shouldStop` after every batch:
/// nil if it said stop.
public func confusion(of net: any Layer, on data: any BatchSource, shouldStop: () -> Bool = { false }) throws -> Confusion? {
    try evaluation(of: net, on: data, loss: false, shouldStop: shouldStop)?.confusion
}

/// How `net` does on labelled data, in evaluation mode: the confusion and, if asked for, the mean
/// cross-entropy loss (NaN if not). Nil if `shouldStop`, asked after every batch, said stop.
public func evaluation(of net: any Layer, on data: any BatchSource, loss computeLoss: Bool = true,
                       shouldStop: () -> Bool = { false }) throws -> (confusion: Confusion, loss: Double)? {
    var result: Confusion?
    var lossSum = 0.0
    var stopped = false
    try net.evaluating { try noGrad {
        for batch in data.batches(epoch: 0) {
            let logits = try net(batch.images)
            var counts = result ?? Confusion(classes: logits.shape.dims.last ?? 1)
            if let label = batch.labels.first(where: { $0 < 0 || Int($0) >= counts.classes }) {
                throw ConfusionError(label: Int(label), classes: counts.classes)
            }
            counts.add(truth: batch.labels, predicted: try logits.argmax())
            if computeLoss { lossSum += Double(try crossEntropy(logits, labels: batch.labels).item) * Double(batch.labels.count) }
            result = counts
            if shouldStop() { stopped = true; return }
        }
    } }
    guard !stopped else { return nil }
    let confusion = result ?? Confusion(classes: 0)
    return (confusion, computeLoss && confusion.total > 0 ? lossSum / Double(confusion.total) : .nan)
}

/// A label the network has no output for.
public struct ConfusionError: Error, CustomStringConvertible {
    public var label: Int, classes: Int
    public var description: String {
        "the data holds label \(label), but the network scores only \(classes) classes (0 to \(classes - 1)): "
            + "its last layer needs one output per class"
    }
}
