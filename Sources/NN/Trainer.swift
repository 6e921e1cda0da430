import Foundation
import Tensors

/// A batch of images (N, C, H, W) with their N class labels.
public struct Batch {
    public var images: Tensor
    public var labels: [Int32]
    public init(images: Tensor, labels: [Int32]) { (self.images, self.labels) = (images, labels) }
}

/// Where batches come from: a data loader.
public protocol BatchSource {
    /// Number of examples in one pass.
    var exampleCount: Int { get }
    /// Number of batches in one pass.
    var batchCount: Int { get }
    /// One pass over the data; `epoch` picks the shuffle, so every epoch is reproducible.
    func batches(epoch: Int) -> AnySequence<Batch>
}

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
    case nonFiniteLoss(epoch: Int, batch: Int, loss: Float, learningRate: Float)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, batch, loss, lr):
            return "the loss became \(loss) at epoch \(epoch), batch \(batch): training diverged. "
                + "Try a smaller learning rate, e.g. --lr \(lr / 10)."
        }
    }
}

/// Trains a classifier with minibatch SGD on cross-entropy, as the book's `train_ch6`: each epoch
/// one pass over the training data, then accuracy on the test data.
///
///     let trainer = Trainer(net: lenet, learningRate: 0.9, epochs: 10)
///     let history = try trainer.fit(train: trainLoader, test: testLoader)
public final class Trainer {
    public let net: any Layer
    public let learningRate: Float
    public let epochs: Int
    public var observers: [any TrainingObserver] = []
    /// Asked after every batch; true stops training there (e.g. after Ctrl-C).
    public var shouldStop: () -> Bool = { false }

    public init(net: any Layer, learningRate: Float, epochs: Int) {
        precondition(epochs >= 1 && learningRate > 0 && learningRate.isFinite)
        (self.net, self.learningRate, self.epochs) = (net, learningRate, epochs)
    }

    /// The finished epochs, and whether training was stopped before the end.
    public struct Result {
        public var history: [EpochRecord]
        public var interrupted: Bool
    }

    public func fit(train: any BatchSource, test: any BatchSource) throws -> Result {
        let optimizer = SGD(net.parameters, learningRate: learningRate)
        let clock = ContinuousClock()
        var history: [EpochRecord] = []
        var trainingSeconds = 0.0
        for epoch in 1...epochs {
            let epochStart = clock.now
            net.train()
            var lossSum = 0.0, correct = 0, seen = 0, computeSeconds = 0.0
            for (index, batch) in train.batches(epoch: epoch).enumerated() {
                let start = clock.now
                let logits = try net(batch.images)
                let loss = try crossEntropy(logits, labels: batch.labels)
                guard loss.item.isFinite else {
                    throw TrainingError.nonFiniteLoss(epoch: epoch, batch: index + 1, loss: loss.item, learningRate: learningRate)
                }
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
                let seconds = (clock.now - start).seconds
                computeSeconds += seconds
                trainingSeconds += seconds

                let n = batch.labels.count
                lossSum += Double(loss.item) * Double(n)
                correct += zip(logits.argmax(), batch.labels).filter { $0 == Int($1) }.count
                seen += n
                let progress = BatchProgress(
                    epoch: epoch, epochs: epochs, batch: index + 1, batchCount: train.batchCount,
                    loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                    examplesPerSecond: Double(seen) / computeSeconds, elapsed: trainingSeconds)
                observers.forEach { $0.batchDidEnd(progress) }
                if shouldStop() { return Result(history: history, interrupted: true) }
            }
            let record = EpochRecord(
                epoch: epoch, loss: lossSum / Double(max(seen, 1)), trainAccuracy: Double(correct) / Double(max(seen, 1)),
                testAccuracy: try accuracy(of: net, on: test), examplesPerSecond: Double(seen) / computeSeconds,
                seconds: (clock.now - epochStart).seconds)
            history.append(record)
            observers.forEach { $0.epochDidEnd(record) }
        }
        return Result(history: history, interrupted: false)
    }
}

/// The fraction of examples whose highest-scoring class is the label, in evaluation mode.
public func accuracy(of net: any Layer, on data: any BatchSource) throws -> Double {
    net.eval()
    defer { net.train() }
    var correct = 0, seen = 0
    try noGrad {
        for batch in data.batches(epoch: 0) {
            let predictions = try net(batch.images).argmax()
            correct += zip(predictions, batch.labels).filter { $0 == Int($1) }.count
            seen += batch.labels.count
        }
    }
    return seen == 0 ? 0 : Double(correct) / Double(seen)
}

extension Duration {
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
