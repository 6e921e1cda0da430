import Datasets
import Files
import Foundation
import Localization
import NN
import Plot
import Tensors

/// How a lesson is run: the flags that are not training knobs.
public struct RunOptions: Sendable {
    /// `--full`: the book's settings instead of the in-class preset.
    public var full = false
    /// `--no-train`: walk-through and pictures of the untrained net only.
    public var noTrain = false
    /// `--step`: wait for Enter before each cell.
    public var step = false
    /// `--data`: the Fashion-MNIST folder (else $FASHION_MNIST, else the system folder).
    public var dataDirectory: String?
    /// `--output`: where `<lesson>/` goes.
    public var outputRoot = "output"
    /// `--scale`: pixels per logical pixel in the pictures (2 for HiDPI screens).
    public var scale = 1.0
    /// `--checkpoint`: weights to load instead of initializing (and not train, unless `--epochs`).
    public var checkpoint: String?
    /// Whether `--epochs` was given (with a checkpoint, it means: train further).
    public var epochsGiven = false
    /// `--image`: a photo of one's own for the lesson to classify.
    public var image: String?
    /// `--resume`: continue the run whose state is in `<lesson>/resume.safetensors`.
    public var resume = false
    /// `--lang`: the language of the prose, the printed lines and the pictures.
    public var language = Language.en

    public init() {}

    /// Whether the run will train nothing: `--no-train`, or viewing a `--checkpoint`.
    public var trainsNothing: Bool { noTrain || (checkpoint != nil && !epochsGiven && !resume) }

    /// Where in `<output>/<lesson>/` a run that trains nothing writes, so that it never touches
    /// the last training run's files: `no-train/` or `checkpoint/`. Nil for a training run.
    public var viewingFolder: String? { noTrain ? "no-train" : trainsNothing ? "checkpoint" : nil }
}

/// A batch too large for this machine's memory.
public struct MemoryError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The images are a size the network cannot take.
public struct ResizeError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// A lesson being run: what the lesson's code talks to (`nb` in the lesson files). Every call
/// takes the caller's `#line`, so its output lands under the cell that made it, and the cells
/// before it are shown first.
///
/// The run keeps its record in a `RunLog` (cells, outputs, how far it got), which the console
/// follows live and from which the notebook files are written at the end; its files go to a
/// `RunFolder`; its metrics to one `MetricsRecorder`; its training is prepared by a
/// `TrainingSession`; its pictures are `LessonPicture`s.
public final class LessonRun {
    public let lesson: Lesson
    public let settings: LessonSettings
    public let options: RunOptions
    /// The record of the run, which the console (and any other sink) follows.
    public let log: RunLog
    /// Where the run writes: `output/<lesson>/`, or its `no-train/` or `checkpoint/` for a run
    /// that trains nothing.
    let folder: RunFolder
    let recorder: MetricsRecorder
    let terminal: Terminal
    let interruptRequested: () -> Bool
    /// The teacher's pace in step mode (`--step` on a terminal) or class mode; nil otherwise.
    public var pacer: (any Pacer)?
    /// The data set, read once per run (see `loadData`).
    var loadedData: (train: LabeledImages, test: LabeledImages)?
    /// The networks that hold weights from `--checkpoint` or `--resume` already (loaded before
    /// the walk-through, so that it shows them).
    var loadedWeights: Set<ObjectIdentifier> = []
    /// What the `--checkpoint` file records of where its weights come from, once loaded.
    var checkpointOrigin: CheckpointOrigin?
    /// The picture files this run has written, so a second picture of the same name (two
    /// networks' `architecture.png`) gets a file of its own instead of overwriting the first.
    var pictureNames: Set<String> = []
    /// The photo `--image` names, read and prepared before anything runs.
    let yourPhoto: YourPhoto?
    /// The signal that stopped the run (Ctrl-C, SIGTERM, SIGHUP), if one did.
    public internal(set) var interruptedBy: Int32?

    public var interrupted: Bool { interruptedBy != nil }
    public var directory: URL { URL(fileURLWithPath: folder.path) }
    public var metrics: Metrics { recorder.metrics }
    public var source: LiterateSource? { log.source }
    public var outputs: [(cell: Int?, output: CellOutput)] { log.outputs }

    public init(lesson: Lesson, settings: LessonSettings, options: RunOptions, terminal: Terminal,
                write: @escaping (String) -> Void = { ConsoleStream.output.write($0) },
                interruptRequested: @escaping () -> Bool = { Interrupt.shared.requested }) throws {
        (self.lesson, self.settings, self.options, self.terminal, self.interruptRequested) =
            (lesson, settings, options, terminal, interruptRequested)
        try Fonts.check(for: options.language)  // before anything runs, not at the first picture
        yourPhoto = try options.image.map(YourPhoto.init(path:))
        // A checkpoint of another lesson's network is refused before anything runs (its header only is read here).
        if let path = options.checkpoint, !options.resume {
            try Checkpoint.check(try Checkpoint.metadata(path: path), file: path, isOf: lesson.name)
        }
        let text = lesson.sourceText ?? (try? String(contentsOfFile: lesson.sourceFile, encoding: .utf8))
        log = RunLog(source: try text.map { try LiterateSource(text: $0, file: lesson.sourceFile, language: options.language) })
        log.add(ConsoleSink(terminal: terminal, write: write))

        var display = (options.outputRoot as NSString).appendingPathComponent(lesson.name)
        if let viewing = options.viewingFolder { display = (display as NSString).appendingPathComponent(viewing) }
        // The last run's record is kept until this one has a better: a training run's, once it
        // has finished an epoch; a view's (no-train/, checkpoint/), if there is one.
        let viewing = options.viewingFolder != nil
        folder = try RunFolder(path: display, display: display, root: options.outputRoot) { folder in
            guard let last = Metrics.read(in: folder) else { return false }
            return viewing || !last.history.isEmpty
        }
        recorder = MetricsRecorder(lesson: lesson.name, settings: settings, folder: folder)
        if options.step { pacer = StepPacer(terminal: terminal, write: write, checkStop: { [unowned self] in try checkInterrupt() }) }
        log.beforeCell = { [unowned self] cell in
            try checkInterrupt()
            if cell.kind == .code, let pacer {
                let what = localized("run the next cell", zh: "运行下一个单元")
                log.waiting(what)
                defer { log.waiting(nil) }
                try pacer.wait(what, explorer: nil)
            }
        }
    }

