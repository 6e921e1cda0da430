import NN

/// Something a cell printed or drew, kept for the notebook.
public enum CellOutput: Equatable, Sendable {
    case text(String)
    /// What stopped the lesson.
    case error(String)
    case image(PictureOutput)

    public static func image(path: String) -> CellOutput { .image(PictureOutput(path: path)) }
}

/// A picture a cell drew: its file, a word for a reader following live ("redrawn as training
/// goes"), and parts of it that point elsewhere in the lesson (a layer's box in the network's
/// diagram points to that layer's step of the walk-through).
public struct PictureOutput: Equatable, Sendable {
    public var path: String
    public var note: String?
    public var links: [PictureLink]

    public init(path: String, note: String? = nil, links: [PictureLink] = []) {
        (self.path, self.note, self.links) = (path, note, links)
    }
}

/// A rectangle of a picture, in fractions of its width and height, and where it points.
public struct PictureLink: Equatable, Sendable, Codable {
    public var x: Double, y: Double, width: Double, height: Double
    /// The walk-through step of top-level layer `layer`.
    public var layer: Int

    public init(x: Double, y: Double, width: Double, height: Double, layer: Int) {
        (self.x, self.y, self.width, self.height, self.layer) = (x, y, width, height, layer)
    }
}

/// The record of a lesson run, apart from where it goes: the lesson's cells, how far the run has
/// shown them, and what each made. Sinks follow it as it grows (the console; the class page);
/// the notebook files (`NotebookExport`) are written from it at the end.
///
///     try log.reach(line: 42)                         // shows every cell up to line 42's
///     log.append(.text("epoch 1/10 ..."), line: 42)    // an output of that cell
public final class RunLog {
    /// What happens to the log, as its sinks are told.
    public enum Event {
        /// Cell `index` of the source is shown (each once, in order).
        case cell(Int)
        /// An output, under cell `cell` (nil when there is no source).
        case output(CellOutput, cell: Int?)
        /// Training went one batch further: for a live progress line; not kept.
        case progress(BatchProgress)
        /// A passing status ("measuring AlexNet…"), or nil when it is over; not kept.
        case status(String?)
        /// A remark on the run itself, outside every cell ("Wrote output/lenet/"); not exported.
        case note(String)
        /// A picture already shown was drawn again (the training curves); not kept.
        case redrawn(path: String)
        /// The run waits for the teacher ("run the next cell"), or goes on (nil); not kept.
        case waiting(String?)
    }

    public let source: LiterateSource?
    /// How many of the source's cells have been shown.
    public private(set) var shownCells = 0
    /// Every output so far, with the index of its cell in `source`.
    public private(set) var outputs: [(cell: Int?, output: CellOutput)] = []
    private var sinks: [any RunLogSink] = []
    /// Asked before each cell is shown: the place for step mode to wait and for a stop request
    /// to be honoured (it may throw).
    var beforeCell: (LiterateSource.Cell) throws -> Void = { _ in }

    init(source: LiterateSource?) { self.source = source }

    public func add(_ sink: any RunLogSink) { sinks.append(sink) }

    /// The cells shown so far.
    public var cells: [LiterateSource.Cell] { Array((source?.cells ?? []).prefix(shownCells)) }

    /// The last cell shown, where an error belongs.
    var lastShownCell: Int? { source == nil ? nil : max(shownCells - 1, 0) }

    /// Shows every cell up to and including the one holding `line`.
    func reach(line: Int) throws {
        guard let source, let index = source.cellIndex(containing: line) else { return }
        try showCells(through: index + 1)
    }

    /// Shows the cells not shown yet.
    func showAll() throws { try showCells(through: source?.cells.count ?? 0) }

    private func showCells(through end: Int) throws {
        guard let source else { return }
        while shownCells < min(end, source.cells.count) {
            try beforeCell(source.cells[shownCells])
            shownCells += 1
            tell(.cell(shownCells - 1))
        }
    }

    /// Records `output` under the cell holding `line`.
    func append(_ output: CellOutput, line: Int) { append(output, cell: source?.cellIndex(containing: line)) }

    func append(_ output: CellOutput, cell: Int?) {
        outputs.append((cell, output))
        tell(.output(output, cell: cell))
    }

    func progress(_ progress: BatchProgress) { tell(.progress(progress)) }
    func redrawn(_ path: String) { tell(.redrawn(path: path)) }
    func waiting(_ what: String?) { tell(.waiting(what)) }
    func status(_ text: String?) { tell(.status(text)) }
    func note(_ text: String) { tell(.note(text)) }

    private func tell(_ event: Event) { for sink in sinks { sink.record(event, in: self) } }
}

/// Where a run log goes as it grows.
public protocol RunLogSink: AnyObject {
    func record(_ event: RunLog.Event, in log: RunLog)
}
