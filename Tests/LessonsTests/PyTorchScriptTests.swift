import Foundation
import Notebook
import Testing
@testable import Lessons

/// scripts/train_pytorch.py trains each lesson's network with the lesson's book settings (`--full`):
/// its table of them (printed without torch) agrees with the lessons'.
@Suite struct PyTorchScriptTests {
    @Test func theScriptsBookSettingsAreTheLessons() throws {
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", package.appendingPathComponent("scripts/train_pytorch.py").path, "--book-settings"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let printed = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let table = try #require(try JSONSerialization.jsonObject(with: printed) as? [String: [String: Any]])
        let trained = allLessons.filter { $0.network != nil }
        #expect(Set(table.keys) == Set(trained.map(\.name)))
        for lesson in trained {
            let row = try #require(table[lesson.name], "\(lesson.name)")
            #expect(row["epochs"] as? Int == lesson.book.epochs, "\(lesson.name)")
            #expect(row["batch_size"] as? Int == lesson.book.batchSize, "\(lesson.name)")
            #expect(row["lr"] as? Double == lesson.book.lr, "\(lesson.name)")
            #expect(row["resize"] as? Int == lesson.book.resize, "\(lesson.name)")
        }
    }
}
