import Files
import Foundation
import NN
import Tensors
import Testing
import TestSupport
@testable import Notebook

/// A lesson whose training uses the random generator (dropout) and keeps running statistics
/// (batch norm): what a continued run must restore exactly.
let resumableLesson = Lesson(
    name: "resumable", title: "Resumable", summary: "a test lesson with dropout and batch norm",
    inClass: LessonSettings(epochs: 3, batchSize: 16, lr: 0.2, trainSize: 64, testSize: 32),
    book: LessonSettings(epochs: 3, batchSize: 16, lr: 0.2, trainSize: 64, testSize: 32)
) { nb in
    let net = Sequential { Flatten(); Linear(784, 32); BatchNorm1d(32); ReLU(); Dropout(0.5); Linear(32, 10) }
    try nb.walkThrough(net, input: [1, 1, 28, 28])
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)
    try nb.show(Predictions(net, on: data, count: 4))
}

/// Stopping a run anywhere, continuing it, and what it leaves in its folder.
@Suite struct StopAndResumeTests {
    /// Stopped at every safe point in turn (as Ctrl-C would), the run ends cleanly, with no
    /// temporary file left; wherever training had started, `--resume` then finishes it with
    /// weights identical, byte for byte, to a run that was never stopped, and the same history.
    @Test func stoppedAnywhereAndContinuedEqualsNeverStopped() throws {
        let reference = Fixture()
        let (finished, _) = try reference.run(resumableLesson)
        let weights = try #require(reference.files("resumable")["resumable.safetensors"])
        let figures = { (m: Metrics) in m.history.map { [$0.loss, $0.trainAccuracy, $0.testAccuracy] } }
        #expect(finished.metrics.history.count == 3)

        var asked = 0
        _ = try Fixture().run(resumableLesson, stop: { _, n in asked = n; return false })
        #expect(asked > 20, "safe points in the run: \(asked)")
        var resumed = 0
        for point in 1...asked {
            let fixture = Fixture()
            let (stopped, _) = try fixture.run(resumableLesson, stop: { _, n in n == point })
            #expect(stopped.interruptedBy == SIGINT, "stopped at safe point \(point)")
            #expect(!fixture.files("resumable").keys.contains { $0.contains(TemporaryFiles.marker) })
            // Into an empty folder, what ran is recorded wherever it stopped.
            let metrics = try #require(fixture.files("resumable")["metrics.json"], "stopped at safe point \(point)")
            #expect(try JSONDecoder().decode(Metrics.self, from: metrics).interrupted)
            #expect(fixture.files("resumable")["resumable.ipynb"] != nil && fixture.files("resumable")["resumable.html"] != nil)
            guard fixture.files("resumable")[ResumeRecord.fileName] != nil else { continue }  // stopped before training
            fixture.options.resume = true
            let (continued, _) = try fixture.run(resumableLesson)
            #expect(!continued.interrupted)
            #expect(fixture.files("resumable")["resumable.safetensors"] == weights, "stopped at safe point \(point), then resumed")
            #expect(figures(continued.metrics) == figures(finished.metrics), "stopped at safe point \(point), then resumed")
            resumed += 1
        }
        #expect(resumed > 12, "most safe points are in training")
    }

    /// A run that trains nothing, fails before training, or is stopped before its first epoch
    /// ends leaves the last run's record (metrics, notebook, pictures, weights) byte for byte.
    @Test func runsThatRecordNothingNewLeaveTheLastRunAsItWas() throws {
        let fixture = Fixture()
        _ = try fixture.run(resumableLesson)
        let record = fixture.files("resumable").filter { $0.key != ResumeRecord.fileName }
        #expect(record.keys.contains("metrics.json") && record.keys.contains("resumable.ipynb") && record.keys.contains("training.png"))
        func unchanged(_ what: String) {
            let now = fixture.files("resumable").filter { $0.key != ResumeRecord.fileName }
            #expect(now == record, "\(what): \(Set(now.keys).symmetricDifference(record.keys))")
        }

        // Stopped in the walk-through, while loading data, in the first batches of epoch 1.
        for point in [1, 3, 6, 9, 10] {
            let (run, _) = try fixture.run(resumableLesson, stop: { run, n in n == point && run.metrics.history.isEmpty })
            #expect(run.interrupted)
            unchanged("stopped at safe point \(point)")
        }
        // Failing before training: images of a size the network cannot take.
        #expect(throws: ResizeError.self) { try fixture.run(resumableLesson, settings: { $0.resize = 20 }) }
        unchanged("a --resize the network cannot take")
        // Training nothing: its files go to no-train/.
        fixture.options.noTrain = true
        _ = try fixture.run(resumableLesson)
        unchanged("--no-train")
        #expect(FileManager.default.fileExists(atPath: fixture.output.path + "/resumable/no-train/metrics.json"))
    }

