import Foundation
import Tensors

/// One epoch's figures, as the book's `train_ch6` reports them.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    /// Mean training loss over the epoch's examples.
    public var loss: Double
    public var trainAccuracy: Double
    public var testAccuracy: Double
    /// Training examples per second of compute (forward, backward, update; not data loading
    /// or evaluation).
    public var examplesPerSecond: Double
    /// Wall time of the whole epoch, evaluation included.
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case epoch, loss, trainAccuracy = "train_acc", testAccuracy = "test_acc"
        case examplesPerSecond = "examples_per_sec", seconds
    }
}

/// Where training stands after a batch.
public struct BatchProgress: Sendable {
    public var epoch: Int          // 1-based
    public var epochs: Int
    public var batch: Int          // 1-based
    public var batchCount: Int
    /// Running means over the epoch so far.
    public var loss: Double
    public var accuracy: Double
    public var examplesPerSecond: Double
    /// Seconds of training so far, all epochs.
    public var elapsed: Double
    /// Training progress in epochs, e.g. 2.4 = 40 % into the third epoch.
    public var epochPosition: Double { Double(epoch - 1) + Double(batch) / Double(batchCount) }
}

/// Told how training goes: a progress bar, a live chart, a notebook.
public protocol TrainingObserver: AnyObject {
    func batchDidEnd(_ progress: BatchProgress)
    func epochDidEnd(_ record: EpochRecord)
}

public enum TrainingError: Error, CustomStringConvertible {
    /// The loss became NaN or infinite, or grew far beyond the loss of guessing.
    case diverged(epoch: Int, batch: Int, loss: Float, learningRate: Float, classes: Int)

    /// A batch loss above this many times the loss of guessing (ln of the number of classes)
    /// means training has diverged: a healthy run starts at about 1× and goes down.
    public static let divergenceFactor = 100.0

    /// A learning rate to try instead: a tenth, at most 1.
    public var suggestedLearningRate: Float {
        switch self { case let .diverged(_, _, _, lr, _): return min(lr / 10, 1) }
    }

    public var description: String {
        switch self {
        case let .diverged(epoch, batch, loss, _, classes):
            let what = loss.isFinite
                ? "the loss reached \(loss) at epoch \(epoch), batch \(batch), far above "
                    + String(format: "%.2f", Foundation.log(Double(classes))) + ", the loss of guessing among \(classes) classes"
                : "the loss became \(loss) at epoch \(epoch), batch \(batch)"
            return what + ": training diverged. Try a smaller learning rate, e.g. \(suggestedLearningRate)."
        }
    }
}

/// Where a training run stands, with everything needed to continue it exactly: the epoch and
/// batch reached, the epoch's running sums, the finished epochs, and the state of the random
/// generator that dropout draws from. Together with the weights, a run continued from here ends
/// bit for bit as one that never stopped.
public struct TrainingState: Codable, Equatable, Sendable {
    /// The epoch under way, from 1; one past the last when all are done.
    public var epoch = 1
    /// Batches of `epoch` trained so far.
    public var batch = 0
    public var lossSum = 0.0
    public var correct = 0
    public var seen = 0
    /// Seconds of compute in `epoch` so far (forward, backward, update).
    public var computeSeconds = 0.0
    /// Wall time of `epoch` so far.
    public var epochSeconds = 0.0
    /// Seconds of compute in all epochs so far.
    public var trainingSeconds = 0.0
    public var history: [EpochRecord] = []
    /// `Random.generator`'s state, as hexadecimal words.
    public var random: [String] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epoch, batch, lossSum = "loss_sum", correct, seen, computeSeconds = "compute_seconds"
        case epochSeconds = "epoch_seconds", trainingSeconds = "training_seconds", history, random
    }
}

/// Trains a classifier with minibatch SGD on cross-entropy, as the book's `train_ch6`: each epoch
/// one pass over the training data, then accuracy on the test data.
///
///     let trainer = Trainer(net: lenet, learningRate: 0.9, epochs: 10)
///     let history = try trainer.fit(train: trainLoader, test: testLoader).history
///
/// A run can be stopped after any batch (`shouldStop`) and continued later from the state it
/// hands to `saveState` (`fit(train:test:from:)`).
public final class Trainer {
    public let net: any Layer
    public let learningRate: Float
    public let epochs: Int
    public var observers: [any TrainingObserver] = []
    /// Asked after every batch of training and of evaluation; true stops training there (e.g.
    /// after Ctrl-C). It may also take its time: a paused class waits in it.
    public var shouldStop: () -> Bool = { false }
    /// Asked after every epoch; true ends training there, as if it had been asked for no more
    /// epochs (a teacher cutting the run short).
    public var stopAfterEpoch: () -> Bool = { false }
    /// Given the state to continue from after every epoch, when stopped, and every
    /// `saveInterval` seconds in between.
    public var saveState: ((TrainingState) throws -> Void)?
    public var saveInterval = 300.0

    public init(net: any Layer, learningRate: Float, epochs: Int) {
        precondition(epochs >= 1 && learningRate > 0 && learningRate.isFinite)
        (self.net, self.learningRate, self.epochs) = (net, learningRate, epochs)
    }

