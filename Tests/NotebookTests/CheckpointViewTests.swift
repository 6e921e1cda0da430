import Files
import Foundation
import NN
import Tensors
import Testing
import TestSupport
@testable import Notebook

/// A lesson that walks through a wider network than the one it trains, as VGG's does.
let widerFirstLesson = Lesson(
    name: "wider-first", title: "Wider first", summary: "a test lesson",
    inClass: LessonSettings(epochs: 1, batchSize: 16, lr: 0.1, trainSize: 32, testSize: 16),
    book: LessonSettings(epochs: 1, batchSize: 16, lr: 0.1),
    network: LessonNetwork("Narrow", year: 2000, idea: "a test", make: { Sequential { Flatten(); Linear(784, 10) } })
) { nb in
    try nb.walkThrough(Sequential { Flatten(); Linear(784, 20); ReLU(); Linear(20, 10) }, input: [1, 1, 28, 28])
    let net = Sequential { Flatten(); Linear(784, 10) }
    try nb.walkThrough(net, input: [1, 1, 28, 28])
    try nb.train(net, on: try nb.fashionMNIST())
}

/// A lesson whose network the chapter's comparison measures.
let tinyLesson = Lesson(
    name: "tiny", title: "Tiny", summary: "a test lesson",
    inClass: LessonSettings(epochs: 1, batchSize: 16, lr: 0.1, trainSize: 32, testSize: 16),
    book: LessonSettings(epochs: 1, batchSize: 16, lr: 0.1),
    network: LessonNetwork("Tiny", year: 2000, idea: "a test", make: { Sequential { Flatten(); Linear(784, 10) } })
) { nb in
    try nb.train(Sequential { Flatten(); Linear(784, 10) }, on: try nb.fashionMNIST())
}

let tinyCompareLesson = Lesson(
    name: "tiny-compare", title: "Tiny compared", summary: "a test lesson",
    inClass: LessonSettings(epochs: 1, batchSize: 16, lr: 0.1), book: LessonSettings(epochs: 1, batchSize: 16, lr: 0.1),
    usesData: false
) { nb in
    try nb.compareNetworks([tinyLesson], batch: 2)
}

/// Viewing a checkpoint (`--checkpoint` without `--epochs`): what it measures and records, and
/// what it records of weights trained in PyTorch (scripts/train_pytorch.py).
@Suite struct CheckpointViewTests {
    /// The run `scripts/train_pytorch.py` records in a checkpoint's metadata.
    static func recordedRun(lesson: String) -> Metrics {
        var run = Metrics(lesson: lesson, settings: LessonSettings(epochs: 3, batchSize: 128, lr: 0.1, resize: nil), device: "cuda (Test GPU)")
        let epochs = (1...3).map {
            "{\"epoch\": \($0), \"loss\": \(1 / Double($0)), \"train_acc\": 0.7, \"test_acc\": \(0.8 + Double($0) / 100), "
                + "\"examples_per_sec\": 5000, \"seconds\": 12}"
        }
        run.history = try! JSONDecoder().decode([EpochRecord].self, from: Data("[\(epochs.joined(separator: ", "))]".utf8))
        run.trainingSeconds = 36
        run.trainedIn = "PyTorch 2.15.0 on cuda (Test GPU)"
        return run
    }

    /// `file`'s tensors saved again with `metadata`, as PyTorch's script saves them.
    static func resaved(_ file: String, as copy: String, metadata: [String: String]) throws {
        let entries = try SafeTensors.decode(try Data(contentsOf: URL(fileURLWithPath: file)), file: file)
        try SafeTensors.encode(entries, metadata: metadata).write(to: URL(fileURLWithPath: copy))
    }

    @Test func aViewMeasuresTheTestSetOnceAndRecordsIt() throws {
        let fixture = Fixture()
        _ = try fixture.run()
        fixture.options.checkpoint = fixture.output.path + "/sample/sample.safetensors"
        let (run, printed) = try fixture.run()
        let final = try #require(run.metrics.final)
        let confusion = try #require(run.metrics.confusion)
        let diagonal = (0..<10).map { confusion[$0][$0] }.reduce(0, +)
        #expect(confusion.joined().reduce(0, +) == 32)
        #expect(final.testAccuracy == Double(diagonal) / 32)
        #expect(final.testLoss.map { $0.isFinite && $0 > 0 } == true)
        #expect(final.loss == nil && final.trainAccuracy == nil && final.examplesPerSecond == nil, "it trained nothing")
        #expect(run.metrics.history.isEmpty && run.metrics.trainedIn == nil)
        #expect(printed.contains(String(format: "Test accuracy of the loaded weights, measured here: %.3f on 32 test images", final.testAccuracy)))
        // In its metrics.json, under checkpoint/.
        let written = try #require(Metrics.read(in: fixture.output.path + "/sample/checkpoint"))
        #expect(written.final == final)
    }