    /// A run that trains nothing, stopped anywhere (even before its first cell), ends cleanly with
    /// its notebook; a view that fails leaves the last view as it was.
    @Test func viewsStoppedAnywhereOrFailingEndCleanly() throws {
        let fixture = Fixture()
        fixture.options.noTrain = true
        var asked = 0
        _ = try fixture.run(resumableLesson, stop: { _, n in asked = n; return false })
        let view = fixture.files("resumable/no-train")
        for point in 1...asked {
            let stopped = Fixture()
            stopped.options.noTrain = true
            let (run, _) = try stopped.run(resumableLesson, stop: { _, n in n == point })
            #expect(run.interrupted, "stopped at safe point \(point)")
            #expect(stopped.files("resumable/no-train")["resumable.ipynb"] != nil, "stopped at safe point \(point)")
        }
        #expect(throws: ResizeError.self) { try fixture.run(resumableLesson, settings: { $0.resize = 20 }) }
        #expect(fixture.files("resumable/no-train") == view, "a failed view leaves the last one")
    }

    /// A picture that cannot be written (here a folder is in its way) fails the run after the
    /// weights and the metrics are safe.
    @Test func aFailedPictureNeverCostsTheWeights() throws {
        let fixture = Fixture()
        try Folder.create(fixture.output.path + "/resumable/predictions.png")
        do {
            _ = try fixture.run(resumableLesson)
            Issue.record("a folder in the way of a picture went unnoticed")
        } catch let error as FileError {
            #expect(error.path.hasSuffix("/predictions.png") && error.problem == "cannot be written: Is a directory")
        }
        let files = fixture.files("resumable")
        #expect(files["resumable.safetensors"] != nil && files["resumable.ipynb"] != nil)
        let metrics = try JSONDecoder().decode(Metrics.self, from: try #require(files["metrics.json"]))
        #expect(metrics.history.count == 3 && metrics.final != nil && metrics.error?.contains("predictions.png") == true)
    }

    @Test func aFinishedRunHasNothingToContinueButCanBeExtended() throws {
        let fixture = Fixture()
        _ = try fixture.run(resumableLesson)
        let record = try ResumeRecord.read(folder: fixture.output.path + "/resumable")
        #expect(record.state.epoch == 4 && record.state.history.count == 3 && record.settings.epochs == 3)
        fixture.options.resume = true
        let (extended, printed) = try fixture.run(resumableLesson, settings: { $0.epochs = 5 })
        #expect(extended.metrics.history.map(\.epoch) == [1, 2, 3, 4, 5])
        #expect(printed.contains("Continuing the stopped run from"))
    }

    @Test func resumingWithoutAStoppedRunSaysSo() throws {
        let folder = TemporaryFolder()
        #expect(throws: ResumeRecord.Missing.self) { try ResumeRecord.read(folder: folder.path) }
        do { _ = try ResumeRecord.read(folder: folder.path) } catch {
            #expect("\(error)".contains("holds no stopped run to continue"))
        }
    }
}

/// The output folder: one run at a time, nothing written through a planted symlink, no stale
/// temporary files, a killed run's half-replaced record put back.
@Suite struct RunFolderTests {
    @Test func aSecondRunOnTheSameFolderIsRefused() throws {
        let fixture = Fixture()
        let first = try LessonRun(lesson: sampleLesson, settings: sampleLesson.inClass, options: fixture.options, terminal: .plain)
        do {
            _ = try LessonRun(lesson: sampleLesson, settings: sampleLesson.inClass, options: fixture.options, terminal: .plain)
            Issue.record("two runs took one folder")
        } catch let held as FolderLock.Held {
            #expect(held.holder == getpid())
        }
        _ = first
    }

