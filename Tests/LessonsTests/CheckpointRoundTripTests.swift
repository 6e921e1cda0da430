import Foundation
import NN
import Notebook
import Tensors
import Testing
import TestSupport
@testable import Lessons

/// Every lesson's network crosses between Convbook and PyTorch exactly, both ways: its logits
/// for the same images differ by at most 1e-5, and weights that go to PyTorch and come back give
/// the same logits bit for bit. The PyTorch half is `scripts/pytorch_checkpoint.py --exchange`;
/// `scripts/pytorch_checkpoint.py [lesson...|all]` runs this test and prints its figures.
@Suite(.serialized) struct CheckpointRoundTripTests {
    /// The lessons `CONVBOOK_ROUND_TRIP_LESSONS` names (comma-separated), or all.
    static let selected: Set<String>? = ProcessInfo.processInfo.environment["CONVBOOK_ROUND_TRIP_LESSONS"]
        .flatMap { $0.isEmpty || $0 == "all" ? nil : Set($0.split(separator: ",").map(String.init)) }

    /// Batch norm's scales, shifts and running statistics drawn at random, so that loading them
    /// matters (fresh ones are 1, 0, 0 and 1).
    static func randomizeBatchNorm(_ net: any Layer, using generator: RandomGenerator) {
        for case let bn as BatchNorm in net.allLayers {
            for (tensor, low, high) in [(bn.weight, 0.5, 1.5), (bn.bias, -0.5, 0.5), (bn.runningMean, -0.5, 0.5), (bn.runningVar, 0.5, 1.5)] {
                generator.fillUniform(tensor.data, count: tensor.count, Float(low), Float(high))
            }
        }
    }

    static func largestDifference(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "\(a.count) logits against \(b.count)")
        return zip(a, b).map { Double(abs($0 - $1)) }.max() ?? 0
    }

    @Test(.enabled(if: PyTorchAvailability.missing == nil, Comment(rawValue: PyTorchAvailability.missing ?? "")),
          arguments: allLessons.filter { $0.network != nil }.map(\.name))
    func weightsCrossBothWaysExactly(_ name: String) async throws {
        guard Self.selected?.contains(name) ?? true else { return }
        let found = Lessons.lesson(named: name)
        let chosen = try #require(found), network = try #require(chosen.network)
        let folder = TemporaryFolder()
        func path(_ file: String) -> String { folder.path + "/" + file }
        func fresh() -> any Layer { Random.$generator.withValue(RandomGenerator(seed: 1)) { network.make() } }
        func logits(_ net: any Layer, _ x: Tensor) throws -> [Float] { try net.evaluating { try noGrad { try net(x) } }.scalars }

        // Convbook's network as a lesson starts it, batch norm's statistics drawn too, and its
        // logits for two random images of the book's size.
        let net = fresh()
        xavierUniform(net, using: RandomGenerator(seed: 2))
        Self.randomizeBatchNorm(net, using: RandomGenerator(seed: 3))
        let side = chosen.trainingSide
        let x = Tensor.uniform([2, 1, side, side], 0, 1, using: RandomGenerator(seed: 4))
        let ours = try logits(net, x)
        try Checkpoint.encode(net, metadata: ["lesson": name]).write(to: URL(fileURLWithPath: path("convbook.safetensors")))
        try SafeTensors.encode([
            SafeTensors.Entry(name: "input", floats: x.scalars, shape: x.shape.dims),
            SafeTensors.Entry(name: "logits", floats: ours, shape: [2, ours.count / 2]),
        ]).write(to: URL(fileURLWithPath: path("convbook-probe.safetensors")))

        // PyTorch loads it (strictly) and computes the logits; saves what it loaded; makes its own.
        let (status, printed) = try await OneAtATime.pyTorch.run { [folder] in
            try await PyTorchAvailability.python(["scripts/pytorch_checkpoint.py", "--exchange", folder.path, name])
        }
        try #require(status == 0, "\(printed)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? [String: Double], "\(printed)")
        let toPyTorch = try #require(report["convbook_to_pytorch"])

        // Back here: what PyTorch loaded gives our logits bit for bit; what it made, its logits.
        let back = fresh()
        try Checkpoint.load(path: path("back.safetensors"), into: back, lesson: name)
        let roundTrip = Self.largestDifference(try logits(back, x), ours)
        let theirs = fresh()
        try Checkpoint.load(path: path("pytorch.safetensors"), into: theirs, lesson: name)
        let expected = try SafeTensors.decode(try Data(contentsOf: URL(fileURLWithPath: path("pytorch-probe.safetensors"))), file: "probe")
        let fromPyTorch = Self.largestDifference(try logits(theirs, x), try #require(expected.first { $0.name == "logits" }).floats)

        print(String(format: "round trip %@: largest logit difference Convbook → PyTorch %.2e, PyTorch → Convbook %.2e, "
            + "Convbook → PyTorch → Convbook %.2e (logits up to %.2f)", name, toPyTorch, fromPyTorch, roundTrip,
            max(ours.map { abs(Double($0)) }.max() ?? 0, report["largest_logit"] ?? 0)))
        #expect(toPyTorch <= 1e-5, "\(name): Convbook → PyTorch")
        #expect(fromPyTorch <= 1e-5, "\(name): PyTorch → Convbook")
        #expect(roundTrip == 0, "\(name): Convbook → PyTorch → Convbook")
    }
}
