import Foundation
import Localization
import Testing
@testable import Notebook

/// A lesson's prose in both languages, chosen by the run; and text laid out as each language is.
@Suite struct LanguageTests {
    @Test func theEnvironmentChoosesTheLanguage() throws {
        #expect(Language.preferred(by: ["LANG": "zh_CN.UTF-8"]) == .zh)
        #expect(Language.preferred(by: ["LANG": "zh_TW"]) == .zh)
        #expect(Language.preferred(by: ["LANG": "en_US.UTF-8"]) == .en)
        #expect(Language.preferred(by: ["LANG": "C"]) == .en)
        #expect(Language.preferred(by: [:]) == .en)
        // POSIX's order: LC_ALL over LC_MESSAGES over LANG; an empty one does not count.
        #expect(Language.preferred(by: ["LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"]) == .en)
        #expect(Language.preferred(by: ["LC_ALL": "", "LC_MESSAGES": "zh_CN", "LANG": "en_US"]) == .zh)
        #expect(throws: FlagError.self) { try FlagChecks.language("fr") }
        #expect(try FlagChecks.language("ZH") == .zh)
    }

    static let bilingual = """
        /*:
         # Pooling
         Pooling halves the image.
         */
        /*:zh
         # 汇聚层
         汇聚层把图像减半。
         */
        let net = leNet()
        //: One more line.
        //:zh 再来一行。
        try nb.walkThrough(net)
        /*:
         Only in English.
         */
        """

    @Test func proseCellsHoldBothLanguagesAndShowTheOneAsked() throws {
        let english = try LiterateSource(text: Self.bilingual, file: "Pooling.swift")
        let chinese = try LiterateSource(text: Self.bilingual, file: "Pooling.swift", language: .zh)
        #expect(english.cells.map(\.kind) == [.prose, .code, .prose, .code, .prose])
        #expect(chinese.cells.map(\.lines) == english.cells.map(\.lines))
        #expect(english.cells[0].text == "# Pooling\nPooling halves the image.")
        #expect(chinese.cells[0].text == "# 汇聚层\n汇聚层把图像减半。")
        #expect(chinese.cells[0].lines == 2...7)  // from the first line of text to the last
        #expect(chinese.cells[2].text == "再来一行。" && english.cells[2].text == "One more line.")
        // A cell written in one language only shows that one, and is listed.
        #expect(chinese.cells[4].text == "Only in English.")
        #expect(chinese.untranslated().map(\.line) == [14] && chinese.untranslated().map(\.missing) == [.zh])
        #expect(english.cells[1].text == "let net = leNet()")
    }

    @Test func chineseLinesJoinWithoutSpacesAndWrapByWidth() {
        #expect(joinedParagraph(["卷积层，", "汇聚层"]) == "卷积层，汇聚层")
        #expect(joinedParagraph(["卷积", "层"]) == "卷积层")
        #expect(joinedParagraph(["the", "book"]) == "the book")
        #expect(joinedParagraph(["LeNet", "有两部分"]) == "LeNet 有两部分")
        let renderer = MarkdownRenderer(terminal: .plain)
        let text = String(repeating: "卷积层寻找小的局部模式，汇聚层把分辨率减半。", count: 6) + " LeNet-5 用的是 tanh。"
        let lines = renderer.wrap(text, width: 40)
        #expect(lines.count > 5)
        #expect(lines.allSatisfy { visibleWidth($0) <= 40 }, "\(lines.map(visibleWidth))")
        #expect(lines.dropLast().allSatisfy { visibleWidth($0) >= 36 }, "Chinese fills its lines: \(lines.map(visibleWidth))")
        // Closing punctuation never starts a line; nothing is lost or added.
        #expect(!lines.contains { $0.first.map { $0.isClosingPunctuation } ?? false })
        #expect(lines.joined() == text.replacingOccurrences(of: " ", with: "")
            || lines.joined(separator: " ").replacingOccurrences(of: " ", with: "") == text.replacingOccurrences(of: " ", with: ""))
        #expect(visibleWidth("汇聚") == 4 && visibleWidth("ab") == 2)
    }
}
