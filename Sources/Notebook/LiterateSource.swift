import Localization

/// A lesson's Swift source read as a notebook: prose cells from Swift Playground markup
/// (`/*: ... */` blocks and `//:` lines, Markdown inside) and code cells from everything between.
///
///     /*:
///      # LeNet
///      The first convolutional network trained end to end.
///      */
///     let net = leNet()              // a code cell
///     //: Its shapes, layer by layer:
///     try nb.walkThrough(net, input: [1, 1, 28, 28])
///
/// Lines are numbered from 1 as in the file, so an output made at `#line` finds its cell.
///
/// Prose is written in English and, right after it, in Chinese (`/*:zh ... */`, `//:zh`): a
/// prose cell holds both, and its `text` is the one in the language asked for (the English
/// where the other is missing; `untranslated` lists those cells).
public struct LiterateSource: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable { case prose, code }

    public struct Cell: Equatable, Sendable {
        public var kind: Kind
        /// Markdown for prose, Swift for code; common indentation removed.
        public var text: String
        /// The file lines the cell spans.
        public var lines: ClosedRange<Int>
        /// A prose cell's text in each language it is written in.
        public var prose: [Language: String] = [:]

        public init(kind: Kind, text: String, lines: ClosedRange<Int>, prose: [Language: String] = [:]) {
            (self.kind, self.text, self.lines, self.prose) = (kind, text, lines, prose)
        }
    }

    public var file: String
    public var cells: [Cell]

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var file: String
        public var line: Int
        public var problem: String
        public var description: String { "\(file):\(line): \(problem)" }
    }

    public init(text: String, file: String, language: Language = .en) throws {
        self.file = file
        var parser = Parser(lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init), file: file)
        cells = try parser.parse().map { cell in
            var cell = cell
            if cell.kind == .prose { cell.text = cell.prose[language] ?? cell.prose[.en] ?? cell.prose.values.first ?? "" }
            return cell
        }
    }

    /// The prose cells written in one language only: each with its first line and the language
    /// it lacks.
    public func untranslated() -> [(line: Int, missing: Language)] {
        cells.filter { $0.kind == .prose }.flatMap { cell in
            Language.allCases.filter { cell.prose[$0] == nil }.map { (cell.lines.lowerBound, $0) }
        }
    }

    /// The cell a line belongs to: the one spanning it, or else the code cell before it (blank
    /// lines between cells belong to no cell).
    public func cellIndex(containing line: Int) -> Int? {
        if let i = cells.firstIndex(where: { $0.lines.contains(line) }) { return i }
        return cells.lastIndex { $0.kind == .code && $0.lines.upperBound < line }
    }
}

private struct Parser {
    let lines: [String]
    let file: String
    var cells: [LiterateSource.Cell] = []
    var pending: [(number: Int, text: String)] = []
    var pendingKind: LiterateSource.Kind = .code
    /// The language of the prose in `pending`: `/*:` and `//:` are English, `/*:zh` and `//:zh` Chinese.
    var pendingLanguage = Language.en

    init(lines: [String], file: String) { (self.lines, self.file) = (lines, file) }

    mutating func parse() throws -> [LiterateSource.Cell] {
        var commentDepth = 0  // inside ordinary /* */ comments in code
        var i = 0
        while i < lines.count {
            let line = lines[i], number = i + 1
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if commentDepth == 0 && trimmed.hasPrefix("//:") {
                let (language, content) = Self.language(after: trimmed.dropFirst(3))
                add(.prose, number, String(content.first == " " ? content.dropFirst() : content), language: language)
                i += 1
            } else if commentDepth == 0 && trimmed.hasPrefix("/*:") {
                i = try readBlock(from: i)
            } else {
                commentDepth = max(0, commentDepth + Self.depthChange(Substring(line)))
                add(.code, number, line)
                i += 1
            }
        }
        flush()
        return cells
    }

