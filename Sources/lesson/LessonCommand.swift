import ArgumentParser
import Foundation
import Lessons
import Notebook

@main
struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "Run a lesson of the modern-CNN chapter: prose, code, shapes, training on Fashion-MNIST, outputs.",
        discussion: "Lessons:\n" + lessonList(indent: "  ")
            + "\n\nWithout flags a lesson uses its in-class preset (a few minutes on a laptop); --full uses the book's settings;"
            + " any flag below overrides either.")

    @Argument(help: "The lesson to run, `all` (every lesson, then `compare`), or `list`.")
    var name: String?

    @Option(help: "Training epochs.") var epochs: Int?
    @Option(help: "Examples per minibatch.") var batchSize: Int?
    @Option(help: "Learning rate of SGD.") var lr: Double?
    @Option(help: "Train on the first N of the 60,000 training images.") var trainSize: Int?
    @Option(help: "Test on the first N of the 10,000 test images.") var testSize: Int?
    @Option(help: "Resize the 28×28 images to N×N.") var resize: Int?
    @Option(help: "Threads for the kernels (default: all \(ProcessInfo.processInfo.activeProcessorCount) cores).") var threads: Int?
    @Option(help: "Seed for initialization, shuffling and dropout.") var seed: UInt64?
    @Option(help: "Fashion-MNIST folder (default: $FASHION_MNIST, else \(defaultDataFolder)).") var data: String?
    @Option(help: "Where to write <lesson>/ with pictures, metrics and the notebook.") var output = "output"
    @Option(help: "Pixels per point in the pictures (2 for HiDPI screens and projectors).") var scale = 1.0
    @Option(help: "Load weights from a safetensors file (ours or PyTorch's) instead of training; with --epochs, train them further.")
    var checkpoint: String?
    @Flag(help: "Use the book's training settings.") var full = false
    @Flag(help: "Show the walk-through of the untrained network; skip training.") var noTrain = false
    @Flag(help: "Wait for Enter before each cell (for teaching).") var step = false

    static let defaultDataFolder = "/usr/share/datasets/fashion-mnist"

    static func lessonList(indent: String = "") -> String {
        let width = allLessons.map(\.name.count).max() ?? 0
        return allLessons.map { indent + $0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.summary }
            .joined(separator: "\n")
    }

    func validate() throws {
        if let name, name != "list", name != "all", lesson(named: name) == nil {
            throw ValidationError("unknown lesson '\(name)'. The lessons are:\n" + Self.lessonList(indent: "  "))
        }
        if let problem = FlagChecks.problem(epochs: epochs, batchSize: batchSize, lr: lr, trainSize: trainSize, testSize: testSize,
                                            resize: resize, threads: threads, scale: scale) {
            throw ValidationError(problem)
        }
    }

    func run() throws {
        if name == "all" {
            // Every lesson in the chapter's order (the comparison last, so it finds their results).
            for chosen in allLessons {
                let rule = String(repeating: "=", count: 88)
                FileHandle.standardOutput.write(Data("\n\(rule)\nLesson \(chosen.name): \(chosen.title)\n\(rule)\n\n".utf8))
                try run(chosen)
            }
            return
        }
        guard let name, name != "list", let chosen = lesson(named: name) else {
            print(Self.lessonList())
            print("\nRun one with: swift run lesson <name>, or all of them with: swift run lesson all   (see --help for the options)")
            return
        }
        try run(chosen)
    }

    func run(_ chosen: Lesson) throws {
        var settings = full ? chosen.book : chosen.inClass
        settings.epochs = epochs ?? settings.epochs
        settings.batchSize = batchSize ?? settings.batchSize
        settings.lr = lr ?? settings.lr
        settings.trainSize = trainSize ?? settings.trainSize
        settings.testSize = testSize ?? settings.testSize
        settings.resize = resize ?? settings.resize
        settings.seed = seed ?? settings.seed
        settings.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount

        var options = RunOptions()
        options.full = full
        options.noTrain = noTrain
        options.step = step
        options.dataDirectory = data
        options.outputRoot = output
        options.scale = scale
        options.checkpoint = checkpoint
        options.epochsGiven = epochs != nil

        Interrupt.shared.installOnce {
            FileHandle.standardError.write(Data("\nCtrl-C: stopping after this batch and saving what was done (press again to quit at once).\n".utf8))
        }
        do {
            let run = try LessonRun(lesson: chosen, settings: settings, options: options, terminal: .current())
            try run.run()
            if run.interrupted { throw ExitCode(130) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("\nerror: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
