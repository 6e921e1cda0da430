import Foundation
import NN

/// Training progress on the console: on a terminal, one live line (epoch, batch, loss, accuracy,
/// examples/sec, ETA) rewritten in place; through a pipe, nothing until each epoch's line.
final class ProgressDisplay: TrainingObserver {
    let terminal: Terminal
    let write: (String) -> Void
    let epochLine: (EpochRecord, Int) -> Void
    private var lastDraw = Date.distantPast
    private var lineShown = false

    init(terminal: Terminal, write: @escaping (String) -> Void, epochLine: @escaping (EpochRecord, Int) -> Void) {
        (self.terminal, self.write, self.epochLine) = (terminal, write, epochLine)
    }

    func batchDidEnd(_ p: BatchProgress) {
        guard terminal.isInteractive else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || p.batch == p.batchCount else { return }
        lastDraw = now
        let done = Double(p.epoch - 1) * Double(p.batchCount) + Double(p.batch)
        let total = Double(p.epochs * p.batchCount)
        let eta = p.elapsed / done * (total - done)
        let barWidth = 20
        let filled = Int(Double(barWidth) * Double(p.batch) / Double(p.batchCount))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
        let text = "epoch \(p.epoch)/\(p.epochs) \(bar) \(p.batch)/\(p.batchCount)  loss \(String(format: "%.3f", p.loss))"
            + "  acc \(String(format: "%.3f", p.accuracy))  \(Int(p.examplesPerSecond).grouped) ex/s  ETA \(clock(eta))"
        write("\r\u{1B}[2K" + String(text.prefix(terminal.width - 1)))
        lineShown = true
    }

    func epochDidEnd(_ record: EpochRecord) {
        if lineShown { write("\r\u{1B}[2K"); lineShown = false }
        epochLine(record, 0)
    }
}

/// 75 → "1:15".
func clock(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "-:--" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}
