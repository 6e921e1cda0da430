import Testing
import Tensors
import NN
import TestSupport

@Suite struct LayerTests {
    @Test func conv2dLayerGradients() throws {
        let g = RandomGenerator(seed: 21)
        let conv = Random.$generator.withValue(g) { Conv2d(3, 4, kernelSize: 3, stride: 2, padding: 1) }
        let x = Tensor.uniform([2, 3, 7, 6], -1, 1, using: g)
        let input = ImageBatch(x.shape), window = Window(size: 3, stride: 2, padding: 1)
        let result = try gradientCheck(of: [x, conv.weight, conv.bias!], { try conv(x) }) { xs in
            Reference.conv2d(xs[0], input, weight: xs[1], bias: xs[2], outChannels: 4, window: window)
        }
        #expect(result.passed, "\(result)")
    }

    @Test func linearLayerGradients() throws {
        let g = RandomGenerator(seed: 22)
        let dense = Random.$generator.withValue(g) { Linear(13, 5) }
        let x = Tensor.uniform([3, 13], -1, 1, using: g)
        let result = try gradientCheck(of: [x, dense.weight, dense.bias!], { try dense(x) }) { xs in
            Reference.linear(xs[0], rows: 3, weight: xs[1], bias: xs[2], inFeatures: 13, outFeatures: 5)
        }
        #expect(result.passed, "\(result)")
    }

    @Test func parameterFreeLayersMatchTheirReferences() throws {
        let g = RandomGenerator(seed: 23)
        let x = Tensor(OperationValues.distinct(2 * 3 * 8 * 8, seed: 23), shape: [2, 3, 8, 8])
        let input = ImageBatch(x.shape)
        let cases: [(any Layer, ([Double]) -> [Double])] = [
            (MaxPool2d(kernelSize: 3, stride: 2, padding: 1), { Reference.maxPool2d($0, input, window: Window(size: 3, stride: 2, padding: 1)) }),
            (AvgPool2d(kernelSize: 2), { Reference.avgPool2d($0, input, window: Window(size: 2, stride: 2)) }),
            (AdaptiveAvgPool2d(1), { Reference.adaptiveAvgPool2d($0, input, outputHeight: 1, outputWidth: 1) }),
            (Sigmoid(), { Reference.sigmoid($0) }),
            (ReLU(), { Reference.relu($0) }),
            (Flatten(), { $0 }),
        ]
        for (layer, reference) in cases {
            let result = try gradientCheck(of: [x], { try layer(x) }) { reference($0[0]) }
            #expect(result.passed, "\(layer.description): \(result)")
        }
        _ = g
    }

    @Test func dropoutOnlyDropsInTraining() throws {
        let net = Sequential { Dropout(0.5) }
        let x = Tensor(repeating: 1, shape: [1000])
        let trained = try Random.$generator.withValue(RandomGenerator(seed: 1)) { try net(x) }
        #expect(trained.scalars.contains(0) && trained.scalars.contains(2))
        net.eval()
        #expect(try net(x).scalars.allSatisfy { $0 == 1 })
    }

