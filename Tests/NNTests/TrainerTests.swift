import Testing
import Tensors
import NN

/// A tiny in-memory data source: each class is a fixed random pattern plus noise.
struct PatternData: BatchSource {
    let images: Tensor
    let labels: [Int32]
    let batchSize: Int

    init(count: Int, classes: Int, seed: UInt64, batchSize: Int = 32) {
        let g = RandomGenerator(seed: 99)
        let patterns = Tensor.uniform([classes, 1, 8, 8], 0, 1, using: g)
        let noise = RandomGenerator(seed: seed)
        images = Tensor(uninitialized: [count, 1, 8, 8])
        var labels: [Int32] = []
        for i in 0..<count {
            let c = noise.int(below: classes)
            labels.append(Int32(c))
            for e in 0..<64 { images.data[i * 64 + e] = patterns.data[c * 64 + e] + noise.uniform(-0.3, 0.3) }
        }
        self.labels = labels
        self.batchSize = batchSize
    }

    var exampleCount: Int { labels.count }
    var batchCount: Int { (labels.count + batchSize - 1) / batchSize }

    func batches(epoch: Int) -> AnySequence<Batch> {
        AnySequence((0..<batchCount).lazy.map { b in
            let range = (b * batchSize)..<min(labels.count, (b + 1) * batchSize)
            let x = Tensor(uninitialized: [range.count, 1, 8, 8])
            x.data.update(from: images.data + range.lowerBound * 64, count: range.count * 64)
            return Batch(images: x, labels: Array(labels[range]))
        })
    }
}

@Suite struct TrainerTests {
    static func smallNet() -> Sequential {
        Sequential {
            Conv2d(1, 4, kernelSize: 3, padding: 1); ReLU(); AvgPool2d(kernelSize: 2)
            Flatten(); Linear(64, 16); ReLU(); Linear(16, 4)
        }
    }

    /// `smallNet` trained from seed 3 with learning rate 0.3.
    static func fitSmallNet(train: PatternData, test: PatternData, epochs: Int) throws -> Trainer.Result {
        try Random.$generator.withValue(RandomGenerator(seed: 3)) {
            let net = smallNet()
            xavierUniform(net)
            return try Trainer(net: net, learningRate: 0.3, epochs: epochs).fit(train: train, test: test)
        }
    }

    @Test func trainingLowersTheLossAndLearns() throws {
        let train = PatternData(count: 320, classes: 4, seed: 1), test = PatternData(count: 160, classes: 4, seed: 2)
        let result = try Self.fitSmallNet(train: train, test: test, epochs: 8)
        let history = result.history
        #expect(history.count == 8 && !result.interrupted)
        #expect(history.last!.loss < 0.5 * history.first!.loss, "\(history.map(\.loss))")
        #expect(history.last!.testAccuracy > 0.9, "\(history.map(\.testAccuracy))")
    }

    @Test func sameSeedSameNumbers() throws {
        let train = PatternData(count: 96, classes: 4, seed: 1), test = PatternData(count: 32, classes: 4, seed: 2)
        func run(threads: Int) throws -> [EpochRecord] {
            try Parallel.$threadCount.withValue(threads) {
                try Random.$generator.withValue(RandomGenerator(seed: 5)) {
                    let net = Self.smallNet()
                    xavierUniform(net)
                    return try Trainer(net: net, learningRate: 0.5, epochs: 2).fit(train: train, test: test).history
                }
            }
        }
        let a = try run(threads: 1), b = try run(threads: 1), c = try run(threads: 2)
        let figures = { (h: [EpochRecord]) in h.map { [$0.loss, $0.trainAccuracy, $0.testAccuracy] } }
        #expect(figures(a) == figures(b))
        #expect(figures(a) == figures(c), "thread count changes nothing")
    }

