import Foundation
import Localization

/// What the standard output is: a terminal that can take colours and a live progress line, or
/// anything else (a pipe, a file, `TERM=dumb`, a terminal too narrow for the progress line),
/// which gets plain lines without a single escape sequence.
public struct Terminal: Sendable {
    /// Colours, styles and a progress line rewritten in place.
    public var isInteractive: Bool
    public var useColor: Bool
    /// Columns to wrap prose to.
    public var width: Int

    /// Narrower than this, the live progress line would wrap and could not be rewritten.
    public static let narrowestLive = 60

    /// Read from the process: escape sequences only on a terminal whose `TERM` knows them and that
    /// is at least `narrowestLive` columns wide; colour also needs NO_COLOR unset.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Terminal {
        let tty = isatty(STDOUT_FILENO) == 1
        var size = winsize()
        let columns = tty && ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : nil
        let term = environment["TERM"] ?? ""
        let capable = tty && !term.isEmpty && term != "dumb" && (columns ?? 80) >= narrowestLive
        return Terminal(isInteractive: capable, useColor: capable && environment["NO_COLOR"] == nil,
                        width: max(20, min(columns ?? 88, 100)))
    }

    public static let plain = Terminal(isInteractive: false, useColor: false, width: 88)

    public func style(_ text: String, _ codes: String) -> String {
        useColor ? "\u{1B}[\(codes)m\(text)\u{1B}[0m" : text
    }
    public func bold(_ s: String) -> String { style(s, "1") }
    public func dim(_ s: String) -> String { style(s, "2") }
}

/// Markdown drawn for a terminal: headings, paragraphs wrapped to the width, lists with hanging
/// indents, code blocks, and inline emphasis and code (as styles when colour is on).
public struct MarkdownRenderer {
    public var terminal: Terminal

    public init(terminal: Terminal) { self.terminal = terminal }

    public func render(_ markdown: String) -> String {
        var out: [String] = []
        for block in Markdown.parse(markdown) {
            if !out.isEmpty { out.append("") }
            switch block {
            case let .heading(level, inlines):
                let text = Markdown.plainText(inlines)
                if terminal.useColor {
                    out.append(terminal.style(text, level == 1 ? "1;4" : "1"))
                } else {
                    out.append(text)
                    if level <= 2 { out.append(String(repeating: level == 1 ? "=" : "-", count: visibleWidth(text))) }
                }
            case let .paragraph(inlines):
                out += wrap(styled(inlines), width: terminal.width)
            case let .list(ordered, start, items):
                for (i, item) in items.enumerated() {
                    let marker = ordered ? "  \(start + i). " : "  • "
                    out += wrap(styled(item), width: terminal.width - marker.count).enumerated().map {
                        ($0.offset == 0 ? marker : String(repeating: " ", count: marker.count)) + $0.element
                    }
                }
            case let .code(text):
                out += text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + terminal.style(String($0), "36") }
            }
        }
        return out.joined(separator: "\n")
    }

    /// Inline markup as terminal styles; plain text when colour is off.
    func styled(_ inlines: [Markdown.Inline]) -> String {
        inlines.map { piece in
            switch piece {
            case .text(let s): return s
            case .code(let s): return terminal.style(s, "36")
            case .strong(let inner): return terminal.bold(styled(inner))
            case .emphasis(let inner): return terminal.style(styled(inner), "3")
            case .link(let inner, let url): return styled(inner) + " (" + url + ")"
            }
        }.joined()
    }

    /// Greedy wrap to `width` columns: English breaks at spaces, Chinese between any two
    /// characters (but not before closing punctuation nor after opening); escape sequences take
    /// no room, and Chinese characters two columns.
    func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = "", currentWidth = 0
        for piece in Self.breakablePieces(text) {
            let w = visibleWidth(piece.text), gap = piece.spaced && currentWidth > 0 ? 1 : 0
            if currentWidth > 0 && currentWidth + gap + w > width {
                lines.append(current); current = ""; currentWidth = 0
            } else if gap > 0 {
                current += " "; currentWidth += 1
            }
            current += piece.text; currentWidth += w
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// The pieces a line may break between: words between spaces, and single Chinese
    /// characters; `spaced` when a space came before the piece.
    static func breakablePieces(_ text: String) -> [(text: String, spaced: Bool)] {
        var pieces: [(text: String, spaced: Bool)] = []
        var current = "", spaced = false
        func flush() {
            if !current.isEmpty { pieces.append((current, spaced)); spaced = false }
            current = ""
        }
        var previous: Character?
        for ch in text {
            if ch == " " { flush(); spaced = true; previous = nil; continue }
            if let before = previous, !before.isOpeningPunctuation, !ch.isClosingPunctuation, before.isWide || ch.isWide { flush() }
            current.append(ch)
            previous = ch
        }
        flush()
        return pieces
    }
}

/// Characters a terminal shows: ANSI escape sequences take no room.
func visibleWidth(_ s: String) -> Int {
    var width = 0, inEscape = false
    for ch in s.unicodeScalars {
        if inEscape { if ch == "m" { inEscape = false } } else if ch == "\u{1B}" { inEscape = true } else { width += ch.isWide ? 2 : 1 }
    }
    return width
}