    /// A planted link to a folder, where a run makes the lesson's folder or its no-train/, would
    /// send every file elsewhere: refused.
    @Test func linkedFoldersAreRefused() throws {
        let fixture = Fixture(), elsewhere = TemporaryFolder()
        try FileManager.default.createSymbolicLink(atPath: fixture.output.path + "/sample", withDestinationPath: elsewhere.path)
        #expect(throws: FileError.self) { try fixture.run() }
        try FileManager.default.removeItem(atPath: fixture.output.path + "/sample")
        try Folder.create(fixture.output.path + "/sample")
        try FileManager.default.createSymbolicLink(atPath: fixture.output.path + "/sample/no-train", withDestinationPath: elsewhere.path)
        fixture.options.noTrain = true
        do { _ = try fixture.run(); Issue.record("wrote through a linked no-train/") } catch let error as FileError {
            #expect(error.problem.hasPrefix("is a symbolic link; a run writes only into real folders"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
    }

    @Test func plantedSymlinksAndStaleTemporaryFiles() throws {
        let fixture = Fixture(), elsewhere = TemporaryFolder()
        let folder = fixture.output.path + "/sample"
        try Folder.create(folder)
        let victim = elsewhere.write("victim", Array("keep".utf8))
        for name in ["metrics.json", "training.png", "sample.ipynb"] {
            try FileManager.default.createSymbolicLink(atPath: folder + "/" + name, withDestinationPath: victim)
        }
        let stale = folder + "/.architecture.png\(TemporaryFiles.marker)killed"
        #expect(FileManager.default.createFile(atPath: stale, contents: Data([1])))
        _ = try fixture.run()
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep")
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/metrics.json")) == nil)
    }

    /// A run killed before its first epoch had replaced some of the last run's files (kept aside
    /// in .previous/) and added new ones: the next run to take the folder puts it all back.
    @Test func aKilledRunIsUndoneByTheNext() throws {
        let root = TemporaryFolder()
        let path = root.path + "/lesson"
        do {
            let last = try RunFolder(path: path, display: path, keepsPrevious: { _ in false })
            try last.write(Data("old metrics".utf8), to: "metrics.json")
            try last.write(Data("old picture".utf8), to: "a.png")
            last.finish()
        }
        do {
            let killed = try RunFolder(path: path, display: path, keepsPrevious: { _ in true })
            try killed.write(Data("new metrics".utf8), to: "metrics.json")
            try killed.write(Data("new picture".utf8), to: "b.png")
            try killed.write(Data("state".utf8), to: "resume.safetensors", partOfRecord: false)
            // Killed: no finish(), no commit(); the lock goes with the object, as with the process.
        }
        #expect(try String(contentsOfFile: path + "/metrics.json", encoding: .utf8) == "new metrics")
        let next = try RunFolder(path: path, display: path, keepsPrevious: { _ in true })
        #expect(try String(contentsOfFile: path + "/metrics.json", encoding: .utf8) == "old metrics")
        #expect(try String(contentsOfFile: path + "/a.png", encoding: .utf8) == "old picture")
        #expect(!FileManager.default.fileExists(atPath: path + "/b.png"))
        #expect(FileManager.default.fileExists(atPath: path + "/resume.safetensors"), "not part of the record")
        #expect(!FileManager.default.fileExists(atPath: path + "/.previous"))
        next.finish()
    }

    @Test func aCommittedRunKeepsItsFiles() throws {
        let root = TemporaryFolder()
        let path = root.path + "/lesson"
        let last = try RunFolder(path: path, display: path, keepsPrevious: { _ in false })
        try last.write(Data("old".utf8), to: "metrics.json")
        last.finish()
        let run = try RunFolder(path: path, display: path, keepsPrevious: { _ in true })
        try run.write(Data("new".utf8), to: "metrics.json")
        run.commit()
        try run.write(Data("newer".utf8), to: "metrics.json")
        run.finish()
        #expect(try String(contentsOfFile: path + "/metrics.json", encoding: .utf8) == "newer")
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).sorted() == [".lock", "metrics.json"])
    }
}