    @Test func divergenceStopsWithAClearMessage() throws {
        let train = PatternData(count: 64, classes: 4, seed: 1)
        train.images.data[40 * 64 + 5] = .nan  // an example of the second batch
        let net = Sequential { Flatten(); Linear(64, 4) }
        let trainer = Trainer(net: net, learningRate: 0.1, epochs: 3)
        do {
            _ = try trainer.fit(train: train, test: train)
            Issue.record("expected divergence")
        } catch let error as TrainingError {
            #expect(error.description.contains("Try a smaller learning rate"))
            #expect(error.description.contains("the loss became nan at epoch 1, batch 2"))
        }
    }

    /// A loss far above the loss of guessing is a divergence, reported like a NaN, with the epoch,
    /// the batch and a smaller learning rate.
    @Test func anExplodingLossIsADivergence() throws {
        let train = PatternData(count: 64, classes: 4, seed: 1)
        let net = Sequential { Flatten(); Linear(64, 4) }
        xavierUniform(net)
        do {
            _ = try Trainer(net: net, learningRate: 1e30, epochs: 2).fit(train: train, test: train)
            Issue.record("a learning rate of 1e30 trained")
        } catch let error as TrainingError {
            #expect(error.description.contains("at epoch 1, batch 2, far above 1.39, the loss of guessing among 4 classes"), "\(error)")
            #expect(error.description.hasSuffix("Try a smaller learning rate, e.g. 1.0.") && error.suggestedLearningRate == 1)
        }
    }

    /// Continued from the state it saved when stopped, a run ends exactly as one never stopped,
    /// dropout's random numbers included.
    @Test func aStoppedRunContinuesExactly() throws {
        let train = PatternData(count: 96, classes: 4, seed: 1), test = PatternData(count: 32, classes: 4, seed: 2)
        func net() -> Sequential {
            Random.$generator.withValue(RandomGenerator(seed: 4)) {
                let net = Sequential { Flatten(); Linear(64, 16); ReLU(); Dropout(0.5); Linear(16, 4) }
                xavierUniform(net)
                return net
            }
        }
        func fit(_ net: Sequential, stopAfter: Int? = nil, from state: TrainingState? = nil) throws -> Trainer.Result {
            try Random.$generator.withValue(RandomGenerator(seed: 5)) {
                let trainer = Trainer(net: net, learningRate: 0.3, epochs: 3)
                var asked = 0
                trainer.shouldStop = { asked += 1; return asked == stopAfter }
                return try trainer.fit(train: train, test: test, from: state)
            }
        }
        let whole = net()
        let expected = try fit(whole)
        for stop in [1, 2, 3, 4, 5, 7] {  // 3 training and 1 test batch an epoch: in training and in testing
            let resumed = net()
            let stopped = try fit(resumed, stopAfter: stop)
            #expect(stopped.interrupted)
            let finished = try fit(resumed, from: stopped.state)
            #expect(finished.history.map(\.loss) == expected.history.map(\.loss), "stopped at \(stop)")
            #expect(finished.history.map(\.testAccuracy) == expected.history.map(\.testAccuracy))
            #expect(resumed.parameters.map(\.scalars) == whole.parameters.map(\.scalars), "stopped at \(stop)")
        }
    }

    @Test func stopRequestEndsAfterTheCurrentBatch() throws {
        let train = PatternData(count: 128, classes: 4, seed: 1)
        let trainer = Trainer(net: Sequential { Flatten(); Linear(64, 4) }, learningRate: 0.1, epochs: 5)
        final class Counter: TrainingObserver {
            var batches = 0
            func batchDidEnd(_ progress: BatchProgress) { batches += 1 }
            func epochDidEnd(_ record: EpochRecord) {}
        }
        let counter = Counter()
        trainer.observers = [counter]
        trainer.shouldStop = { counter.batches == 6 }
        let result = try trainer.fit(train: train, test: train)
        #expect(result.interrupted && counter.batches == 6 && result.history.count == 1)
    }
}
