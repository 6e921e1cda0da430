import Foundation
import NN
import Notebook
import Tensors
import Testing
@testable import Lessons

/// The chapter's networks against the book's printouts and PyTorch's parameter counts (the same
/// nets defined in PyTorch: scripts/pytorch_models.py).
@Suite struct ChapterNetworkTests {
    @Test func alexNetShapesAndParameters() throws {
        let s = try summarize(alexNet(), input: [1, 1, 224, 224])
        #expect(s.layers.map(\.outputShape) == [
            [1, 96, 54, 54], [1, 96, 54, 54], [1, 96, 26, 26], [1, 256, 26, 26], [1, 256, 26, 26], [1, 256, 12, 12],
            [1, 384, 12, 12], [1, 384, 12, 12], [1, 384, 12, 12], [1, 384, 12, 12], [1, 256, 12, 12], [1, 256, 12, 12],
            [1, 256, 5, 5], [1, 6400], [1, 4096], [1, 4096], [1, 4096], [1, 4096], [1, 4096], [1, 4096], [1, 10],
        ])
        #expect(s.params == 46_764_746)
    }

    @Test func vggShapesAndParameters() throws {
        let full = try summarize(vgg(vgg11Architecture), input: [1, 1, 224, 224])
        #expect(full.layers.map(\.outputShape) == [
            [1, 64, 112, 112], [1, 128, 56, 56], [1, 256, 28, 28], [1, 512, 14, 14], [1, 512, 7, 7],
            [1, 25088], [1, 4096], [1, 4096], [1, 4096], [1, 4096], [1, 4096], [1, 4096], [1, 10],
        ])
        #expect(full.params == 128_806_154)
        let narrow = try summarize(vgg(vgg11Architecture.map { ($0.0, $0.1 / 4) }), input: [1, 1, 224, 224])
        #expect(narrow.layers.prefix(6).map(\.outputShape) == [
            [1, 16, 112, 112], [1, 32, 56, 56], [1, 64, 28, 28], [1, 128, 14, 14], [1, 128, 7, 7], [1, 6272],
        ])
    }

    @Test func ninShapesAndParameters() throws {
        let s = try summarize(nin(), input: [1, 1, 224, 224])
        #expect(s.layers.map(\.outputShape) == [
            [1, 96, 54, 54], [1, 96, 26, 26], [1, 256, 26, 26], [1, 256, 12, 12], [1, 384, 12, 12], [1, 384, 5, 5],
            [1, 384, 5, 5], [1, 10, 5, 5], [1, 10, 1, 1], [1, 10],
        ])
        #expect(s.params == 1_992_166)
    }

    @Test func googLeNetShapesAndParameters() throws {
        let s = try summarize(googLeNet(), input: [1, 1, 96, 96])
        #expect(s.layers.map(\.outputShape) == [[1, 64, 24, 24], [1, 192, 12, 12], [1, 480, 6, 6], [1, 832, 3, 3], [1, 1024], [1, 10]])
        #expect(s.params == 5_977_530)
        // The first Inception block concatenates 64 + 128 + 32 + 32 channels.
        let block = Inception(192, 64, (96, 128), (16, 32), 32)
        #expect(try block(Tensor(zeros: [2, 192, 12, 12])).shape == [2, 256, 12, 12])
        #expect(block.parametersByPath().map(\.path).prefix(4) == ["b1_1.weight", "b1_1.bias", "b2_1.weight", "b2_1.bias"])
    }

    /// A checkpoint that names Inception's paths as the book's Chinese edition does (`p1_1` ...)
    /// loads as well as one with the English edition's `b1_1`.
    @Test func inceptionCheckpointsLoadUnderEitherEditionsNames() throws {
        let saved = Sequential { Inception(3, 2, (2, 4), (1, 2), 2) }
        let entries = try SafeTensors.decode(try Checkpoint.encode(saved), file: "x")
        let chinese = entries.map { entry in
            var entry = entry
            entry.name = entry.name.split(separator: ".").map { part in
                part.count == 4 && part.hasPrefix("b") && part.contains("_") ? "p" + part.dropFirst() : part
            }.joined(separator: ".")
            return entry
        }
        #expect(chinese.contains { $0.name == "0.p4_2.weight" })
        let loaded = Random.$generator.withValue(RandomGenerator(seed: 7)) { Sequential { Inception(3, 2, (2, 4), (1, 2), 2) } }
        try Checkpoint.load(try SafeTensors.encode(chinese), file: "zh.safetensors", into: loaded)
        #expect(loaded.parameters.map(\.scalars) == saved.parameters.map(\.scalars))
    }

    @Test func batchNormLeNetShapesAndParameters() throws {
        let s = try summarize(batchNormLeNet(), input: [1, 1, 28, 28])
        #expect(s.layers.map(\.outputShape) == [
            [1, 6, 24, 24], [1, 6, 24, 24], [1, 6, 24, 24], [1, 6, 12, 12], [1, 16, 8, 8], [1, 16, 8, 8], [1, 16, 8, 8],
            [1, 16, 4, 4], [1, 256], [1, 120], [1, 120], [1, 120], [1, 84], [1, 84], [1, 84], [1, 10],
        ])
        #expect(s.params == 44_878)
    }

    @Test func resNetShapesParametersAndBlocks() throws {
        let s = try summarize(resNet18(), input: [1, 1, 224, 224])
        #expect(s.layers.map(\.outputShape) == [
            [1, 64, 56, 56], [1, 64, 56, 56], [1, 128, 28, 28], [1, 256, 14, 14], [1, 512, 7, 7], [1, 512, 1, 1], [1, 512], [1, 10],
        ])
        #expect(s.params == 11_178_378)
        #expect(try Residual(3, 3)(Tensor(zeros: [4, 3, 6, 6])).shape == [4, 3, 6, 6])
        #expect(try Residual(3, 6, use1x1Conv: true, strides: 2)(Tensor(zeros: [4, 3, 6, 6])).shape == [4, 6, 3, 3])
        #expect(Residual(3, 6, use1x1Conv: true).stateByPath().map(\.path).prefix(8) == [
            "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight", "conv3.bias", "bn1.weight", "bn1.bias",
        ])
    }

    @Test func denseNetShapesParametersAndBlocks() throws {
        let s = try summarize(denseNet(), input: [1, 1, 96, 96])
        #expect(s.layers.map(\.outputShape) == [
            [1, 64, 24, 24], [1, 192, 24, 24], [1, 96, 12, 12], [1, 224, 12, 12], [1, 112, 6, 6], [1, 240, 6, 6],
            [1, 120, 3, 3], [1, 248, 3, 3], [1, 248, 3, 3], [1, 248, 3, 3], [1, 248, 1, 1], [1, 248], [1, 10],
        ])
        #expect(s.params == 758_226)
        let dense = try DenseBlock(2, 3, 10)(Tensor(zeros: [4, 3, 8, 8]))
        #expect(dense.shape == [4, 23, 8, 8])
        #expect(try transitionBlock(23, 10)(dense).shape == [4, 10, 4, 4])
    }

    /// Every lesson's network, at the size the book trains it: one SGD step on a batch of two
    /// lowers that batch's loss (in evaluation mode, so dropout does not make the two losses
    /// differ by chance).
    @Test(arguments: trainingLessons.map(\.name))
    func oneStepLowersTheLoss(_ name: String) throws {
        let chosen = try #require(lesson(named: name)), network = try #require(chosen.network)
        let net = network.make(), side = chosen.trainingSide
        let g = RandomGenerator(seed: 3)
        xavierUniform(net, using: g)
        let x = Tensor.uniform([2, 1, side, side], 0, 1, using: g)
        let labels: [Int32] = [3, 7]
        let (before, after) = try net.evaluating {
            let before = try Trainer.step(net, optimizer: SGD(net.parameters, learningRate: 0.01), images: x, labels: labels).loss
            return (before, try crossEntropy(try net(x), labels: labels).item)
        }
        #expect(after < before, "\(name): \(before) → \(after)")
    }
}

