import Testing
import Tensors
import NN

@Suite struct ConfusionTests {
    /// A "network" that predicts whatever `answers` says for each example in turn.
    final class Scripted: Layer {
        let answers: [Int], classes: Int
        var next = 0
        init(answers: [Int], classes: Int) { (self.answers, self.classes) = (answers, classes) }
        func forward(_ x: Tensor) throws -> Tensor {
            let n = x.shape[0]
            let logits = Tensor(zeros: [n, classes])
            for i in 0..<n { logits.data[i * classes + answers[next + i]] = 1 }
            next += n
            return logits
        }
        var namedParameters: [(name: String, tensor: Tensor)] { [] }
        var namedChildren: [(name: String, layer: any Layer)] { [] }
    }

    @Test func countsEveryExampleTrueClassByRow() throws {
        let data = PatternData(count: 70, classes: 3, seed: 5, batchSize: 16)
        // Right on even examples, one class off on odd ones.
        let answers = data.labels.enumerated().map { i, label in i % 2 == 0 ? Int(label) : (Int(label) + 1) % 3 }
        let tested = try #require(try confusion(of: Scripted(answers: answers, classes: 3), on: data))
        #expect(tested.total == 70)
        for t in 0..<3 {
            let expected = (0..<3).map { p in zip(data.labels, answers).filter { Int($0) == t && $1 == p }.count }
            #expect(tested.counts[t] == expected)
        }
        #expect(tested.correct == 35 && abs(tested.accuracy - 0.5) < 1e-12)
        let perClass = tested.perClassAccuracy.map { $0! }
        #expect(zip(perClass, tested.counts.enumerated()).allSatisfy { accuracy, row in
            abs(accuracy - Double(row.element[row.offset]) / Double(row.element.reduce(0, +))) < 1e-12
        })
        let mistakes = tested.mistakes(limit: 10)
        #expect(mistakes.count == 3 && mistakes.allSatisfy { $0.predicted == ($0.truth + 1) % 3 })
        #expect(zip(mistakes, mistakes.dropFirst()).allSatisfy { $0.count >= $1.count })
    }

    @Test func aStoppedEvaluationGivesNothing() throws {
        let data = PatternData(count: 64, classes: 2, seed: 5, batchSize: 16)
        let net = Scripted(answers: Array(repeating: 0, count: 64), classes: 2)
        #expect(try confusion(of: net, on: data, shouldStop: { true }) == nil)
    }

    @Test func aLabelWithoutAnOutputIsAClearError() throws {
        let data = PatternData(count: 20, classes: 4, seed: 5)
        let net = Scripted(answers: Array(repeating: 0, count: 20), classes: 2)
        let error = #expect(throws: ConfusionError.self) { try confusion(of: net, on: data) }
        #expect(error?.description.contains("only 2 classes") == true)
    }

    @Test func theTrainerReportsTheLastEpochsConfusion() throws {
        let train = PatternData(count: 128, classes: 4, seed: 1), test = PatternData(count: 96, classes: 4, seed: 2)
        let result = try TrainerTests.fitSmallNet(train: train, test: test, epochs: 2)
        let tested = try #require(result.testConfusion)
        #expect(tested.total == 96)
        #expect(tested.accuracy == result.history.last!.testAccuracy)
    }
}
