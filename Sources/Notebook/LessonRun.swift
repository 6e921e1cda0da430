import Datasets
import Files
import Foundation
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
    /// `--resume`: continue the run whose state is in `<lesson>/resume.safetensors`.
    public var resume = false

    public init() {}

    /// Whether the run will train nothing: `--no-train`, or viewing a `--checkpoint`.
    public var trainsNothing: Bool { noTrain || (checkpoint != nil && !epochsGiven && !resume) }

    /// Where in `<output>/<lesson>/` a run that trains nothing writes, so that it never touches
    /// the last training run's files: `no-train/` or `checkpoint/`. Nil for a training run.
    public var viewingFolder: String? { noTrain ? "no-train" : trainsNothing ? "checkpoint" : nil }
}

/// Something a cell printed or drew, kept for the notebook export.
public enum CellOutput: Equatable, Sendable {
    case text(String)
    /// What stopped the lesson.
    case error(String)
    case image(path: String)
}

/// The lesson asked to stop: `q` in step mode.
struct LessonQuit: Error {}

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
public final class LessonRun {
    public let lesson: Lesson
    public let settings: LessonSettings
    public let options: RunOptions
    /// Where the run writes: `output/<lesson>/`, or its `no-train/` or `checkpoint/` for a run
    /// that trains nothing.
    let folder: RunFolder
    public var directory: URL { URL(fileURLWithPath: folder.path) }
    public internal(set) var metrics: Metrics
    /// Every output so far, with the index of its cell in `source` (nil without a source).
    public internal(set) var outputs: [(cell: Int?, output: CellOutput)] = []
    public let source: LiterateSource?
    /// The signal that stopped the run (Ctrl-C, SIGTERM, SIGHUP), if one did.
    public internal(set) var interruptedBy: Int32?
    public var interrupted: Bool { interruptedBy != nil }

    let terminal: Terminal
    let write: (String) -> Void
    let interruptRequested: () -> Bool
    private var shownCells = 0
    var stepping: Bool
    /// Whether the last thing printed was an output (so the next cell needs a blank line first).
    var afterOutput = false
    /// `output/lenet`, as the user gave it, for messages.
    var displayDirectory: String { folder.display }

    public init(lesson: Lesson, settings: LessonSettings, options: RunOptions, terminal: Terminal,
                write: @escaping (String) -> Void = { ConsoleStream.output.write($0) },
                interruptRequested: @escaping () -> Bool = { Interrupt.shared.requested }) throws {
        (self.lesson, self.settings, self.options, self.terminal, self.write, self.interruptRequested) =
            (lesson, settings, options, terminal, write, interruptRequested)
        metrics = Metrics(lesson: lesson.name, settings: settings, device: "cpu (\(settings.threads) thread\(settings.threads == 1 ? "" : "s"))")
        if let text = lesson.sourceText ?? (try? String(contentsOfFile: lesson.sourceFile, encoding: .utf8)) {
            source = try LiterateSource(text: text, file: lesson.sourceFile)
        } else {
            source = nil
        }
        stepping = options.step
        var display = (options.outputRoot as NSString).appendingPathComponent(lesson.name)
        if let viewing = options.viewingFolder { display = (display as NSString).appendingPathComponent(viewing) }
        // The last run's record is kept until this one has a better: a training run's, once it
        // has finished an epoch; a view's (no-train/, checkpoint/), if there is one.
        let viewing = options.viewingFolder != nil
        folder = try RunFolder(path: display, display: display, root: options.outputRoot) { folder in
            guard let last = Metrics.read(in: folder) else { return false }
            return viewing || !last.history.isEmpty
        }
    }

    /// The data set, read once per run (see `loadData`).
    var loadedData: (train: LabeledImages, test: LabeledImages)?

    // MARK: Running

