import Foundation
import NN
import Tensors
import Testing
import TestSupport
@testable import Notebook

/// A lesson with a block in its network, to walk through and look inside.
let walkLesson = Lesson(
    name: "walk", title: "Walk", summary: "a test lesson with a block",
    inClass: LessonSettings(epochs: 3, batchSize: 16, lr: 0.1, trainSize: 64, testSize: 32),
    book: LessonSettings(epochs: 3, batchSize: 16, lr: 0.1, trainSize: 64, testSize: 32)
) { nb in
    let net = Sequential {
        Conv2d(1, 2, kernelSize: 3, padding: 1)
        Sequential { Conv2d(2, 2, kernelSize: 3, padding: 1); ReLU() }
        Flatten(); Linear(2 * 28 * 28, 10)
    }
    try nb.walkThrough(net, input: [1, 1, 28, 28])
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)
}

/// A teacher who follows a script: at walk-through steps, the questions given for that step.
final class ScriptedPacer: Pacer {
    var questions: [Int: [WalkThroughRequest]] = [:]
    var stopAfterEpoch = false
    private(set) var waits: [String] = []
    private(set) var batches = 0

    func wait(_ what: String, explorer: (any WalkThroughExplorer)?) throws {
        waits.append(what)
        if let explorer { for question in questions[waits.filter { $0.hasPrefix("through") }.count] ?? [] { try explorer.answer(question) } }
    }
    func trainingMayGoOn() { batches += 1 }
    var stopsAfterThisEpoch: Bool { stopAfterEpoch }
}

@Suite struct PacerTests {
    func run(_ pacer: ScriptedPacer) throws -> (LessonRun, Fixture) {
        let fixture = Fixture()
        let run = try LessonRun(lesson: walkLesson, settings: walkLesson.inClass, options: fixture.options, terminal: .plain, write: { _ in })
        run.pacer = pacer
        try run.run()
        return (run, fixture)
    }

    func pictures(_ run: LessonRun) -> [String] {
        run.outputs.compactMap { if case .image(let p) = $0.output { return (p.path as NSString).lastPathComponent } else { return nil } }
    }

    /// The teacher waits before each code cell and each layer, may pick another image (the walk
    /// so far is redone with it) and look inside the block just passed.
    @Test func theTeacherSetsThePaceAndAsks() throws {
        let pacer = ScriptedPacer()
        pacer.questions[3] = [.image(5), .insideBlock, .nextOfClass(2)]
        let (run, _) = try run(pacer)
        #expect(pacer.waits.first == "run the next cell", "before the code cell")
        #expect(pacer.waits.filter { $0.hasPrefix("through layer") }.count == 4)
        let names = pictures(run)
        #expect(names.contains("step-1-conv2d-image-5.png") && names.contains("step-2-sequential-image-5.png"))
        #expect(names.contains { $0.hasPrefix("step-2-inside-") }, "\(names)")
        #expect(names.contains("step-1-conv2d-image-12.png"), "test image 12 is the next Pullover after 5 (labels cycle 0-9)")
        #expect(run.outputs.contains { if case .text(let t) = $0.output { t.hasPrefix("Inside layer 1 (Sequential): 2 steps") } else { false } })
    }

    /// Training asks after every batch (a paused class waits there) and ends after the epoch
    /// under way when the teacher asks, as finished, not stopped.
    @Test func trainingAsksAfterEveryBatchAndEndsWhenAsked() throws {
        let pacer = ScriptedPacer()
        pacer.stopAfterEpoch = true
        let (run, _) = try run(pacer)
        #expect(pacer.batches >= 4, "4 batches an epoch")
        #expect(run.metrics.history.count == 1 && !run.interrupted && run.metrics.final != nil)
        #expect(run.outputs.contains { if case .text(let t) = $0.output { t.hasPrefix("Training ended after epoch 1 of 3, as the teacher asked.") } else { false } })
    }
}