/// The lessons that train a network.
let trainingLessons = allLessons.filter { $0.network != nil }

/// What the checks before training rely on: a shape-only pass through each network gives the
/// shapes a real one does, in training and in evaluation, and its memory for a batch.
@Suite struct ShapeOnlyNetworkTests {
    @Test(arguments: trainingLessons.map(\.name))
    func shapeOnlyPassesAgreeWithRealOnes(_ name: String) throws {
        let chosen = try #require(lesson(named: name)), network = try #require(chosen.network)
        let net = network.make()
        let side = chosen.trainingSide
        for training in [true, false] {
            net.setTraining(training)
            let real = try noGrad { try net(Tensor(zeros: [2, 1, side, side])) }.shape
            #expect(try net(Tensor(shapeOnly: [2, 1, side, side])).shape == real, "\(name), training \(training)")
        }
        let memory = try TrainingMemory(net, image: [1, side, side], batch: 64)
        #expect(memory.parameterBytes >= net.parameterCount * 4)
        #expect(memory.bytes(batch: 128) > memory.bytes(batch: 64))
        #expect(memory.largestBatch(fitting: memory.bytes(batch: 64)) == 64)
    }
}

/// The lessons show the code they were built from: each carries its file's text, as it is now
/// (the tests were built from the same files).
@Suite struct BuiltLessonTextTests {
    @Test(arguments: allLessons.map(\.name))
    func eachLessonCarriesItsText(_ name: String) throws {
        let chosen = try #require(lesson(named: name))
        let built = try #require(chosen.sourceText, "\(name) has no built-in text")
        #expect(built == (try String(contentsOfFile: chosen.sourceFile, encoding: .utf8)))
    }
}