    /// Runs the lesson with its seed and thread count. However it ends (the end, `q` in step
    /// mode, Ctrl-C, an error in a cell), metrics.json and the notebook are written for what ran,
    /// unless the run ended before it had anything worth more than the last run's record (see
    /// `RunFolder`): then the last run's files are left as they were.
    public func run() throws {
        if source == nil {
            emit(terminal.dim("(The lesson's source \(lesson.sourceFile) is not here, so only its outputs are shown.)") + "\n\n")
        }
        if stepping && isatty(STDIN_FILENO) != 1 {
            stepping = false
            emit(terminal.dim("(--step needs a terminal on standard input; running straight through.)") + "\n\n")
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
            try showCells(through: source?.cells.count ?? 0)
            finished = true
        } catch is LessonQuit {
            emit("\n" + terminal.dim("Stopped at your request.") + "\n")
            finished = options.trainsNothing  // the end of a view; a training run ends with its training
        } catch let stop as Interrupted {
            interruptedBy = stop.signal
            metrics.interrupted = true
            outputs.append((lastReachedCell, .error("Stopped by \(Interrupt.name(stop.signal)).")))
            emit("\n" + terminal.dim("Stopped by \(Interrupt.name(stop.signal)).") + "\n")
        } catch {
            failure = error
            metrics.error = "\(error)"
            outputs.append((lastReachedCell, .error("error: \(error)")))
        }
        if finished { folder.commit() }
        var writeFailure: (any Error)?
        if folder.isCommitted {
            // Each file on its own: a failed notebook must not cost the metrics.
            do { try writeMetrics() } catch { writeFailure = writeFailure ?? error }
            do { try writeNotebook() } catch { writeFailure = writeFailure ?? error }
            if writeFailure == nil {
                emit("\n" + terminal.dim("Wrote \(displayDirectory)/: metrics.json, \(lesson.name).ipynb, \(lesson.name).html and the pictures.") + "\n")
            }
        } else {
            emit("\n" + terminal.dim("Nothing in \(displayDirectory)/ was replaced: the run ended before it had more to show "
                + "than the last run, whose files are as they were.") + "\n")
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

    func writeMetrics() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try folder.write(try encoder.encode(metrics), to: "metrics.json")
    }

    /// The cells shown so far with their outputs, as `<lesson>.ipynb` and `<lesson>.html`.
    func writeNotebook() throws {
        let export = NotebookExport(title: lesson.title, lessonName: lesson.name,
                                    cells: Array((source?.cells ?? []).prefix(shownCells)), outputs: outputs)
        try folder.write(try export.ipynb(), to: "\(lesson.name).ipynb")
        try folder.write(Data(try export.html().utf8), to: "\(lesson.name).html")
    }

    /// The last cell shown, where an error belongs.
    var lastReachedCell: Int? { source == nil ? nil : max(shownCells - 1, 0) }

    // MARK: Cells

    /// Shows every cell up to and including the one holding `line`; the first thing every call of
    /// a lesson does, so also where a stop request is honoured.
    func reach(_ line: Int) throws {
        try checkInterrupt()
        guard let source, let index = source.cellIndex(containing: line) else { return }
        try showCells(through: index + 1)
    }

    private func showCells(through end: Int) throws {
        guard let source else { return }
        while shownCells < min(end, source.cells.count) {
            try checkInterrupt()
            let cell = source.cells[shownCells]
            if afterOutput { emit("\n"); afterOutput = false }
            if stepping && cell.kind == .code { try waitForEnter() }
            emit(render(cell) + "\n\n")
            shownCells += 1
        }
    }

    func waitForEnter(_ prompt: String = "run the next cell") throws {
        emit(terminal.dim("[Enter: \(prompt) · q: quit]"))
        let answer = try readAnswer()
        emit(terminal.isInteractive ? "\u{1B}[1A\r\u{1B}[2K" : "\n")
        if answer == nil || answer?.trimmingCharacters(in: .whitespaces).lowercased() == "q" { throw LessonQuit() }
    }

    /// A line from standard input, or nil at its end; waits in steps of 0.1 s so that Ctrl-C at
    /// the prompt stops the run like anywhere else.
    func readAnswer() throws -> String? {
        var line: [UInt8] = []
        while true {
            try checkInterrupt()
            var request = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            let ready = poll(&request, 1, 100)
            if ready < 0 && errno != EINTR { return nil }
            guard ready > 0 else { continue }
            var byte: UInt8 = 0
            let n = read(STDIN_FILENO, &byte, 1)
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if n <= 0 { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }

    func render(_ cell: LiterateSource.Cell) -> String {
        switch cell.kind {
        case .prose:
            return MarkdownRenderer(terminal: terminal).render(cell.text)
        case .code:
            let numberWidth = String(cell.lines.upperBound).count
            return cell.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { offset, line in
                let number = String(cell.lines.lowerBound + offset)
                let gutter = String(repeating: " ", count: numberWidth - number.count) + number + " │ "
                return terminal.dim(gutter) + highlight(String(line))
            }.joined(separator: "\n")
        }
    }

    private func highlight(_ line: String) -> String {
        guard terminal.useColor else { return line }
        return SwiftHighlighter.tokens(line).map { token in
            switch token.kind {
            case .keyword: return terminal.style(token.text, "35")
            case .type: return terminal.style(token.text, "33")
            case .number: return terminal.style(token.text, "36")
            case .string: return terminal.style(token.text, "32")
            case .comment: return terminal.style(token.text, "2;3")
            case .plain: return token.text
            }
        }.joined()
    }

    func emit(_ text: String) { write(text) }

    /// Records and prints an output of the cell holding `line`.
    func output(_ output: CellOutput, line: Int) {
        outputs.append((source?.cellIndex(containing: line), output))
        if case .text(let text) = output { emit(text + "\n"); afterOutput = true }
    }

    // MARK: What lessons call

    /// Prints `text` as an output of the calling cell.
    public func say(_ text: String, line: Int = #line) throws {
        try reach(line)
        output(.text(text), line: line)
    }

}