    // MARK: Running

    /// Runs the lesson with its seed and thread count. However it ends (the end, `q` in step
    /// mode, Ctrl-C, an error in a cell), metrics.json and the notebook are written for what ran,
    /// unless the run ended before it had anything worth more than the last run's record (see
    /// `RunFolder`): then the last run's files are left as they were.
    public func run() throws {
        try Language.$current.withValue(options.language) { try runInItsLanguage() }
    }

    private func runInItsLanguage() throws {
        if log.source == nil {
            log.note(localized("(The lesson's source \(lesson.sourceFile) is not here, so only its outputs are shown.)",
                               zh: "（这里没有本课的源文件 \(lesson.sourceFile)，所以只显示它的输出。）"))
        }
        if pacer is StepPacer && isatty(STDIN_FILENO) != 1 {
            pacer = nil
            log.note(localized("(--step needs a terminal on standard input; running straight through.)",
                               zh: "（--step 需要标准输入是终端；现在一口气运行到底。）"))
        }
        var failure: (any Error)?
        var finished = false
        do {
            if lesson.usesData { _ = try loadData() }  // a missing data set is said before anything else
            try Parallel.$threadCount.withValue(settings.threads) {
                try Random.$generator.withValue(RandomGenerator(seed: settings.seed)) {
                    try lesson.body(self)
                }
            }
            try log.showAll()
            finished = true
        } catch is LessonQuit {
            log.note(localized("Stopped at your request.", zh: "已按你的要求停止。"))
            finished = options.trainsNothing  // the end of a view; a training run ends with its training
        } catch let stop as Interrupted {
            interruptedBy = stop.signal
            recorder.interrupted()
            log.append(.error("Stopped by \(Interrupt.name(stop.signal))."), cell: log.lastShownCell)
            log.note(localized("Stopped by \(Interrupt.name(stop.signal)).", zh: "已被 \(Interrupt.name(stop.signal)) 停止。"))
        } catch {
            failure = error
            recorder.failed(error)
            log.append(.error("error: \(error)"), cell: log.lastShownCell)
        }
        if finished { folder.commit() }
        var writeFailure: (any Error)?
        if folder.isCommitted {
            // Each file on its own: a failed notebook must not cost the metrics.
            do { try recorder.write() } catch { writeFailure = writeFailure ?? error }
            do { try writeNotebook() } catch { writeFailure = writeFailure ?? error }
            if finished { folder.removeLastRunsOtherPictures() }
            if writeFailure == nil {
                log.note(localized("Wrote \(folder.display)/: metrics.json, \(lesson.name).ipynb, \(lesson.name).html and the pictures.",
                                   zh: "已写入 \(folder.display)/：metrics.json、\(lesson.name).ipynb、\(lesson.name).html 和图片。"))
            }
        } else {
            log.note(localized("Nothing in \(folder.display)/ was replaced: the run ended before it had more to show "
                                   + "than the last run, whose files are as they were.",
                               zh: "\(folder.display)/ 里的文件一个也没有替换：这次运行在比上次有更多内容可展示之前就结束了，"
                                   + "上次的文件保持原样。"))
        }
        folder.finish()
        if let failure { throw failure }
        if let writeFailure { throw writeFailure }
    }

    /// Throws `Interrupted` if the run has been asked to stop (see `Interrupt`): called at every
    /// safe point, so that a stop request is honoured within a layer, a picture or a batch.
    func checkInterrupt() throws {
        if interruptRequested() { throw Interrupted(signal: Interrupt.shared.signal ?? SIGINT) }
    }

    /// The cells shown with their outputs, as `<lesson>.ipynb` and `<lesson>.html`.
    func writeNotebook() throws {
        var export = NotebookExport(title: lesson.title, lessonName: lesson.name, cells: log.cells, outputs: log.outputs)
        export.sourceName = lesson.sourceFile.split(separator: "/").suffix(2).joined(separator: "/")
        export.language = options.language
        try folder.write(try export.ipynb(), to: "\(lesson.name).ipynb")
        try folder.write(Data(try export.html().utf8), to: "\(lesson.name).html")
    }

    /// Shows every cell up to the one holding `line`: the first thing every call of a lesson does,
    /// so also where a stop request is honoured.
    func reach(_ line: Int) throws {
        try checkInterrupt()
        try log.reach(line: line)
    }

    // MARK: What lessons call

    /// Prints `text` as an output of the calling cell.
    public func say(_ text: String, line: Int = #line) throws {
        try reach(line)
        log.append(.text(text), line: line)
    }

    /// Draws `picture` into the lesson's folder, under the calling cell:
    /// `try nb.show(Filters(net))`, `try nb.show(Predictions(net, on: data))`.
    public func show(_ picture: some LessonPicture, line: Int = #line) throws {
        try reach(line)
        try picture.draw(on: PictureSheet(run: self, line: line))
    }
}