@Suite struct TrainingCheckTests {
    /// A batch that cannot fit is refused with the estimate, and the batch it suggests fits.
    @Test func aBatchTooLargeForMemoryIsRefusedWithOneThatFits() throws {
        let net = Sequential { Conv2d(1, 8, kernelSize: 3, padding: 1); ReLU(); Flatten(); Linear(8 * 28 * 28, 10) }
        let available = 512 << 20
        do {
            try TrainingSession.checkMemory(net, size: 28, batch: 20_000, available: available)
            Issue.record("20,000 images of 28×28 through 8 channels fit in 512 MB?")
        } catch let error as MemoryError {
            #expect(error.message.hasPrefix("A training step on batches of 20,000 images of 28×28 needs about "))
            let suggested = try #require(error.message.split(separator: " ").last.flatMap { Int($0.dropLast()) })
            #expect(suggested > 100 && suggested < 20_000)
            try TrainingSession.checkMemory(net, size: 28, batch: suggested, available: available)
        }
    }

    /// Which sizes fit is worked out on shapes alone: even the sizes far from the one asked for
    /// cost nothing, and the nearest that work are named.
    @Test func aResizeThatDoesNotFitNamesTheNearestThatDo() throws {
        let leNetLike = Sequential {
            Conv2d(1, 6, kernelSize: 5, padding: 2); AvgPool2d(kernelSize: 2, stride: 2)
            Conv2d(6, 16, kernelSize: 5); AvgPool2d(kernelSize: 2, stride: 2); Flatten(); Linear(16 * 5 * 5, 10)
        }
        #expect(throws: Never.self) { try TrainingSession.checkFits(leNetLike, size: 28) }
        do {
            try TrainingSession.checkFits(leNetLike, size: 1024)
            Issue.record("1024 fits a net made for 28")
        } catch let error as ResizeError {
            #expect(error.message.hasSuffix("The largest size that works is 31: --resize 31."))
        }
    }
}

@Suite struct ConsoleTests {
    /// Writing to a pipe nobody reads, or to a full disk, marks the stream broken and goes on.
    @Test func aBrokenStreamIsDroppedNotFatal() throws {
        ConsoleStream.prepareProcess()
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        close(ends[0])
        let stream = ConsoleStream(fd: ends[1])
        stream.write("nobody reads this\n")
        #expect(stream.isBroken)
        stream.write("nor this\n")
        close(ends[1])

        let full = open("/dev/full", O_WRONLY)
        defer { close(full) }
        let toFull = ConsoleStream(fd: full)
        toFull.write(String(repeating: "x", count: 10_000))
        #expect(toFull.isBroken)
    }

    /// What a plain terminal (a pipe, TERM=dumb, a narrow window) is given has no escape sequence.
    @Test func plainOutputHasNoEscapeSequences() throws {
        let fixture = Fixture()
        let (_, printed) = try fixture.run()
        #expect(!printed.contains("\u{1B}"))
        #expect(!Terminal.current(environment: ["TERM": "xterm-256color"]).isInteractive, "the tests' output is not a terminal")
    }
}

@Suite struct LessonTextTests {
    /// The runner shows the text the lesson was built from, not what its file says now.
    @Test func theBuiltTextIsShownNotTheFile() throws {
        let built = "/*:\n # Built\n Prose as built.\n */\nlet shown = 1\n"
        let lesson = Lesson(name: "built", title: "Built", summary: "", inClass: sampleLesson.inClass, book: sampleLesson.book,
                            sourceFile: "/nonexistent/Built.swift") { _ in }
            .withSourceText(from: ["Built.swift": built])
        let fixture = Fixture()
        let (run, printed) = try fixture.run(lesson)
        #expect(run.source?.cells.map(\.text) == ["# Built\nProse as built.", "let shown = 1"])
        #expect(printed.contains("Prose as built."))
    }
}
