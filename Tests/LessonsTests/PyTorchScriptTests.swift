import Foundation
import Notebook
import Testing
import TestSupport
@testable import Lessons

/// scripts/train_pytorch.py trains each lesson's network with the lesson's book settings (`--full`):
/// its table of them (printed without torch) agrees with the lessons'.
@Suite struct PyTorchScriptTests {
    @Test func theScriptsBookSettingsAreTheLessons() async throws {
        let (status, printed) = try await PyTorchAvailability.python(["scripts/train_pytorch.py", "--book-settings"])
        try #require(status == 0)
        let table = try #require(try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? [String: [String: Any]])
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
