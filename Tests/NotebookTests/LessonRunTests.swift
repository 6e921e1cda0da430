import Foundation
import NN
import Plot
import Testing
import TestSupport
@testable import Notebook

/// A lesson written in this file, so its cells are this file's lines.
let sampleLesson = Lesson(
    name: "sample", title: "Sample", summary: "a test lesson",
    inClass: LessonSettings(epochs: 2, batchSize: 16, lr: 0.5, trainSize: 64, testSize: 32),
    book: LessonSettings(epochs: 3, batchSize: 16, lr: 0.5)
) { nb in
    let net = Sequential { Flatten(); Linear(784, 10) }
/*:
 The walk-through.
 */
    try nb.walkThrough(net, input: [1, 1, 28, 28])
/*:
 Training.
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)
    try nb.showPredictions(net, on: data, count: 8)
    let logits = try net(data.test.batch([0]).images).scalars
    try nb.say("logits of test image 0: " + logits.map { String(format: "%.6f", $0) }.joined(separator: " "))
}
/*:
 The end of the sample lesson: what follows is not part of it.
 */

/// A miniature Fashion-MNIST and an empty output folder, with options that point at them.
final class Fixture {
    let data = TemporaryFolder(), output = TemporaryFolder()
    var options = RunOptions()

    init() {
        data.writeFashionMNIST(train: 80, test: 40)
        options.outputRoot = output.path
        options.dataDirectory = data.path
    }

    /// The sample lesson, run; with what it printed.
    func run(threads: Int = 2, interruptRequested: @escaping () -> Bool = { false }) throws -> (LessonRun, String) {
        var settings = sampleLesson.inClass
        settings.threads = threads
        var printed = ""
        let run = try LessonRun(lesson: sampleLesson, settings: settings, options: options, terminal: .plain,
                                write: { printed += $0 }, interruptRequested: interruptRequested)
        try run.run()
        return (run, printed)
    }
}

@Suite struct LessonRunTests {
    func run(_ configure: (inout RunOptions) -> Void = { _ in }) throws -> (LessonRun, String, TemporaryFolder) {
        let fixture = Fixture()
        configure(&fixture.options)
        let (run, printed) = try fixture.run()
        return (run, printed, fixture.output)
    }

    @Test func outputsLandUnderTheCellsThatMadeThem() throws {
        let (run, printed, _) = try run()
        let source = try #require(run.source)
        let code = { (i: Int?) in i.map { source.cells[$0].text } ?? "" }
        #expect(run.outputs.count >= 4)
        // The walk-through's table and diagram, then everything from the training cell.
        #expect(run.outputs.prefix(2).allSatisfy { code($0.cell) == "try nb.walkThrough(net, input: [1, 1, 28, 28])" })
        #expect(run.outputs.dropFirst(2).allSatisfy { code($0.cell).hasPrefix("let data = try nb.fashionMNIST()") })
        // The console shows each cell before its outputs.
        let walk = try #require(printed.range(of: "try nb.walkThrough"))
        let shapes = try #require(printed.range(of: "Linear  output shape: [1, 10]"))
        let training = try #require(printed.range(of: "Training."))
        #expect(walk.lowerBound < shapes.lowerBound && shapes.lowerBound < training.lowerBound)
        #expect(printed.contains("epoch 2/2"))
        #expect(printed.contains("The book differs: epochs 3 (here 2), train size all (here 64), test size all (here 32)"))
    }

    @Test func metricsFileHasTheAgreedKeys() throws {
        let (_, _, folder) = try run()
        let data = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/sample/metrics.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["lesson", "settings", "shape_input", "layers", "params", "history", "final"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        let settings = try #require(json["settings"] as? [String: Any])
        #expect(Set(settings.keys) == ["epochs", "batch_size", "lr", "train_size", "test_size", "resize", "seed", "threads"])
        let history = try #require(json["history"] as? [[String: Any]])
        #expect(history.count == 2)
        #expect(Set(history[0].keys) == ["epoch", "loss", "train_acc", "test_acc", "examples_per_sec", "seconds"])
        let layers = try #require(json["layers"] as? [[String: Any]])
        #expect(layers.map { $0["name"] as? String } == ["Flatten", "Linear"])
        #expect(layers[1]["output_shape"] as? [Int] == [1, 10] && layers[1]["params"] as? Int == 7850)
        #expect(json["shape_input"] as? [Int] == [1, 1, 28, 28])
    }

    @Test func picturesAreWrittenAndRecorded() throws {
        let (run, _, folder) = try run()
        for name in ["architecture.png", "training.png", "predictions.png"] {
            let image = try PNGImage(contentsOf: URL(fileURLWithPath: folder.path + "/sample/" + name))
            #expect(image.width > 100 && image.height > 100, "\(name)")
        }
        let pictures = run.outputs.compactMap { if case .image(let path) = $0.output { return path } else { return nil } }
        #expect(pictures.map { ($0 as NSString).lastPathComponent } == ["architecture.png", "training.png", "predictions.png"])
    }

    @Test func noTrainSkipsTraining() throws {
        let (run, printed, _) = try run { $0.noTrain = true }
        #expect(run.metrics.history.isEmpty)
        #expect(printed.contains("Not training (--no-train)"))
    }

    @Test func interruptStopsAfterTheBatchAndKeepsTheRecord() throws {
        let fixture = Fixture()
        var batches = 0
        let (run, printed) = try fixture.run(interruptRequested: { batches += 1; return batches >= 6 })
        #expect(run.interrupted && run.metrics.interrupted)
        #expect(run.metrics.history.count == 1, "the first epoch (4 batches) finished; the second stopped mid-way")
        #expect(FileManager.default.fileExists(atPath: fixture.output.path + "/sample/metrics.json"))
        #expect(printed.contains("Interrupted (Ctrl-C)"))
    }

    @Test func unwritableOutputFolderFailsBeforeAnythingRuns() throws {
        let folder = TemporaryFolder()
        let blocker = folder.write("file", [1])  // a file where the output folder should go
        var o = RunOptions()
        o.outputRoot = blocker
        #expect(throws: OutputError.self) {
            try LessonRun(lesson: sampleLesson, settings: sampleLesson.inClass, options: o, terminal: .plain, write: { _ in })
        }
    }

    @Test func missingDataSaysHowToInstallIt() throws {
        let folder = TemporaryFolder()
        var o = RunOptions()
        o.outputRoot = folder.path
        o.dataDirectory = folder.path + "/nowhere"
        let run = try LessonRun(lesson: sampleLesson, settings: sampleLesson.inClass, options: o, terminal: .plain, write: { _ in })
        do {
            try run.run()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("apt-get install dataset-fashion-mnist"))
        }
    }
}