    /// Reads a `/*: ... */` block starting at line index `start` (nesting counted, as Swift
    /// does); returns the index of the line after it.
    mutating func readBlock(from start: Int) throws -> Int {
        let opening = lines[start]
        let markerEnd = opening.range(of: "/*:")!.upperBound
        let (language, afterMarker) = Self.language(after: opening[markerEnd...])
        var depth = 1
        var i = start
        var rest = afterMarker
        while true {
            // Find where depth returns to zero on this line, if it does.
            var index = rest.startIndex
            var closeAt: String.Index?
            while index < rest.endIndex {
                let next = rest.index(after: index)
                if next < rest.endIndex {
                    let pair = rest[index...next]
                    if pair == "/*" { depth += 1; index = rest.index(after: next); continue }
                    if pair == "*/" {
                        depth -= 1
                        if depth == 0 { closeAt = index; break }
                        index = rest.index(after: next); continue
                    }
                }
                index = next
            }
            if let closeAt {
                add(.prose, i + 1, String(rest[..<closeAt]), language: language)
                let after = rest[rest.index(closeAt, offsetBy: 2)...]
                if !after.allSatisfy(\.isWhitespace) { add(.code, i + 1, String(after)) }
                return i + 1
            }
            add(.prose, i + 1, String(rest), language: language)
            i += 1
            guard i < lines.count else {
                throw LiterateSource.ParseError(file: file, line: start + 1,
                                                problem: "prose block opened with /*: is never closed with */")
            }
            rest = Substring(lines[i])
        }
    }

    /// The language a prose marker names (`zh` right after `/*:` or `//:`), and the text after it.
    static func language(after marker: Substring) -> (Language, Substring) {
        for language in Language.allCases where language != .en {
            let tag = language.rawValue
            if marker.hasPrefix(tag), marker.dropFirst(tag.count).first.map({ $0 == " " || $0 == "\t" }) ?? true {
                return (language, marker.dropFirst(tag.count))
            }
        }
        return (.en, marker)
    }

    /// How a line of code changes the depth of ordinary block comments.
    static func depthChange(_ line: Substring) -> Int {
        var change = 0
        var index = line.startIndex
        while index < line.endIndex {
            let next = line.index(after: index)
            if next < line.endIndex {
                let pair = line[index...next]
                if pair == "//" && change == 0 { break }
                if pair == "/*" { change += 1; index = line.index(after: next); continue }
                if pair == "*/" { change -= 1; index = line.index(after: next); continue }
            }
            index = next
        }
        return change
    }

    mutating func add(_ kind: LiterateSource.Kind, _ number: Int, _ text: String, language: Language = .en) {
        if kind != pendingKind || (kind == .prose && language != pendingLanguage) { flush(); pendingKind = kind }
        pendingLanguage = language
        pending.append((number, text))
    }

    mutating func flush() {
        defer { pending = [] }
        // Blank lines at either end belong to no cell (nor does an empty `/*:` opening line).
        var body = pending[...]
        while let f = body.first, f.text.allSatisfy(\.isWhitespace) { body = body.dropFirst() }
        while let l = body.last, l.text.allSatisfy(\.isWhitespace) { body = body.dropLast() }
        if pendingKind == .code { body = withoutUnopenedClosers(body) }
        guard let first = body.first, let last = body.last else { return }
        let text = dedent(body.map(\.text)).joined(separator: "\n")
        if let previous = cells.last, previous.kind == pendingKind, pendingKind == .prose {
            // Adjacent prose (a //: line after a /*: block, the Chinese after the English) reads as one cell.
            var merged = previous
            merged.prose[pendingLanguage] = previous.prose[pendingLanguage].map { $0 + "\n\n" + text } ?? text
            merged.lines = previous.lines.lowerBound...last.number
            cells[cells.count - 1] = merged
        } else {
            cells.append(.init(kind: pendingKind, text: text, lines: first.number...last.number,
                               prose: pendingKind == .prose ? [pendingLanguage: text] : [:]))
        }
    }
}

/// Drops trailing lines of nothing but closing brackets that close what the cell did not open
/// (the end of the lesson's closure): they say nothing and would spoil the indentation.
private func withoutUnopenedClosers(_ lines: ArraySlice<(number: Int, text: String)>) -> ArraySlice<(number: Int, text: String)> {
    var body = lines
    func balance(_ text: some Sequence<(number: Int, text: String)>) -> Int {
        text.reduce(0) { total, line in
            total + line.text.reduce(0) { $0 + ("{([".contains($1) ? 1 : ")}]".contains($1) ? -1 : 0) }
        }
    }
    while let last = body.last, last.text.allSatisfy({ " \t})]".contains($0) }), balance(body) < 0 {
        body = body.dropLast()
        while let l = body.last, l.text.allSatisfy(\.isWhitespace) { body = body.dropLast() }
    }
    return body
}

/// Removes the indentation all non-blank lines share, and trailing spaces.
func dedent(_ lines: [String]) -> [String] {
    let indents = lines.filter { !$0.allSatisfy(\.isWhitespace) }.map { $0.prefix { $0 == " " || $0 == "\t" }.count }
    let common = indents.min() ?? 0
    return lines.map { line in
        var trimmed = Substring(line.allSatisfy(\.isWhitespace) ? "" : line.dropFirst(common))
        while trimmed.last == " " || trimmed.last == "\t" { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }
}
