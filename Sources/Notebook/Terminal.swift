import Foundation

/// What the standard output is: a terminal (colours, width, a live progress line) or a pipe.
public struct Terminal: Sendable {
    public var isInteractive: Bool
    public var useColor: Bool
    public var width: Int

    /// Read from the process: colour only on a terminal, never with NO_COLOR or TERM=dumb.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Terminal {
        let interactive = isatty(STDOUT_FILENO) == 1
        var size = winsize()
        let columns = interactive && ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 88
        let color = interactive && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
        return Terminal(isInteractive: interactive, useColor: color, width: max(40, min(columns, 100)))
    }

    public static let plain = Terminal(isInteractive: false, useColor: false, width: 88)

    public func style(_ text: String, _ codes: String) -> String {
        useColor ? "\u{1B}[\(codes)m\(text)\u{1B}[0m" : text
    }
    public func bold(_ s: String) -> String { style(s, "1") }
    public func dim(_ s: String) -> String { style(s, "2") }
}

/// Markdown drawn for a terminal: headings, paragraphs wrapped to the width, lists with hanging
/// indents, code blocks, and inline emphasis and code.
public struct MarkdownRenderer {
    public var terminal: Terminal

    public init(terminal: Terminal) { self.terminal = terminal }

    public func render(_ markdown: String) -> String {
        var out: [String] = []
        var paragraph: [String] = []
        var inFence = false
        func flushParagraph() {
            guard !paragraph.isEmpty else { return }
            let text = paragraph.joined(separator: " ")
            paragraph = []
            if let item = listItem(text) {
                out += wrap(inline(item.body), width: terminal.width - item.marker.count)
                    .enumerated().map { ($0.offset == 0 ? item.marker : String(repeating: " ", count: item.marker.count)) + $0.element }
            } else {
                out += wrap(inline(text), width: terminal.width)
            }
        }
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("```") {
                flushParagraph()
                inFence.toggle()
                continue
            }
            if inFence { out.append("    " + terminal.style(line, "36")); continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                flushParagraph()
                if out.last != "" { out.append("") }
            } else if let level = headingLevel(trimmed) {
                flushParagraph()
                let title = inline(String(trimmed.dropFirst(level + 1)), plain: !terminal.useColor)
                if terminal.useColor {
                    out.append(terminal.style(title, level == 1 ? "1;4" : "1"))
                } else {
                    let text = String(trimmed.dropFirst(level + 1))
                    out.append(text)
                    if level <= 2 { out.append(String(repeating: level == 1 ? "=" : "-", count: text.count)) }
                }
            } else if listItem(trimmed) != nil {
                flushParagraph()
                paragraph = [trimmed]
            } else {
                paragraph.append(trimmed)
            }
        }
        flushParagraph()
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n")
    }

    func headingLevel(_ line: String) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        return (1...6).contains(hashes) && line.dropFirst(hashes).first == " " ? hashes : nil
    }

    func listItem(_ line: String) -> (marker: String, body: String)? {
        for bullet in ["- ", "* ", "+ "] where line.hasPrefix(bullet) { return ("  • ", String(line.dropFirst(2))) }
        let digits = line.prefix { $0.isNumber }
        if !digits.isEmpty, line.dropFirst(digits.count).hasPrefix(". ") {
            return ("  \(digits). ", String(line.dropFirst(digits.count + 2)))
        }
        return nil
    }

    /// `**bold**`, `*emphasis*`, `` `code` `` and [links](url) for the terminal; markers are
    /// dropped (or drawn as styles when colour is on).
    func inline(_ text: String, plain: Bool = false) -> String {
        var out = ""
        var i = text.startIndex
        func find(_ marker: String, from: String.Index) -> Range<String.Index>? {
            text.range(of: marker, range: from..<text.endIndex)
        }
        while i < text.endIndex {
            let rest = text[i...]
            if rest.hasPrefix("`"), let close = find("`", from: text.index(after: i)) {
                let code = String(text[text.index(after: i)..<close.lowerBound])
                out += plain || !terminal.useColor ? code : terminal.style(code, "36")
                i = close.upperBound
            } else if rest.hasPrefix("**"), let close = find("**", from: text.index(i, offsetBy: 2)) {
                let inner = inline(String(text[text.index(i, offsetBy: 2)..<close.lowerBound]), plain: plain)
                out += plain ? inner : terminal.bold(inner)
                i = close.upperBound
            } else if (rest.hasPrefix("*") || rest.hasPrefix("_")), rest.count > 1, !rest.dropFirst().hasPrefix(" "),
                      let close = find(String(rest.first!), from: text.index(after: i)) {
                let inner = inline(String(text[text.index(after: i)..<close.lowerBound]), plain: plain)
                out += plain ? inner : terminal.style(inner, "3")
                i = close.upperBound
            } else if rest.hasPrefix("["), let mid = find("](", from: i), let close = find(")", from: mid.upperBound) {
                let label = inline(String(text[text.index(after: i)..<mid.lowerBound]), plain: plain)
                let url = String(text[mid.upperBound..<close.lowerBound])
                out += label + " (" + url + ")"
                i = close.upperBound
            } else {
                out.append(text[i])
                i = text.index(after: i)
            }
        }
        return out
    }

    /// Greedy word wrap; escape sequences do not count towards the width.
    func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = "", currentWidth = 0
        for word in text.split(separator: " ") {
            let w = visibleWidth(String(word))
            if currentWidth > 0 && currentWidth + 1 + w > width {
                lines.append(current); current = ""; currentWidth = 0
            }
            if currentWidth > 0 { current += " "; currentWidth += 1 }
            current += word; currentWidth += w
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}

/// Characters a terminal shows: ANSI escape sequences take no room.
func visibleWidth(_ s: String) -> Int {
    var width = 0, inEscape = false
    for ch in s.unicodeScalars {
        if inEscape { if ch == "m" { inEscape = false } } else if ch == "\u{1B}" { inEscape = true } else { width += 1 }
    }
    return width
}
