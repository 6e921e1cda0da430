/// Splits Swift source into coloured pieces: enough for reading a lesson, not a compiler.
/// The console and the HTML export both draw from it.
public enum SwiftHighlighter {
    public enum Kind: String, Sendable { case plain, keyword, type, number, string, comment }

    public struct Token: Equatable, Sendable {
        public var kind: Kind
        public var text: String
    }

    static let keywords: Set<String> = [
        "let", "var", "func", "return", "if", "else", "for", "in", "while", "guard", "try", "throws", "throw",
        "import", "public", "private", "fileprivate", "internal", "final", "class", "struct", "enum", "protocol",
        "extension", "init", "self", "Self", "true", "false", "nil", "case", "switch", "default", "break",
        "continue", "static", "do", "catch", "where", "as", "is", "some", "any", "inout", "defer", "repeat",
    ]

    /// Tokens of one line (a comment or string never spans lines here; block comments inside a
    /// lesson's code are rare enough to be drawn as plain).
    public static func tokens(_ line: String) -> [Token] {
        var tokens: [Token] = []
        let chars = Array(line)
        var i = 0
        func emit(_ kind: Kind, _ from: Int, _ to: Int) {
            let text = String(chars[from..<to])
            if let last = tokens.last, last.kind == kind { tokens[tokens.count - 1].text += text } else { tokens.append(Token(kind: kind, text: text)) }
        }
        while i < chars.count {
            let c = chars[i]
            if c == "/" && i + 1 < chars.count && chars[i + 1] == "/" {
                emit(.comment, i, chars.count); break
            } else if c == "\"" {
                var j = i + 1
                while j < chars.count && chars[j] != "\"" { j += chars[j] == "\\" ? 2 : 1 }
                j = min(j + 1, chars.count)
                emit(.string, i, j); i = j
            } else if c.isNumber {
                var j = i
                while j < chars.count && (chars[j].isNumber || chars[j] == "." || chars[j] == "_" || chars[j] == "e") { j += 1 }
                emit(.number, i, j); i = j
            } else if c.isLetter || c == "_" || c == "@" || c == "#" {
                var j = i + 1
                while j < chars.count && (chars[j].isLetter || chars[j].isNumber || chars[j] == "_") { j += 1 }
                let word = String(chars[i..<j])
                emit(keywords.contains(word) ? .keyword : (c.isUppercase ? .type : .plain), i, j); i = j
            } else {
                emit(.plain, i, i + 1); i += 1
            }
        }
        return tokens
    }
}
