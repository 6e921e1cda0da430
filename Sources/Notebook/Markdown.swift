/// The Markdown that lesson prose uses, parsed once and drawn for a terminal or as HTML:
/// headings, paragraphs, bullet and numbered lists, fenced code, and inline bold, emphasis,
/// code and links.
public enum Markdown {
    public indirect enum Inline: Equatable {
        case text(String)
        case strong([Inline])
        case emphasis([Inline])
        case code(String)
        case link([Inline], url: String)
    }

    public enum Block: Equatable {
        case heading(level: Int, [Inline])
        case paragraph([Inline])
        case list(ordered: Bool, start: Int, items: [[Inline]])
        case code(String)
    }

    public static func parse(_ text: String) -> [Block] {
        var blocks: [Block] = []
        var paragraph: [String] = []
        var list: (ordered: Bool, start: Int, items: [[String]])?
        var fence: [String]?

        func flush() {
            if !paragraph.isEmpty { blocks.append(.paragraph(inline(joinedParagraph(paragraph)))); paragraph = [] }
            if let l = list {
                blocks.append(.list(ordered: l.ordered, start: l.start, items: l.items.map { inline(joinedParagraph($0)) }))
                list = nil
            }
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if raw.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                if let lines = fence { blocks.append(.code(lines.joined(separator: "\n"))); fence = nil } else { flush(); fence = [] }
                continue
            }
            if fence != nil { fence!.append(raw); continue }
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { flush(); continue }
            if let level = headingLevel(line) {
                flush()
                blocks.append(.heading(level: level, inline(String(line.dropFirst(level + 1)))))
            } else if let item = listItem(line) {
                if !paragraph.isEmpty { flush() }
                if list == nil || list!.ordered != item.ordered { flush(); list = (item.ordered, item.number, []) }
                list!.items.append([item.body])
            } else if list != nil && raw.hasPrefix(" ") {
                list!.items[list!.items.count - 1].append(line)  // continuation of an item
            } else {
                if list != nil { flush() }
                paragraph.append(line)
            }
        }
        if let lines = fence { blocks.append(.code(lines.joined(separator: "\n"))) }
        flush()
        return blocks
    }

    static func headingLevel(_ line: String) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        return (1...6).contains(hashes) && line.dropFirst(hashes).first == " " ? hashes : nil
    }

    static func listItem(_ line: String) -> (ordered: Bool, number: Int, body: String)? {
        for bullet in ["- ", "* ", "+ "] where line.hasPrefix(bullet) { return (false, 1, String(line.dropFirst(2))) }
        let digits = line.prefix { $0.isNumber }
        if !digits.isEmpty, line.dropFirst(digits.count).hasPrefix(". ") {
            return (true, Int(digits) ?? 1, String(line.dropFirst(digits.count + 2)))
        }
        return nil
    }

    public static func inline(_ text: String) -> [Inline] {
        var out: [Inline] = []
        var plain = ""
        func flushPlain() { if !plain.isEmpty { out.append(.text(plain)); plain = "" } }
        var i = text.startIndex
        func find(_ marker: String, from: String.Index) -> Range<String.Index>? {
            text.range(of: marker, range: from..<text.endIndex)
        }
        while i < text.endIndex {
            let rest = text[i...]
            if rest.hasPrefix("`"), let close = find("`", from: text.index(after: i)) {
                flushPlain(); out.append(.code(String(text[text.index(after: i)..<close.lowerBound]))); i = close.upperBound
            } else if rest.hasPrefix("**"), let close = find("**", from: text.index(i, offsetBy: 2)) {
                flushPlain(); out.append(.strong(inline(String(text[text.index(i, offsetBy: 2)..<close.lowerBound])))); i = close.upperBound
            } else if rest.hasPrefix("*") || rest.hasPrefix("_"), rest.count > 1, !rest.dropFirst().hasPrefix(" "),
                      !(rest.hasPrefix("_") && i > text.startIndex && text[text.index(before: i)].isLetter),
                      let close = find(String(rest.first!), from: text.index(after: i)) {
                flushPlain(); out.append(.emphasis(inline(String(text[text.index(after: i)..<close.lowerBound])))); i = close.upperBound
            } else if rest.hasPrefix("["), let mid = find("](", from: i), let close = find(")", from: mid.upperBound) {
                flushPlain()
                out.append(.link(inline(String(text[text.index(after: i)..<mid.lowerBound])), url: String(text[mid.upperBound..<close.lowerBound])))
                i = close.upperBound
            } else {
                plain.append(text[i]); i = text.index(after: i)
            }
        }
        flushPlain()
        return out
    }

    /// The text without markup.
    public static func plainText(_ inlines: [Inline]) -> String {
        inlines.map { piece in
            switch piece {
            case .text(let s), .code(let s): return s
            case .strong(let inner), .emphasis(let inner): return plainText(inner)
            case .link(let inner, let url): return plainText(inner) + " (" + url + ")"
            }
        }.joined()
    }
}

import Foundation
import Localization
