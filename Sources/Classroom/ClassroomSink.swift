import Foundation
import NN
import Notebook

/// The class page as a sink of the run's log: every cell and output becomes an entry of the
/// page (as the notebook export renders it), and the live parts (training's progress, a status,
/// what the lesson waits for, a picture drawn again) update the page's head.
public final class ClassroomSink: RunLogSink {
    let state: ClassState
    private var lastProgress = Date.distantPast

    public init(state: ClassState) { self.state = state }

    public func record(_ event: RunLog.Event, in log: RunLog) {
        switch event {
        case .cell(let index):
            guard let cell = log.source?.cells[index] else { return }
            state.append(.init(kind: cell.kind == .prose ? .prose : .code, cell: index, html: NotebookExport.cellHTML(cell)))
        case .output(let output, let cell):
            switch output {
            case .image(let picture):
                let name = (picture.path as NSString).lastPathComponent
                let html = NotebookExport.outputHTML(output) { _ in "/picture/" + name }
                state.append(.init(kind: .picture, cell: cell, html: html, picture: name, links: picture.links.isEmpty ? nil : picture.links))
            case .text, .error:
                state.append(.init(kind: .output, cell: cell, html: NotebookExport.outputHTML(output) { _ in "" }))
            }
        case .progress(let p):
            // Ten times a second is live enough, and keeps a hundred followers cheap.
            let now = Date()
            guard now.timeIntervalSince(lastProgress) >= 0.1 || p.batch == p.batchCount else { return }
            lastProgress = now
            let done = Double(p.epoch - 1) * Double(p.batchCount) + Double(p.batch)
            let total = Double(p.epochs * p.batchCount)
            let remaining = done > 0 ? p.elapsed / done * (total - done) : nil
            state.setProgress(.init(epoch: p.epoch, epochs: p.epochs, batch: p.batch, batches: p.batchCount, loss: p.loss,
                                    accuracy: p.accuracy, examplesPerSecond: p.examplesPerSecond, remaining: remaining))
        case .status(let text):
            state.setStatus(text)
        case .note(let text):
            state.append(.init(kind: .note, cell: nil, html: "<p class=\"note\">\(NotebookExport.escape(text))</p>"))
        case .redrawn(let path):
            state.redrawn((path as NSString).lastPathComponent)
        case .waiting:
            return  // the class pacer says what it waits for, and whether the teacher can explore
        }
    }
}

/// The teacher's pace in class mode: the lesson waits for the page's Next (or Enter in the
/// terminal, when it has one), takes the teacher's questions at a walk-through step, and pauses
/// training or ends it after the epoch under way when the page asks.
public final class ClassPacer: Pacer {
    let state: ClassState
    let checkStop: () throws -> Void
    /// Whether Enter in the terminal goes on too (when standard input is a terminal).
    let terminal: Bool

    public init(state: ClassState, checkStop: @escaping () throws -> Void) {
        (self.state, self.checkStop) = (state, checkStop)
        terminal = isatty(STDIN_FILENO) == 1
    }

    public func wait(_ what: String, explorer: (any WalkThroughExplorer)?) throws {
        state.setWaiting(what, exploring: explorer != nil)
        defer { state.setWaiting(nil, exploring: false) }
        while true {
            try checkStop()
            if let request = state.takeRequest() {
                switch request {
                case .goOn: return
                case .explore(let question):
                    state.setWaiting(nil, exploring: false)
                    try explorer?.answer(question)
                    state.setWaiting(what, exploring: explorer != nil)
                }
                continue
            }
            if terminal, let line = readLineIfReady() {
                if line.trimmingCharacters(in: .whitespaces).lowercased() == "q" { throw LessonQuit() }
                return
            }
            usleep(50_000)
        }
    }

    public func trainingMayGoOn() {
        while state.paused { if (try? checkStop()) == nil { return }; usleep(50_000) }
    }

    public var stopsAfterThisEpoch: Bool { state.stopAfterEpoch }

    /// A line typed in the terminal, if one is there now.
    private func readLineIfReady() -> String? {
        var request = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&request, 1, 0) > 0 else { return nil }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(STDIN_FILENO, &byte, 1) == 1 && byte != UInt8(ascii: "\n") { line.append(byte) }
        return String(decoding: line, as: UTF8.self)
    }
}
