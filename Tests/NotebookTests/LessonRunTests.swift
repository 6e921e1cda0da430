import Files
import Datasets
import Foundation
import NN
import Plot
import Tensors
import Testing
import TestSupport
@testable import Notebook

/// A lesson written in this file, so its cells are this file's lines.
let sampleLesson = Lesson(
    name: "sample", title: "Sample", summary: "a test lesson",
    inClass: LessonSettings(epochs: 2, batchSize: 16, lr: 0.5, trainSize: 64, testSize: 32),
    book: LessonSettings(epochs: 3, batchSize: 16, lr: 0.5),
    inClassNote: "In class: two epochs on 64 images."
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
    try nb.show(Predictions(net, on: data, count: 8))
    let logits = try net(data.test.batch([0]).images).scalars
    try nb.say("logits of test image 0: " + logits.map { String(format: "%.6f", $0) }.joined(separator: " "))
}
/*:
 The end of the sample lesson: what follows is not part of it.
 */

/// Two networks walked through in one lesson, the second with a named stage, then trained.
let twoNetworksLesson = Lesson(
    name: "two-networks", title: "Two networks", summary: "a test lesson",
    inClass: LessonSettings(epochs: 1, batchSize: 16, lr: 0.1, trainSize: 32, testSize: 16),
    book: LessonSettings(epochs: 1, batchSize: 16, lr: 0.1)
) { nb in
    try nb.walkThrough(Sequential { Flatten(); Linear(784, 10) }, input: [1, 1, 28, 28])
    let net = Sequential {
        Sequential(name: "stem") { Conv2d(1, 4, kernelSize: 3, padding: 1); ReLU(); MaxPool2d(kernelSize: 2, stride: 2) }
        Flatten(); Linear(784, 10)
    }
    try nb.walkThrough(net, input: [1, 1, 28, 28], depth: 2)
    try nb.train(net, on: try nb.fashionMNIST())
}

/// A small convolutional network trained briefly, then shown a photo of one's own.
let yourImageLesson = Lesson(
    name: "your-image", title: "Your image", summary: "a test lesson",
    inClass: LessonSettings(epochs: 1, batchSize: 16, lr: 0.1, trainSize: 32, testSize: 16),
    book: LessonSettings(epochs: 1, batchSize: 16, lr: 0.1)
) { nb in
    let net = Sequential { Conv2d(1, 4, kernelSize: 3, padding: 1); ReLU(); MaxPool2d(kernelSize: 2, stride: 2); Flatten(); Linear(784, 10) }
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)
    try nb.show(YourImage(net, on: data))
}

/// A miniature Fashion-MNIST and an empty output folder, with options that point at them.
final class Fixture {
    let data = TemporaryFolder(), output = TemporaryFolder()
    var options = RunOptions()

    init() {
        data.writeFashionMNIST(train: 80, test: 40)
        options.outputRoot = output.path
        options.dataDirectory = data.path
    }

    /// `lesson` (the sample lesson by default), run; with what it printed. `stop` is asked at every
    /// point where a real run asks whether Ctrl-C was pressed, given the run and how many times it
    /// has been asked (from 1); true stops the run there, as Ctrl-C would.
    func run(_ lesson: Lesson = sampleLesson, threads: Int = 2, settings change: (inout LessonSettings) -> Void = { _ in },
             stop: @escaping (LessonRun, Int) -> Bool = { _, _ in false }) throws -> (LessonRun, String) {
        var settings = lesson.inClass
        settings.threads = threads
        change(&settings)
        final class Printed { var text = "", asked = 0; weak var run: LessonRun? }
        let printed = Printed()
        let run = try LessonRun(lesson: lesson, settings: settings, options: options, terminal: .plain,
                                write: { printed.text += $0 },
                                interruptRequested: { printed.asked += 1; return printed.run.map { stop($0, printed.asked) } ?? false })
        printed.run = run
        try run.run()
        return (run, printed.text)
    }

    /// The lesson's folder: name → bytes of every file in it (hidden ones too, but not the lock).
    func files(_ lesson: String = "sample") -> [String: Data] {
        let folder = output.path + "/" + lesson
        var out: [String: Data] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name != ".lock" {
            out[name] = FileManager.default.contents(atPath: folder + "/" + name)
        }
        return out
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
        // How the 32 test images were classified: ten rows of ten counts, and each class's accuracy.
        let confusion = try #require(json["confusion"] as? [[Int]])
        #expect(confusion.count == 10 && confusion.allSatisfy { $0.count == 10 })
        #expect(confusion.joined().reduce(0, +) == 32)
        let perClass = try #require(json["per_class_accuracy"] as? [Any])
        #expect(perClass.count == 10)
        let diagonal = (0..<10).map { confusion[$0][$0] }.reduce(0, +)
        let final = try #require(json["final"] as? [String: Any])
        #expect(abs(Double(diagonal) / 32 - (final["test_acc"] as? Double ?? -1)) < 1e-12)
    }