    /// The finished epochs, whether training was stopped before the end, and where it stood.
    public struct Result {
        public var history: [EpochRecord]
        public var interrupted: Bool
        public var state: TrainingState
        /// Whether `stopAfterEpoch` ended training early.
        public var endedEarly = false
        /// How the last epoch's test predictions fell, class by class (nil if no epoch ended).
        public var testConfusion: Confusion?
    }

    /// Trains from the start, or from `start` (whose weights the net must already hold).
    public func fit(train: any BatchSource, test: any BatchSource, from start: TrainingState? = nil) throws -> Result {
        let optimizer = SGD(net.parameters, learningRate: learningRate)
        let generator = Random.generator
        var state = start ?? TrainingState()
        if let words = start?.random.compactMap({ UInt64($0, radix: 16) }), words.count == 4 { generator.state = words }
        let clock = ContinuousClock()
        var lastSave = clock.now
        var testConfusion: Confusion?
        func save() throws {
            state.random = generator.state.map { String($0, radix: 16) }
            try saveState?(state)
            lastSave = clock.now
        }
        while state.epoch <= epochs {
            let epoch = state.epoch
            let epochStart = clock.now - .seconds(state.epochSeconds)
            net.train()
            for batch in train.batches(epoch: epoch, from: state.batch) {
                let start = clock.now
                let (logits, value) = try Self.step(net, optimizer: optimizer, images: batch.images, labels: batch.labels) { logits, loss in
                    let classes = logits.shape[1]
                    guard loss.isFinite, Double(loss) <= TrainingError.divergenceFactor * Foundation.log(Double(classes)) else {
                        throw TrainingError.diverged(epoch: epoch, batch: state.batch + 1, loss: loss, learningRate: learningRate,
                                                     classes: classes)
                    }
                }
                let seconds = (clock.now - start).seconds
                state.computeSeconds += seconds
                state.trainingSeconds += seconds

                let n = batch.labels.count
                state.batch += 1
                state.lossSum += Double(value) * Double(n)
                state.correct += zip(try logits.argmax(), batch.labels).filter { $0 == Int($1) }.count
                state.seen += n
                state.epochSeconds = (clock.now - epochStart).seconds
                let progress = BatchProgress(
                    epoch: epoch, epochs: epochs, batch: state.batch, batchCount: train.batchCount,
                    loss: state.lossSum / Double(state.seen), accuracy: Double(state.correct) / Double(state.seen),
                    examplesPerSecond: Double(state.seen) / state.computeSeconds, elapsed: state.trainingSeconds)
                observers.forEach { $0.batchDidEnd(progress) }
                if shouldStop() {
                    try save()
                    return Result(history: state.history, interrupted: true, state: state, testConfusion: testConfusion)
                }
                if (clock.now - lastSave).seconds >= saveInterval { try save() }
            }
            guard let tested = try confusion(of: net, on: test, shouldStop: shouldStop) else {
                state.epochSeconds = (clock.now - epochStart).seconds
                try save()
                return Result(history: state.history, interrupted: true, state: state, testConfusion: testConfusion)
            }
            testConfusion = tested
            let seen = Double(max(state.seen, 1))
            let record = EpochRecord(
                epoch: epoch, loss: state.lossSum / seen, trainAccuracy: Double(state.correct) / seen,
                testAccuracy: tested.accuracy, examplesPerSecond: Double(state.seen) / state.computeSeconds,
                seconds: (clock.now - epochStart).seconds)
            state.history.append(record)
            let trainingSeconds = state.trainingSeconds, history = state.history
            state = TrainingState()
            (state.epoch, state.trainingSeconds, state.history) = (epoch + 1, trainingSeconds, history)
            try save()
            observers.forEach { $0.epochDidEnd(record) }
            if state.epoch <= epochs && stopAfterEpoch() {
                return Result(history: state.history, interrupted: false, state: state, endedEarly: true,
                              testConfusion: testConfusion)
            }
        }
        return Result(history: state.history, interrupted: false, state: state, testConfusion: testConfusion)
    }
}

extension Trainer {
    /// One step of minibatch SGD on cross-entropy, the step every training loop here takes:
    /// forward, loss, zero the gradients, backward, update. `check` sees the logits and the loss
    /// before anything changes (the trainer refuses a diverged loss there).
    @discardableResult
    public static func step(_ net: any Layer, optimizer: SGD, images: Tensor, labels: [Int32],
                            check: (_ logits: Tensor, _ loss: Float) throws -> Void = { _, _ in }) throws -> (logits: Tensor, loss: Float) {
        let logits = try net(images)
        let loss = try crossEntropy(logits, labels: labels)
        try check(logits, loss.item)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        return (logits, loss.item)
    }
}

/// The fraction of examples whose highest-scoring class is the label, in evaluation mode.
public func accuracy(of net: any Layer, on data: any BatchSource) throws -> Double {
    try confusion(of: net, on: data)?.accuracy ?? 0
}

extension Duration {
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
