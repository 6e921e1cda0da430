import ArgumentParser
import Classroom
import Datasets
import Files
import Foundation
import Lessons
import Localization
import NN
import Notebook
import Tensors

@main
enum Main {
    static func main() {
        // Before anything is printed: a closed or broken console must never crash a run.
        ConsoleStream.prepareProcess()
        LessonCommand.main(withClassDefault(Array(CommandLine.arguments.dropFirst())))
    }

    /// `--class` may come without its address: then it serves this machine only, on port 8000
    /// (or the next free port). An address has a digit or a colon, which no lesson name has.
    static func withClassDefault(_ arguments: [String]) -> [String] {
        guard let flag = arguments.firstIndex(of: "--class") else { return arguments }
        let next = flag + 1 < arguments.count ? arguments[flag + 1] : nil
        let isAddress = next.map { $0 == "localhost" || $0.contains(":") || $0.contains(where: \.isNumber) } ?? false
        var arguments = arguments
        if !isAddress { arguments.insert(LessonCommand.defaultClassAddress, at: flag + 1) }
        return arguments
    }
}

struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "Run a lesson of the modern-CNN chapter: prose, code, shapes, training on Fashion-MNIST, outputs.",
        discussion: "Lessons:\n" + lessonList(indent: "  ", width: 78)
            + "\n\nWithout flags a lesson uses its in-class preset (a few minutes on a laptop); --full uses the book's settings;"
            + " any flag below overrides either.")

    @Argument(help: "The lesson to run, `all` (every lesson, then `compare`), or `list`.")
    var name: String?

    // Every value is checked as it is parsed, before any work; `.unconditional` lets a value
    // such as -1 reach the check (which says what is allowed) instead of reading as a flag.
    @Option(parsing: .unconditional, help: "Training epochs.", transform: { try FlagChecks.epochs.parse($0) })
    var epochs: Int?
    @Option(parsing: .unconditional, help: "Examples per minibatch.", transform: { try FlagChecks.batchSize.parse($0) })
    var batchSize: Int?
    @Option(parsing: .unconditional, help: "Learning rate of SGD.", transform: { try FlagChecks.learningRate($0) })
    var lr: Double?
    @Option(parsing: .unconditional, help: "Train on the first N of the 60,000 training images.", transform: { try FlagChecks.trainSize.parse($0) })
    var trainSize: Int?
    @Option(parsing: .unconditional, help: "Test on the first N of the 10,000 test images.", transform: { try FlagChecks.testSize.parse($0) })
    var testSize: Int?
    @Option(parsing: .unconditional, help: "Resize the 28×28 images to N×N.", transform: { try FlagChecks.resize.parse($0) })
    var resize: Int?
    @Option(parsing: .unconditional, help: "Threads for the kernels (default: all \(ProcessInfo.processInfo.activeProcessorCount) cores).",
            transform: { try FlagChecks.threads.parse($0) })
    var threads: Int?
    @Option(parsing: .unconditional, help: "Seed for initialization, shuffling and dropout.", transform: { try FlagChecks.seed($0) })
    var seed: UInt64?
    @Option(help: "Fashion-MNIST folder (default: $FASHION_MNIST, else \(defaultDataFolder)).") var data: String?
    @Option(help: "Where to write <lesson>/ with pictures, metrics and the notebook.") var output = "output"
    @Option(parsing: .unconditional, help: "Pixels per point in the pictures (2 for HiDPI screens and projectors).",
            transform: { try FlagChecks.scale($0) })
    var scale = 1.0
    @Option(help: "Load weights from a safetensors file (ours or PyTorch's) instead of training; with --epochs, train them further.")
    var checkpoint: String?
    @Option(help: ArgumentHelp("Classify a photo of your own (PNG or JPEG; one garment on a plain background) with the trained "
        + "network, or with --checkpoint's, and walk it through the layers.", valueName: "file"))
    var image: String?
    @Option(help: ArgumentHelp("The language of the prose, the printed lines and the pictures: en or zh (中文). Default: zh "
        + "when LC_ALL, LC_MESSAGES or LANG starts with zh, else en.", valueName: "en|zh"),
            transform: { try FlagChecks.language($0) })
    var lang: Language?
    @Flag(help: "Use the book's training settings.") var full = false
    @Flag(help: "Show the walk-through of the untrained network; skip training.") var noTrain = false
    @Flag(help: "Wait for Enter before each cell (for teaching).") var step = false
    @Option(name: .customLong("class"), help: ArgumentHelp(
        "Serve a live class page that the teacher drives (with the token printed) and students follow; alone, on this "
            + "machine only (127.0.0.1:8000), or on HOST:PORT (0.0.0.0:8000 for every network).",
        valueName: "host:port"))
    var classAddress: String?
    @Flag(help: ArgumentHelp("Continue the run that was stopped (Ctrl-C, kill, power loss) from where it was saved, with its "
        + "settings; --epochs N also extends a finished run."))
    var resume = false
    @Option(help: ArgumentHelp("With `all`: start the series at this lesson (to go on after one that was stopped).",
                               valueName: "lesson"))
    var from: String?

    static let defaultDataFolder = "/usr/share/datasets/fashion-mnist"
    /// What `--class` alone stands for.
    static let defaultClassAddress = "default"

    /// Where the class page is served, if `--class` was given.
    func classPageAddress() throws -> ClassAddress? {
        guard let classAddress else { return nil }
        if classAddress == Self.defaultClassAddress { return .loopback }
        do { return try ClassAddress(classAddress) } catch { throw ValidationError("\(error)") }
    }

    /// One line a lesson, name and summary; with `width`, summaries wrap under themselves.
    static func lessonList(indent: String = "", width: Int? = nil) -> String {
        let column = (allLessons.map(\.name.count).max() ?? 0) + 2
        return allLessons.map { lesson in
            let lead = indent + lesson.name.padding(toLength: column, withPad: " ", startingAt: 0)
            guard let width else { return lead + lesson.summary.english }
            var lines: [String] = [], current = ""
            for word in lesson.summary.english.split(separator: " ") {
                if !current.isEmpty && lead.count + current.count + 1 + word.count > width { lines.append(current); current = "" }
                current += (current.isEmpty ? "" : " ") + word
            }
            lines.append(current)
            let hanging = String(repeating: " ", count: lead.count)
            return lines.enumerated().map { ($0.offset == 0 ? lead : hanging) + $0.element }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// The lesson name as typed, `all` and `list` in any case.
    var command: String? { name.map { ["all", "list"].contains($0.lowercased()) ? $0.lowercased() : $0 } }

    func validate() throws {
        if let name = command, name != "list", name != "all", lesson(named: name) == nil {
            throw ValidationError("unknown lesson '\(printable(name))'. The lessons are:\n" + Self.lessonList(indent: "  ", width: 78))
        }
        if data?.isEmpty == true { throw ValidationError("--data needs the path of a folder") }
        if output.isEmpty { throw ValidationError("--output needs the path of a folder") }
        if image?.isEmpty == true { throw ValidationError("--image needs the path of a PNG or JPEG file") }
        if resume && (noTrain || checkpoint != nil) {
            throw ValidationError("--resume continues a stopped training run; it cannot be combined with "
                + (noTrain ? "--no-train" : "--checkpoint"))
        }
        if resume && command == "all" { throw ValidationError("--resume continues one lesson's run: name the lesson") }
        if classAddress != nil && command == "all" { throw ValidationError("--class teaches one lesson at a time: name the lesson") }
        if let from {
            guard command == "all" else { throw ValidationError("--from starts `lesson all` at a lesson: use it with all") }
            guard lesson(named: from) != nil else {
                throw ValidationError("--from: unknown lesson '\(printable(from))'. The lessons are:\n" + Self.lessonList(indent: "  ", width: 78))
            }
        }
        _ = try classPageAddress()
    }

    func run() throws {
        Interrupt.shared.install { signal in
            ConsoleStream.error.write("\n\(Interrupt.name(signal)): stopping at the next safe point and saving what was done "
                + "(press Ctrl-C again to quit at once).\n")
        }
        if command == "all" {
            try runSeries(startingAt: allLessons.firstIndex { $0.name == from?.lowercased() } ?? 0)
        } else if let name = command, name != "list", let chosen = lesson(named: name) {
            try run(chosen)
        } else {
            ConsoleStream.output.write(Self.lessonList() + "\n\nRun one with: swift run lesson <name>, or all of them with: "
                + "swift run lesson all   (see --help for the options)\n")
        }
        // A signal that came after the last point where the run could stop still says so.
        if let signal = Interrupt.shared.signal { throw ExitCode(128 + signal) }
    }

    /// Every lesson from `first` on, in the chapter's order (the comparison last, so that it
    /// finds their results); a stop request ends the whole series. Each lesson after the first
    /// runs in a fresh image of this program (`FreshImage`), so that it starts with the memory
    /// it would have alone.
    func runSeries(startingAt first: Int) throws {
        var next = first
        while next < allLessons.count && !Interrupt.shared.requested {
            let chosen = allLessons[next]
            let rule = String(repeating: "=", count: 88)
            ConsoleStream.output.write("\n\(rule)\nLesson \(chosen.name): \(chosen.title)\n\(rule)\n\n")
            try run(chosen)
            next += 1
            guard next < allLessons.count, Interrupt.shared.endAtOnceOnSignal() else { break }
            let failure = FreshImage.replaceProcess(arguments: FreshImage.arguments(
                Array(CommandLine.arguments.dropFirst()), replacing: "--from", with: allLessons[next].name))
            // Still here: go on in this image, as well as it can.
            Interrupt.shared.listenAgain()
            ConsoleStream.error.write("note: could not start a fresh process for the next lesson (\(failure)); going on in this one.\n")
            Storage.releasePooledMemory()
        }
    }

    func run(_ chosen: Lesson) throws {
        do {
            let settings = try settings(for: chosen)
            var options = RunOptions()
            options.full = full
            options.noTrain = noTrain
            options.step = step
            options.dataDirectory = data
            options.outputRoot = output
            options.scale = scale
            options.checkpoint = checkpoint
            options.image = image
            options.epochsGiven = epochs != nil
            options.resume = resume
            options.language = lang ?? Language.preferred(by: ProcessInfo.processInfo.environment)
            let run = try LessonRun(lesson: chosen, settings: settings, options: options, terminal: .current())
            guard let address = try classPageAddress() else {
                try run.run()
                if let signal = run.interruptedBy { throw ExitCode(128 + signal) }
                return
            }
            try teach(run, on: address)
        } catch let exit as ExitCode {
            throw exit
        } catch let stop as Interrupted {
            throw ExitCode(128 + stop.signal)
        } catch {
            ConsoleStream.error.write("\nerror: \(explained(error))\n")
            throw ExitCode.failure
        }
    }

    /// Runs `run` in class mode: the page is served while the lesson runs and after it, until
    /// Ctrl-C closes it (then the exit status is 0, as closing is how a class ends).
    func teach(_ run: LessonRun, on address: ClassAddress) throws {
        let session = try ClassSession(run: run, address: address, interruptRequested: { Interrupt.shared.requested })
        ConsoleStream.output.write("""
            Class page for \(run.lesson.title):
              teacher (drives the lesson; keep this address to yourself): \(session.teacherURL)
              students (follow):                                          \(session.studentURLs.joined(separator: "  "))
            The lesson waits for the teacher's Next on the page (or Enter here).


            """)
        defer { session.stop() }
        try run.run()
        if let signal = run.interruptedBy { throw ExitCode(128 + signal) }
        session.lessonEnded()
        ConsoleStream.output.write("\nThe lesson is over; the class page stays at \(session.teacherURL) until Ctrl-C.\n")
        while !Interrupt.shared.requested { usleep(100_000) }
        ConsoleStream.output.write("Closed the class page.\n")
        Interrupt.shared.forgive()
    }

    /// The lesson's preset, with the flags given; for `--resume`, the stopped run's settings.
    func settings(for chosen: Lesson) throws -> LessonSettings {
        var settings = full ? chosen.book : chosen.inClass
        if resume {
            let folder = (output as NSString).appendingPathComponent(chosen.name)
            // A run still writing there says so, whatever it has saved.
            if FileManager.default.fileExists(atPath: folder) { try FolderLock(folder).release() }
            let record = try ResumeRecord.read(folder: folder)
            guard record.lesson == chosen.name else {
                throw ValidationError("\(folder)/\(ResumeRecord.fileName) holds a stopped run of lesson \(record.lesson), not \(chosen.name)")
            }
            settings = record.settings
            if full {
                var book = chosen.book, saved = settings
                (book.epochs, book.threads, saved.epochs, saved.threads) = (0, 0, 0, 0)
                if book != saved {
                    throw ValidationError("--full: the stopped run used the in-class settings; a continued run keeps its settings "
                        + "(drop --full, or start a new run without --resume)")
                }
            }
            let given: [(String, String?, String)] = [
                ("batch-size", batchSize.map(String.init), String(settings.batchSize)), ("lr", lr.map { "\($0)" }, "\(settings.lr)"),
                ("train-size", trainSize.map(String.init), settings.trainSize.map(String.init) ?? "all"),
                ("test-size", testSize.map(String.init), settings.testSize.map(String.init) ?? "all"),
                ("resize", resize.map(String.init), settings.resize.map(String.init) ?? "none"),
                ("seed", seed.map(String.init), String(settings.seed)),
            ]
            for (flag, value, saved) in given where value != nil && value != saved {
                throw ValidationError("--\(flag) \(value!): the stopped run used \(saved); a continued run keeps its settings "
                    + "(drop --\(flag), or start a new run without --resume)")
            }
            let finished = record.state.history.count
            settings.epochs = epochs ?? settings.epochs
            guard settings.epochs > finished || (settings.epochs == finished && record.state.epoch <= finished) else {
                throw ValidationError(settings.epochs < finished
                    ? "--epochs \(settings.epochs): the stopped run has already finished \(finished) epochs"
                    : "the run in \(output)/\(chosen.name) finished all \(finished) of its epochs; nothing to continue "
                        + "(add --epochs N to train it further)")
            }
        } else {
            settings.epochs = epochs ?? settings.epochs
            settings.batchSize = batchSize ?? settings.batchSize
            settings.lr = lr ?? settings.lr
            settings.trainSize = trainSize ?? settings.trainSize
            settings.testSize = testSize ?? settings.testSize
            settings.resize = resize ?? settings.resize
            // Weights whose checkpoint records their run (PyTorch's) are shown at the size they were trained at.
            if resize == nil, let checkpoint, let recorded = (try? CheckpointOrigin.read(path: checkpoint))?.run {
                settings.resize = recorded.settings.resize
            }
            settings.seed = seed ?? settings.seed
        }
        settings.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        return settings
    }

    /// The error, with what to do about it where the command line can say, and no control
    /// character from a typed path or name that could play tricks on the terminal.
    func explained(_ error: any Error) -> String { printable(advice(error)) }

    func advice(_ error: any Error) -> String {
        if let held = error as? FolderLock.Held {
            return "\(held), or choose another output folder with --output DIR."
        }
        if let data = error as? DatasetError, data.hint == FashionMNIST.installHint {
            return "\(data)\nName that folder with --data DIR or the environment variable \(FashionMNIST.environmentVariable)."
        }
        if let diverged = error as? TrainingError {
            return "\(diverged) Run again with --lr \(diverged.suggestedLearningRate)."
        }
        if let file = error as? FileError, file.path.hasPrefix(output) {
            return "\(file). Choose another output folder with --output DIR" + (file.problem.contains("space") ? ", or free some space." : ".")
        }
        return "\(error)"
    }
}

/// `text` with control characters (but newlines and tabs) shown as escapes: `\u{1B}`.
func printable(_ text: String) -> String {
    String(text.unicodeScalars.map { scalar -> String in
        scalar.properties.generalCategory == .control && scalar != "\n" && scalar != "\t"
            ? "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" : String(scalar)
    }.joined())
}