    @Test func aFinishedRunLeavesOnlyItsOwnPictures() throws {
        let fixture = Fixture()
        _ = try fixture.run()
        let stale = fixture.output.path + "/sample/step-9-gone.png"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: stale))
        // A run stopped in its first epoch changes nothing; one that ends removes what it did not draw.
        _ = try fixture.run(stop: { _, asked in asked > 3 })
        #expect(FileManager.default.fileExists(atPath: stale))
        _ = try fixture.run()
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(Set(fixture.files().keys.filter { $0.hasSuffix(".png") })
                == ["architecture.png", "training.png", "confusion.png", "predictions.png"])
    }

    /// A photo of a dark garment on a light table, as PNG bytes.
    static func photo() throws -> Data {
        let canvas = try Canvas(width: 300, height: 200)
        canvas.fill(x: 0, y: 0, width: 300, height: 200, color: Color(red: 0.93, green: 0.92, blue: 0.9))
        canvas.fill(x: 150, y: 40, width: 60, height: 120, color: Color(red: 0.2, green: 0.2, blue: 0.25))
        return try canvas.pngData()
    }

    @Test func yourImageIsClassifiedAndWalkedThrough() throws {
        let fixture = Fixture()
        let photo = fixture.output.path + "/photo.png"
        try Self.photo().write(to: URL(fileURLWithPath: photo))
        fixture.options.image = photo
        let (run, printed) = try fixture.run(yourImageLesson)
        #expect(printed.contains("Your image photo.png: "))
        let files = fixture.files("your-image")
        for name in ["your-image.png", "your-image-classes.png", "feature-maps-input-your-image.png", "feature-maps-1-relu-your-image.png"] {
            let bytes = try #require(files[name], "\(name)")
            let picture = try PNGImage(data: bytes)
            #expect(picture.width > 200 && picture.height > 100, "\(name)")
        }
        let result = try #require(run.metrics.image)
        #expect(result.file == photo && result.probabilities.count == 10)
        #expect(abs(result.probabilities.reduce(0, +) - 1) < 1e-9)
        let best = try #require(result.probabilities.indices.max { result.probabilities[$0] < result.probabilities[$1] })
        #expect(result.prediction == FashionMNIST.classNames[best])
        let metrics = try #require(files["metrics.json"])
        let json = try #require(try JSONSerialization.jsonObject(with: metrics) as? [String: Any])
        let image = try #require(json["image"] as? [String: Any])
        #expect(Set(image.keys) == ["file", "prediction", "probabilities"])
    }

    @Test func anImageThatCannotBeReadStopsTheRunBeforeItStarts() throws {
        let fixture = Fixture()
        let notAnImage = fixture.output.path + "/notes.txt"
        try Data("GIF89a, or so it says".utf8).write(to: URL(fileURLWithPath: notAnImage))
        fixture.options.image = notAnImage
        let error = #expect(throws: (any Error).self) { try fixture.run(yourImageLesson) }
        #expect("\(error!)" == "--image \(notAnImage): is not a PNG or JPEG image (it starts with bytes 47 49 46 38)")
        #expect(fixture.files("your-image").isEmpty)
        // Without --image the lesson says how to give one.
        fixture.options.image = nil
        let (_, printed) = try fixture.run(yourImageLesson)
        #expect(printed.contains("To classify a photo of your own") && printed.contains("--image photo.jpg"))
    }

    @Test func theInClassNoteOnlyComesWithThePresetsNumbers() throws {
        let (_, preset, _) = try run()
        // At the start of a line: the lesson's source, which holds the note too, is printed indented.
        #expect(preset.contains("\nIn class: two epochs on 64 images."))
        let (_, changed) = try Fixture().run(settings: { $0.epochs = 1 })
        #expect(!changed.contains("\nIn class:"))
        #expect(changed.contains("The book differs: epochs 3 (here 1)"))
    }

    @Test func twoPicturesOfOneNameKeepTheirOwnFiles() throws {
        let fixture = Fixture()
        let (run, printed) = try fixture.run(twoNetworksLesson)
        let files = fixture.files("two-networks")
        #expect(files["architecture.png"] != nil && files["architecture-2.png"] != nil)
        #expect(files["architecture.png"] != files["architecture-2.png"])
        let pictures = run.outputs.compactMap { if case .image(let picture) = $0.output { return picture.path } else { return nil } }
        #expect(pictures.map { ($0 as NSString).lastPathComponent }.prefix(2) == ["architecture.png", "architecture-2.png"])
        // Named stages appear by name, and depth 2 lists what is inside them, in the order it runs.
        #expect(printed.contains("stem    output shape: [1, 4, 14, 14]"))
        #expect(printed.contains("0    stem  ") && printed.contains("0.0    Conv2d  1→4, 3×3, pad 1"))
        // Training draws the first convolution's kernels before and after.
        let before = try PNGImage(data: try #require(files["filters-before-after.png"]))
        #expect(before.width > 200 && before.height > 100)
    }

    @Test func picturesAreWrittenAndRecorded() throws {
        let (run, _, folder) = try run()
        for name in ["architecture.png", "training.png", "confusion.png", "predictions.png"] {
            let image = try PNGImage(contentsOf: URL(fileURLWithPath: folder.path + "/sample/" + name))
            #expect(image.width > 100 && image.height > 100, "\(name)")
        }
        let pictures = run.outputs.compactMap { if case .image(let picture) = $0.output { return picture.path } else { return nil } }
        #expect(pictures.map { ($0 as NSString).lastPathComponent } == ["architecture.png", "training.png", "confusion.png", "predictions.png"])
    }

    @Test func noTrainSkipsTraining() throws {
        let (run, printed, _) = try run { $0.noTrain = true }
        #expect(run.metrics.history.isEmpty)
        #expect(printed.contains("Not training (--no-train)"))
    }

    @Test func interruptStopsAfterTheBatchAndKeepsTheRecord() throws {
        let fixture = Fixture()
        let (run, printed) = try fixture.run(stop: { run, _ in run.metrics.history.count == 1 })
        #expect(run.interruptedBy == SIGINT && run.metrics.interrupted)
        #expect(run.metrics.history.count == 1, "the first epoch (4 batches) finished; the second stopped after its first batch")
        let files = fixture.files()
        for name in ["metrics.json", "sample.ipynb", "sample.html", "sample.safetensors", "resume.safetensors", "training.png"] {
            #expect(files[name] != nil, "\(name) saved")
        }
        #expect(files["predictions.png"] == nil, "no picture after the stop")
        #expect(printed.contains("Stopped in epoch 2, after batch 1 of 4; 1 full epoch recorded. To continue exactly where it stopped: "
            + "swift run lesson sample --resume --output \(fixture.output.path) --data \(fixture.data.path)"))
        let metrics = try JSONDecoder().decode(Metrics.self, from: try #require(files["metrics.json"]))
        #expect(metrics.interrupted && metrics.history.count == 1)
    }

    @Test func unwritableOutputFolderFailsBeforeAnythingRuns() throws {
        let folder = TemporaryFolder()
        let blocker = folder.write("file", [1])  // a file where the output folder should go
        var o = RunOptions()
        o.outputRoot = blocker
        #expect(throws: FileError(path: blocker, problem: "is a file, not a folder")) {
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
    func problem(_ parse: (String) throws -> Any, _ text: String) -> String? {
        do { _ = try parse(text); return nil } catch { return "\(error)" }
    }

    @Test func badValuesSayWhatIsAllowed() {
        #expect(problem(FlagChecks.epochs.parse, "3") == nil)
        #expect(problem(FlagChecks.epochs.parse, "0") == "the number of epochs must be a whole number from 1 to 10,000")
        #expect(problem(FlagChecks.epochs.parse, "-1") == "the number of epochs must be a whole number from 1 to 10,000")
        #expect(problem(FlagChecks.batchSize.parse, "9223372036854775807") == "the batch size must be a whole number from 1 to 60,000")
        #expect(problem(FlagChecks.batchSize.parse, "99999999999999999999") != nil, "beyond Int")
        #expect(problem(FlagChecks.trainSize.parse, "70000") == "the number of training images must be a whole number from 1 to 60,000")
        #expect(problem(FlagChecks.resize.parse, "1025") == "the image side in pixels must be a whole number from 1 to 1,024")
        #expect(problem(FlagChecks.threads.parse, "0") != nil && problem(FlagChecks.threads.parse, "1000") != nil)
        let lr = "the learning rate must be a number from 1e-45 to 3.4028235e+38"
        for bad in ["0", "-0.1", "nan", "inf", "1e39", "1e-50", "fast"] {
            #expect(problem(FlagChecks.learningRate, bad) == lr, "--lr \(bad)")
        }
        #expect(problem(FlagChecks.learningRate, "1e30") == nil, "finite as a Float: a diverging run says so itself")
        #expect(problem(FlagChecks.seed, "-1") == "the seed must be a whole number from 0 to 18446744073709551615")
        #expect(problem(FlagChecks.scale, "10") == "the pixels per point must be a number from 0.5 to 4")
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