    @Test func sequentialNamesAndFindsParametersLikePyTorch() {
        func block(_ convs: Int, _ inChannels: Int, _ outChannels: Int) -> Sequential {
            var layers: [any Layer] = []
            var channels = inChannels
            for _ in 0..<convs {
                layers.append(Conv2d(channels, outChannels, kernelSize: 3, padding: 1))
                layers.append(ReLU())
                channels = outChannels
            }
            layers.append(MaxPool2d(kernelSize: 2, stride: 2))
            return Sequential(layers)
        }
        let net = Sequential {
            block(1, 1, 4)
            block(2, 4, 8)
            Flatten()
            for width in [16, 10] { Linear(width == 16 ? 8 : 16, width) }
        }
        #expect(net.parametersByPath().map(\.path) == [
            "0.0.weight", "0.0.bias", "1.0.weight", "1.0.bias", "1.2.weight", "1.2.bias",
            "3.weight", "3.bias", "4.weight", "4.bias",
        ])
        #expect(net.parameterCount == (36 + 4) + (288 + 8) + (576 + 8) + (128 + 16) + (160 + 10))
    }

    /// Runs `net` on x as a whole and layer by layer, each with a backward pass: the ops the
    /// whole ran (names up to their arguments), and the output and parameter gradients of each
    /// (and x's, if it wants one).
    static func wholeAndLayerByLayer(_ net: Sequential, _ x: Tensor, seedShape: Shape) throws
        -> (ops: [String], whole: [[Float]], layerByLayer: [[Float]]) {
        final class Names: OperationObserver {
            var names: [String] = []
            func operation(_ name: String, inputs: [Tensor], output: Tensor) { names.append(String(name.prefix { $0 != "(" })) }
        }
        let seed = Tensor.uniform(seedShape, -1, 1, using: RandomGenerator(seed: 9))
        func gradients(_ forward: () throws -> Tensor) rethrows -> [[Float]] {
            for p in net.parameters + [x] { p.zeroGrad() }
            let y = try forward()
            y.backward(seed: seed)
            return [y.scalars] + net.parameters.map { $0.grad!.scalars } + (x.grad.map { [$0.scalars] } ?? [])
        }
        let names = Names()
        let whole = try OperationTrace.scope.withValue(names) { try gradients { try net(x) } }
        return (names.names, whole, try gradients { try net.layers.reduce(x) { try $1($0) } })
    }

    /// A convolution or batch norm and the ReLU after it run as one op (`ReLUFusing`) with the
    /// same bits as the two layers one after the other; traced, they are still two layers.
    @Test func sequentialRunsALayerAndItsReLUAsOneOp() throws {
        let net = Sequential { Conv2d(2, 3, kernelSize: 3, padding: 1); ReLU(); BatchNorm2d(3); ReLU(); Conv2d(3, 2, kernelSize: 1) }
        let x = Tensor.uniform([4, 2, 5, 5], -1, 1, using: RandomGenerator(seed: 8))
        let run = try Self.wholeAndLayerByLayer(net, x, seedShape: [4, 2, 5, 5])
        #expect(run.ops == ["conv2d+relu", "batchNorm+relu", "conv2d"])
        #expect(run.whole == run.layerByLayer)

        let (_, calls) = try LayerTracer.trace { try net(x) }
        #expect(calls.map(\.layer.typeName) == ["Conv2d", "ReLU", "BatchNorm2d", "ReLU", "Conv2d", "Sequential"])

        let wrong = Sequential { Conv2d(2, 4, kernelSize: 1); ReLU(); BatchNorm2d(3); ReLU() }
        do { _ = try wrong(x); Issue.record("expected a shape error") } catch {
            #expect("\(error)".contains("in layer 2 (BatchNorm2d(3"), "\(error)")
        }
        let wrongConv = Sequential { Conv2d(3, 4, kernelSize: 1); ReLU() }
        do { _ = try wrongConv(x); Issue.record("expected a shape error") } catch {
            #expect("\(error)".contains("in layer 0 (Conv2d(3, 4"), "\(error)")
        }
    }

    /// A ReLU right before a max pool runs inside the pool's op (the layer before it, then, without
    /// one), with the same bits as the layers one by one; a ReLU before anything else stays with
    /// the layer before it. Traced, every layer is still there.
    @Test func sequentialRunsAReLUBeforeAMaxPoolInThePool() throws {
        let net = Sequential {
            Conv2d(2, 3, kernelSize: 3, padding: 1); ReLU(); MaxPool2d(kernelSize: 2)
            Conv2d(3, 4, kernelSize: 1); ReLU(); BatchNorm2d(4); ReLU(); MaxPool2d(kernelSize: 3, stride: 1, padding: 1)
            ReLU()
        }
        let x = Tensor.uniform([4, 2, 9, 9], -1, 1, using: RandomGenerator(seed: 8))
        let run = try Self.wholeAndLayerByLayer(net, x, seedShape: [4, 4, 4, 4])
        #expect(run.ops == ["conv2d", "maxPool2d+relu", "conv2d+relu", "batchNorm", "maxPool2d+relu", "relu"])
        #expect(run.whole == run.layerByLayer)

        let (_, calls) = try LayerTracer.trace { try net(x) }
        #expect(calls.filter { $0.layer is ReLU }.count == 4)
    }

    /// A convolution, ReLU and max pool whose feature maps take 2 MB an image (VGG's first
    /// block) run as one op, with the same bits as the layers one by one, as a first layer (the
    /// weight gradient from the pool's) or not; smaller maps keep the convolution apart (above).
    /// Traced, every layer is still there.
    @Test func sequentialRunsAConvolutionWithLargeMapsReLUAndMaxPoolAsOneOp() throws {
        let net = Sequential { Conv2d(2, 8, kernelSize: 3, padding: 1); ReLU(); MaxPool2d(kernelSize: 2) }
        let x = Tensor.uniform([2, 2, 256, 256], -1, 1, using: RandomGenerator(seed: 8))
        for inputGradient in [false, true] {
            x.requiresGrad = inputGradient
            let run = try Self.wholeAndLayerByLayer(net, x, seedShape: [2, 8, 128, 128])
            #expect(run.ops == ["conv2d+relu+maxPool2d"])
            #expect(run.whole.count == net.parameters.count + (inputGradient ? 2 : 1))
            #expect(run.whole == run.layerByLayer, "input gradient: \(inputGradient)")
        }

        let (_, calls) = try LayerTracer.trace { try net(x) }
        #expect(calls.map(\.layer.typeName) == ["Conv2d", "ReLU", "MaxPool2d", "Sequential"])

        // A shape error names the layer it is in, as the layers one by one would.
        let wrongPool = Sequential { Conv2d(2, 8, kernelSize: 3, padding: 1); ReLU(); MaxPool2d(kernelSize: 300) }
        do { _ = try wrongPool(x); Issue.record("expected a shape error") } catch {
            #expect("\(error)".contains("in layer 2 (MaxPool2d(kernel_size=300"), "\(error)")
        }
        let wrongConv = Sequential { Conv2d(3, 8, kernelSize: 3, padding: 1); ReLU(); MaxPool2d(kernelSize: 2) }
        do { _ = try wrongConv(x); Issue.record("expected a shape error") } catch {
            #expect("\(error)".contains("in layer 0 (Conv2d(3, 8"), "\(error)")
        }
    }

    /// A stage that ends with a ReLU before a max pool (NiN's blocks) leaves its ReLU to the
    /// pool, down through nested stages; the convolution before that ReLU runs alone. A stage
    /// whose ReLU is not followed by a pool keeps it. The same bits as the layers one by one.
    @Test func aStageEndingWithAReLULeavesItToTheMaxPoolAfter() throws {
        func block(_ c: Int, _ o: Int) -> Sequential {
            Sequential(name: "nin_block") { Conv2d(c, o, kernelSize: 3, padding: 1); ReLU(); Conv2d(o, o, kernelSize: 1); ReLU() }
        }
        let net = Sequential {
            block(2, 3); MaxPool2d(kernelSize: 3, stride: 2)
            Sequential { block(3, 4) }; MaxPool2d(kernelSize: 2)
            block(4, 2)
        }
        let x = Tensor.uniform([3, 2, 11, 11], -1, 1, using: RandomGenerator(seed: 10))
        let run = try Self.wholeAndLayerByLayer(net, x, seedShape: [3, 2, 2, 2])
        #expect(run.ops == ["conv2d+relu", "conv2d", "maxPool2d+relu", "conv2d+relu", "conv2d", "maxPool2d+relu",
                            "conv2d+relu", "conv2d+relu"])
        #expect(run.whole == run.layerByLayer)
    }

    @Test func xavierUniformUsesTheFans() {
        let conv = Conv2d(6, 16, kernelSize: 5), dense = Linear(400, 120)
        xavierUniform(Sequential { conv; dense }, using: RandomGenerator(seed: 2))
        let convBound = (6.0 / Float(6 * 25 + 16 * 25)).squareRoot()
        let denseBound = (6.0 / Float(400 + 120)).squareRoot()
        #expect(conv.weight.scalars.allSatisfy { abs($0) <= convBound })
        #expect(conv.weight.scalars.contains { abs($0) > 0.9 * convBound })
        #expect(dense.weight.scalars.allSatisfy { abs($0) <= denseBound })
        #expect(dense.weight.scalars.contains { abs($0) > 0.9 * denseBound })
    }

    @Test func shapeMismatchNamesTheLayerAndBothShapes() {
        let net = Sequential {
            Conv2d(1, 6, kernelSize: 5); Sigmoid(); AvgPool2d(kernelSize: 2)
            Flatten(); Linear(400, 120)
        }
        do {
            _ = try net(Tensor(zeros: [1, 1, 28, 28]))
            Issue.record("expected a shape error")
        } catch let error as LayerError {
            #expect(error.description == "in layer 4 (Linear(in_features=400, out_features=120)): expects input [batch, 400], got [1, 864] (864 features)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func summaryCountsParametersAndMultiplyAdds() throws {
        let net = Sequential {
            Conv2d(1, 2, kernelSize: 3, padding: 1); ReLU()
            Sequential { Conv2d(2, 3, kernelSize: 1); MaxPool2d(kernelSize: 2) }
            Flatten(); Linear(48, 10)
        }
        let s = try summarize(net, input: [1, 1, 8, 8])
        #expect(s.layers.map(\.outputShape) == [[1, 2, 8, 8], [1, 2, 8, 8], [1, 3, 4, 4], [1, 48], [1, 10]])
        #expect(s.layers.map(\.params) == [20, 0, 9, 0, 490])
        #expect(s.layers.map(\.macs) == [2 * 64 * 9, 0, 3 * 64 * 2, 0, 480])
        #expect(s.layers[2].children?.map(\.outputShape) == [[1, 3, 8, 8], [1, 3, 4, 4]])
        #expect(s.walkThrough.components(separatedBy: "\n").first == "Conv2d     output shape: [1, 2, 8, 8]")
        #expect(s.table.contains("Total") && s.table.contains("519"))
    }

    /// A block that stores its layers in another order than it calls them, and keeps some in a
    /// `Sequential` it never calls itself.
    final class Shuffled: Layer {
        let last = ReLU()
        let inner = Sequential { Conv2d(2, 2, kernelSize: 1); Conv2d(2, 2, kernelSize: 3, padding: 1) }
        let first = Conv2d(1, 2, kernelSize: 1)
        func forward(_ x: Tensor) throws -> Tensor {
            var y = try first(x)
            for layer in inner.layers { y = try layer(y) }
            return try last(y)
        }
    }

    @Test func nestedSummaryTableNamesStagesAndFollowsTheCalls() throws {
        let net = Sequential {
            Sequential(name: "stem") { Shuffled() }
            Flatten(); Linear(32, 3)
        }
        let s = try summarize(net, input: [1, 1, 4, 4])
        #expect(s.walkThrough.components(separatedBy: "\n").first == "stem    output shape: [1, 2, 4, 4]")
        let block = try #require(s.layers[0].children?.first)
        #expect(block.name == "Shuffled" && block.children?.map(\.settings) == ["1→2, 1×1", "2→2, 1×1", "2→2, 3×3, pad 1", ""])
        let rows = s.table(depth: 3).components(separatedBy: "\n")
        #expect(rows.contains { $0.hasPrefix("0.0.2      Conv2d  2→2, 3×3, pad 1") }, "\(rows)")
        #expect(!s.table(depth: 1).contains("0.0"))
        #expect(s.table(depth: 2).contains("0.0  ") && !s.table(depth: 2).contains("0.0.0"))
        // Totals count each layer once, whatever the depth.
        func totals(_ table: String) -> [String]? {
            table.components(separatedBy: "\n").first { $0.contains("Total") }?.split(separator: " ").map(String.init)
        }
        #expect(totals(s.table(depth: 3)) == ["Total", "147", "768"] && totals(s.table(depth: 1)) == ["Total", "147", "768"])
    }
}

