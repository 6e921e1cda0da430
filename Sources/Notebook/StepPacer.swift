import Foundation
import Localization

/// Step mode on the console (`--step`): before each code cell, and before each layer of a
/// walk-through, the run waits for Enter; `q` (or the end of the input) ends the lesson there.
/// In a walk-through a number picks another test image and `b` looks inside the block just
/// passed. Waiting checks every 0.1 s whether the run was asked to stop, so Ctrl-C at the prompt
/// stops it like anywhere else.
final class StepPacer: Pacer {
    let terminal: Terminal
    let write: (String) -> Void
    let checkStop: () throws -> Void

    init(terminal: Terminal, write: @escaping (String) -> Void, checkStop: @escaping () throws -> Void) {
        (self.terminal, self.write, self.checkStop) = (terminal, write, checkStop)
    }

    /// Waits for Enter, saying what it will do ("run the next cell").
    func wait(_ what: String, explorer: (any WalkThroughExplorer)?) throws {
        let extra = explorer == nil ? "" : localized(" · a number: that test image · b: inside the block", zh: " · 数字：那张测试图像 · b：块内部")
        while true {
            write(terminal.dim(localized("[Enter: \(what)\(extra) · q: quit]", zh: "[回车：\(what)\(extra) · q：退出]")))
            let answer = try readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
            write(terminal.isInteractive ? "\u{1B}[1A\r\u{1B}[2K" : "\n")
            guard let answer, answer != "q" else { throw LessonQuit() }
            if answer.isEmpty { return }
            if let explorer, let index = Int(answer) { try explorer.answer(.image(index)) }
            if let explorer, answer == "b" { try explorer.answer(.insideBlock) }
        }
    }

    func trainingMayGoOn() {}
    var stopsAfterThisEpoch: Bool { false }

    /// A line from standard input, or nil at its end.
    private func readLine() throws -> String? {
        var line: [UInt8] = []
        while true {
            try checkStop()
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
}

/// The lesson asked to stop: `q` in step mode.
public struct LessonQuit: Error {
    public init() {}
}
