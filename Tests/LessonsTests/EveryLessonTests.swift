import Foundation
import Notebook
import Testing
import TestSupport
@testable import Lessons

/// Every lesson runs start to finish without training, on a miniature data set: walk-throughs,
/// pictures and notebooks for every network, as `lesson <name> --no-train` would.
@Suite struct EveryLessonTests {
    @Test(arguments: allLessons.map(\.name))
    func runsWithoutTraining(_ name: String) throws {
        let data = TemporaryFolder(), output = TemporaryFolder()
        data.writeFashionMNIST(train: 64, test: 32)
        var options = RunOptions()
        options.noTrain = true
        options.dataDirectory = data.path
        options.outputRoot = output.path
        let chosen = try #require(lesson(named: name))
        var settings = chosen.inClass
        settings.threads = 2
        let run = try LessonRun(lesson: chosen, settings: settings, options: options, terminal: .plain, write: { _ in })
        try run.run()
        #expect(!run.outputs.contains { if case .error = $0.output { true } else { false } })
        // A run that trains nothing writes beside the last training run's files, not over them.
        #expect(!FileManager.default.fileExists(atPath: output.path + "/\(name)/metrics.json"))
        let files = try FileManager.default.contentsOfDirectory(atPath: output.path + "/\(name)/no-train")
        #expect(files.contains("\(name).ipynb") && files.contains("\(name).html") && files.contains("metrics.json"))
        #expect(files.filter { $0.hasSuffix(".png") }.count >= (name == "compare" ? 2 : 4), "\(files)")
    }
}
