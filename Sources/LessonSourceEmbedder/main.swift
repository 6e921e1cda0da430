// LessonSourceEmbedder OUTPUT FILE...: writes OUTPUT, a Swift file that defines
// `lessonSourceTexts`, each FILE's name mapped to its text, as raw string literals.
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: LessonSourceEmbedder OUTPUT FILE...\n".utf8))
    exit(2)
}

/// Enough `#`s that nothing in `text` can close the raw string or interpolate into it.
func delimiter(for text: String) -> String {
    var longest = 0, run = 0
    for character in text {
        run = character == "#" ? run + 1 : 0
        longest = max(longest, run)
    }
    return String(repeating: "#", count: longest + 1)
}

var swift = "// Generated at build time by LessonSourceEmbedder from the lesson files; do not edit.\n\n"
swift += "/// Each lesson file's name (`LeNet.swift`) and its text, as it was when the module was built.\n"
swift += "let lessonSourceTexts: [String: String] = [\n"
for path in arguments.dropFirst(2).sorted() {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        FileHandle.standardError.write(Data("LessonSourceEmbedder: cannot read \(path) as UTF-8 text\n".utf8))
        exit(1)
    }
    let hashes = delimiter(for: text)
    let name = (path as NSString).lastPathComponent
    swift += "    \"\(name)\": \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes),\n"
}
swift += "]\n"
do {
    try Data(swift.utf8).write(to: URL(fileURLWithPath: arguments[1]), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("LessonSourceEmbedder: cannot write \(arguments[1]): \(error)\n".utf8))
    exit(1)
}