    @Test func aViewOfWeightsTrainedInPyTorchRecordsTheirRun() throws {
        let fixture = Fixture()
        _ = try fixture.run()
        let recorded = Self.recordedRun(lesson: "sample")
        let copy = fixture.output.path + "/from-pytorch.safetensors"
        try Self.resaved(fixture.output.path + "/sample/sample.safetensors", as: copy, metadata: [
            "lesson": "sample", "format": "pt", "trained_in": recorded.trainedIn!,
            "metrics": String(decoding: try JSONEncoder().encode(recorded), as: UTF8.self),
        ])
        fixture.options.checkpoint = copy
        let (run, printed) = try fixture.run()
        #expect(run.metrics.history == recorded.history && run.metrics.trainingSeconds == 36)
        #expect(run.metrics.trainedIn == "PyTorch 2.15.0 on cuda (Test GPU)")
        let measured = try #require(run.metrics.final?.testAccuracy)
        #expect(printed.contains("Trained in PyTorch 2.15.0 on cuda (Test GPU): 3 epochs on all the training images at 28×28, "
            + String(format: "test accuracy 0.830 on all the test images. Measured here: %.3f on 32 test images", measured)), "\(printed)")

        // The chapter's comparison takes the newer of the lesson's own run and this view.
        let root = fixture.output.path
        #expect(Metrics.lastRun(of: "sample", in: root)?.trainedIn == recorded.trainedIn)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)],
                                              ofItemAtPath: root + "/sample/metrics.json")
        #expect(Metrics.lastRun(of: "sample", in: root)?.trainedIn == nil)
        #expect(Metrics.lastRun(of: "sample", in: root)?.history.count == 2)
        #expect(Metrics.lastRun(of: "nothing", in: root) == nil)
    }

    @Test func theComparisonMarksARunTrainedInPyTorch() throws {
        let fixture = Fixture()
        let folder = fixture.output.path + "/tiny/checkpoint"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try JSONEncoder().encode(Self.recordedRun(lesson: "tiny")).write(to: URL(fileURLWithPath: folder + "/metrics.json"))
        let (_, printed) = try fixture.run(tinyCompareLesson)
        #expect(printed.contains("test acc 0.830, 3 ep, 0:36, trained in PyTorch"), "\(printed)")
        #expect(printed.contains("Tiny's last run was trained in PyTorch 2.15.0 on cuda (Test GPU)"))
        #expect(FileManager.default.fileExists(atPath: fixture.output.path + "/tiny-compare/accuracy-vs-time.png"))
    }

    @Test func aCheckpointOfAnotherLessonIsRefusedBeforeTheRun() throws {
        let fixture = Fixture()
        _ = try fixture.run()
        fixture.options.checkpoint = fixture.output.path + "/sample/sample.safetensors"
        #expect(throws: Checkpoint.Mismatch(file: fixture.options.checkpoint!, problem: "holds the weights of lesson 'sample' "
            + "(its metadata says so), not of 'wider-first': view it with `lesson sample --checkpoint \(fixture.options.checkpoint!)`")) {
            _ = try fixture.run(widerFirstLesson)
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.output.path + "/wider-first"), "nothing ran")
    }

    /// A network that is only walked through keeps its initial weights when the checkpoint is the
    /// one the lesson trains; a checkpoint that fits neither is refused.
    @Test func aNetworkOnlyWalkedThroughKeepsItsInitialWeights() throws {
        let fixture = Fixture()
        _ = try fixture.run(widerFirstLesson)
        fixture.options.checkpoint = fixture.output.path + "/wider-first/wider-first.safetensors"
        let (run, printed) = try fixture.run(widerFirstLesson)
        #expect(printed.contains("The checkpoint holds the weights of the network this lesson trains, not of this one"))
        #expect(printed.contains("Loaded the weights from"))
        #expect(run.metrics.final != nil && run.metrics.error == nil)

        let other = fixture.output.path + "/other.safetensors"
        try Checkpoint.encode(Sequential { Flatten(); Linear(784, 5) }).write(to: URL(fileURLWithPath: other))
        fixture.options.checkpoint = other
        #expect(throws: Checkpoint.Mismatch.self) { _ = try fixture.run(widerFirstLesson) }
    }

    @Test func metricsWithoutTrainedInStillRead() throws {
        let fixture = Fixture()
        _ = try fixture.run()
        let file = fixture.output.path + "/sample/metrics.json"
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        #expect(json.keys.contains("trained_in"))
        json["trained_in"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: file))
        #expect(Metrics.read(in: fixture.output.path + "/sample")?.history.count == 2)
    }
}