enum OperationValues {
    /// Distinct values 0.01 apart in random order: no max-pool window has a near-tie.
    static func distinct(_ count: Int, seed: UInt64) -> [Float] {
        var values = (0..<count).map { Float($0) * 0.01 - Float(count) * 0.005 + 0.005 }
        RandomGenerator(seed: seed).shuffle(&values)
        return values
    }
}

@Suite struct BatchNormLayerTests {
    @Test func layerKeepsPyTorchsStateAndModes() throws {
        let bn = BatchNorm2d(3)
        #expect(bn.parametersByPath().map(\.path) == ["weight", "bias"])
        #expect(bn.stateByPath().map(\.path) == ["weight", "bias", "running_mean", "running_var"])
        let x = Tensor.uniform([4, 3, 2, 2], -1, 1, using: RandomGenerator(seed: 1))
        let trained = try bn(x)
        #expect(bn.numBatchesTracked == 1 && bn.runningMean.scalars != [0, 0, 0])
        // In training each channel comes out with mean 0.
        for ch in 0..<3 {
            var total: Float = 0
            for i in 0..<4 { for e in 0..<4 { total += trained.data[(i * 3 + ch) * 4 + e] } }
            #expect(abs(total / 16) < 1e-5)
        }
        bn.eval()
        let single = try bn(Tensor(zeros: [1, 3, 2, 2]))
        #expect(single.shape == [1, 3, 2, 2], "evaluation works on a batch of one")
        #expect(bn.numBatchesTracked == 1)
        #expect(throws: LayerError.self) { try BatchNorm1d(4)(Tensor(zeros: [2, 3])) }
    }
}
