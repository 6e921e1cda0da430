import Foundation
import Testing
import TestSupport

/// What the `lesson` command prints for help, the list and bad input, compared whole with the
/// recorded text in Expected/ (the core count masked). After a deliberate change, record the new
/// text with `UPDATE_SNAPSHOTS=1 swift test --filter CommandLineSnapshotTests` and read the diff.
@Suite struct CommandLineSnapshotTests {
    static let expected = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Expected")

    @Test(arguments: [
        ("help", "--help", 0),
        ("list", "list", 0),
        ("bad-epochs", "lenet --epochs -1", 64),
        ("bad-learning-rate", "lenet --lr 1e39", 64),
        ("unknown-lesson", "lenett", 64),
        ("resume-without-a-run", "lenet --resume --output /nonexistent-convbook-output", 1),
    ])
    func printsWhatWasRecorded(_ name: String, _ arguments: String, _ status: Int32) async throws {
        let result = try await LessonProcess.run("$LESSON \(arguments)", in: TemporaryFolder())
        #expect(result.status == status, "\(arguments)")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let printed = result.output.replacingOccurrences(of: "all \(cores) cores", with: "all N cores")
        let file = Self.expected.appendingPathComponent(name + ".txt")
        if ProcessInfo.processInfo.environment["UPDATE_SNAPSHOTS"] == "1" {
            try printed.write(to: file, atomically: true, encoding: .utf8)
        }
        #expect(printed == (try String(contentsOf: file, encoding: .utf8)), "lesson \(arguments): compare with \(file.path)")
    }
}
