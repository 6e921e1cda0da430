import Foundation
import Localization
import Notebook
import Testing
import TestSupport
@testable import Lessons

/// Every lesson runs start to finish without training, on a miniature data set: walk-throughs,
/// pictures and notebooks for every network, as `lesson <name> --no-train` would.
@Suite struct EveryLessonTests {
    @Test(arguments: allLessons.map(\.name), Language.allCases)
    func runsWithoutTraining(_ name: String, in language: Language) async throws {
        let data = TemporaryFolder(), output = TemporaryFolder()
        data.writeFashionMNIST(train: 64, test: 32)
        var options = RunOptions()
        options.noTrain = true
        options.dataDirectory = data.path
        options.outputRoot = output.path
        options.language = language
        let chosen = try #require(lesson(named: name))
        var settings = chosen.inClass
        settings.threads = 2
        let run = try LessonRun(lesson: chosen, settings: settings, options: options, terminal: .plain, write: { _ in })
        let handed = HandedOver(run)
        try await offTheTestPool { try handed.value.run() }  // minutes of work in all: off the shared pool
        #expect(!run.outputs.contains { if case .error = $0.output { true } else { false } })
        // A run that trains nothing writes beside the last training run's files, not over them.
        #expect(!FileManager.default.fileExists(atPath: output.path + "/\(name)/metrics.json"))
        let files = try FileManager.default.contentsOfDirectory(atPath: output.path + "/\(name)/no-train")
        #expect(files.contains("\(name).ipynb") && files.contains("\(name).html") && files.contains("metrics.json"))
        #expect(files.filter { $0.hasSuffix(".png") }.count >= (name == "compare" ? 2 : 4), "\(files)")
        // Every prose cell is shown in the run's language, on the page and in the notebook too.
        let source = try #require(run.source)
        #expect(source.cells.filter { $0.kind == .prose }.allSatisfy { $0.text == $0.prose[language] })
        let page = try String(contentsOfFile: output.path + "/\(name)/no-train/\(name).html", encoding: .utf8)
        #expect(page.contains("<html lang=\"\(language.tag)\">"))
        let notebook = try String(contentsOfFile: output.path + "/\(name)/no-train/\(name).ipynb", encoding: .utf8)
        let firstHeading = try #require(source.cells.first { $0.kind == .prose }?.text.split(separator: "\n").first)
        #expect(page.contains(String(firstHeading.dropFirst(2))) && notebook.contains(String(firstHeading)))
    }

    /// Each lesson says everything in both languages: every prose cell, and the lines it
    /// gives for `lesson list`, the comparison and the in-class note.
    @Test(arguments: allLessons.map(\.name))
    func speaksBothLanguages(_ name: String) throws {
        let chosen = try #require(lesson(named: name))
        let source = try LiterateSource(text: try #require(chosen.sourceText), file: chosen.sourceFile)
        #expect(source.untranslated().isEmpty, "\(name): prose in one language only at \(source.untranslated().map { "line \($0.line) (no \($0.missing))" })")
        #expect(chosen.summary.chinese != nil, "\(name): summary")
        if let note = chosen.inClassNote { #expect(note.chinese != nil, "\(name): in-class note") }
        if let network = chosen.network { #expect(network.idea.chinese != nil, "\(name): idea") }
    }
}