@Suite struct ReproducibilityTests {
    /// The same seed and thread count give the same losses and accuracies, bit for bit; so
    /// does another thread count.
    @Test func sameSeedSameNumbers() throws {
        func history(threads: Int) throws -> [[Double]] {
            try Fixture().run(threads: threads).0.metrics.history.map { [$0.loss, $0.trainAccuracy, $0.testAccuracy] }
        }
        let first = try history(threads: 2)
        #expect(first.count == 2)
        #expect(try history(threads: 2) == first)
        #expect(try history(threads: 1) == first)
    }

    @Test func checkpointIsSavedAndLoadsBack() throws {
        let fixture = Fixture()
        let (_, first) = try fixture.run()
        let saved = fixture.output.path + "/sample/sample.safetensors"
        #expect(FileManager.default.fileExists(atPath: saved))

        // Loading it skips training and predicts exactly as the saved network did.
        fixture.options.checkpoint = saved
        fixture.options.outputRoot = fixture.output.path + "/again"
        let (run, printed) = try fixture.run()
        #expect(run.metrics.history.isEmpty && printed.contains("Loaded the weights from \(saved)"))
        let logits = { (text: String) in text.components(separatedBy: "\n").first { $0.hasPrefix("logits of test image 0") } }
        #expect(logits(first) != nil && logits(first) == logits(printed))
    }
}

@Suite struct FlagCheckTests {
    func problem(epochs: Int? = nil, batchSize: Int? = nil, lr: Double? = nil, resize: Int? = nil, threads: Int? = nil,
                 scale: Double = 1) -> String? {
        FlagChecks.problem(epochs: epochs, batchSize: batchSize, lr: lr, trainSize: nil, testSize: nil, resize: resize,
                           threads: threads, scale: scale)
    }

    @Test func badValuesSayWhatIsAllowed() {
        #expect(problem() == nil)
        #expect(problem(epochs: 0) == "--epochs 0: the number of epochs must be at least 1")
        #expect(problem(batchSize: -3) == "--batch-size -3: the batch size must be at least 1")
        #expect(problem(lr: 0) == "--lr 0.0: the learning rate must be a positive number")
        #expect(problem(lr: .nan) == "--lr nan: the learning rate must be a positive number")
        #expect(problem(lr: .infinity) == "--lr inf: the learning rate must be a positive number")
        #expect(problem(resize: 0) == "--resize 0: the image side must be between 1 and 1024 pixels")
        #expect(problem(threads: 0) != nil && problem(threads: 1000) != nil)
        #expect(problem(scale: 10) == "--scale 10.0: must be between 0.5 and 4")
    }
}

@Suite struct ResizeCheckTests {
    @Test func aResizeTheNetworkCannotTakeNamesOneThatWorks() throws {
        let fixture = Fixture()
        var settings = sampleLesson.inClass
        settings.resize = 20
        let run = try LessonRun(lesson: sampleLesson, settings: settings, options: fixture.options, terminal: .plain, write: { _ in })
        do {
            try run.run()
            Issue.record("a 20×20 input was accepted by Linear(784, 10)")
        } catch let error as ResizeError {
            #expect(error.message.hasPrefix("Images of 20×20 do not fit this network"))
            #expect(error.message.hasSuffix("The smallest size that works is 28: --resize 28."))
        }
        #expect(run.metrics.history.isEmpty, "nothing trained")
    }
}
