import Foundation
import Localization
import NN

/// The run on the console: prose and numbered, highlighted code cell by cell, each output under
/// its cell, pictures by their paths; on a terminal also a live progress line (epoch, batch,
/// loss, accuracy, examples/sec, ETA) rewritten in place. Through a pipe or on a plain terminal,
/// plain lines only.
final class ConsoleSink: RunLogSink {
    let terminal: Terminal
    let write: (String) -> Void
    /// Whether the last thing printed was an output (so the next cell needs a blank line first).
    private var afterOutput = false
    /// Whether a live line (progress, status) is on screen, to be cleared before anything else.
    private var liveLine = false
    private var lastDraw = Date.distantPast

    init(terminal: Terminal, write: @escaping (String) -> Void) { (self.terminal, self.write) = (terminal, write) }

    func record(_ event: RunLog.Event, in log: RunLog) {
        switch event {
        case .cell(let index):
            clearLiveLine()
            if afterOutput { write("\n"); afterOutput = false }
            if let cell = log.source?.cells[index] { write(render(cell) + "\n\n") }
        case .output(let output, _):
            clearLiveLine()
            switch output {
            case .text(let text): write(text + "\n")
            case .image(let picture):
                let path = picture.path
                write(terminal.dim(localized("[picture: \(path)\(picture.note.map { ", " + $0 } ?? "")]",
                                             zh: "[图片：\(path)\(picture.note.map { "，" + $0 } ?? "")]")) + "\n")
            case .error: return  // the command reports errors itself, on standard error
            }
            afterOutput = true
        case .progress(let p):
            guard terminal.isInteractive else { return }
            let now = Date()
            guard now.timeIntervalSince(lastDraw) > 0.1 || p.batch == p.batchCount else { return }
            lastDraw = now
            showLiveLine(progressLine(p))
        case .status(let text):
            guard terminal.isInteractive else { return }
            if let text { showLiveLine(terminal.dim(text)) } else { clearLiveLine() }
        case .note(let text):
            clearLiveLine()
            write("\n" + terminal.dim(text) + "\n")
        case .redrawn, .waiting:
            return  // the pacer prompts on the console itself
        }
    }

    private func showLiveLine(_ text: String) {
        write("\r\u{1B}[2K" + text)
        liveLine = true
    }

    private func clearLiveLine() {
        if liveLine { write("\r\u{1B}[2K"); liveLine = false }
    }

    func progressLine(_ p: BatchProgress) -> String {
        let done = Double(p.epoch - 1) * Double(p.batchCount) + Double(p.batch)
        let total = Double(p.epochs * p.batchCount)
        let eta = p.elapsed / done * (total - done)
        let barWidth = 20
        let filled = Int(Double(barWidth) * Double(p.batch) / Double(p.batchCount))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
        let (loss, accuracy) = (String(format: "%.3f", p.loss), String(format: "%.3f", p.accuracy))
        let (speed, left) = (Int(p.examplesPerSecond).grouped, clock(eta))
        let text = localized("epoch \(p.epoch)/\(p.epochs) \(bar) \(p.batch)/\(p.batchCount)  loss \(loss)"
                                 + "  acc \(accuracy)  \(speed) ex/s  ETA \(left)",
                             zh: "第 \(p.epoch)/\(p.epochs) 轮 \(bar) \(p.batch)/\(p.batchCount)  损失 \(loss)"
                                 + "  准确率 \(accuracy)  \(speed) 样本/秒  剩余 \(left)")
        return truncated(text, toWidth: terminal.width - 1)
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
}

/// `text` cut to at most `width` terminal columns (a Chinese character takes two).
func truncated(_ text: String, toWidth width: Int) -> String {
    var out = "", used = 0
    for ch in text {
        let w = visibleWidth(String(ch))
        if used + w > width { break }
        out.append(ch)
        used += w
    }
    return out
}

/// `text` with spaces after it to fill `width` terminal columns (a Chinese character takes two).
func padded(_ text: String, to width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - visibleWidth(text)))
}

/// 75 → "1:15".
func clock(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "-:--" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}
