import Foundation
import Lessons
import NN
import Tensors

/// A network of the chapter at the size and batch PyTorch was measured at (from the issue).
struct NetworkCase {
    var name: String
    var make: () -> any Layer
    var input: Int
    var batch: Int
    /// PyTorch's training examples/sec as the issue measured it (on a Zen 5 machine; run
    /// scripts/pytorch_bench.py for this machine's).
    var pytorchTraining: Double
}

let networkCases = [
    NetworkCase(name: "LeNet", make: leNet, input: 28, batch: 256, pytorchTraining: 29_300),
    NetworkCase(name: "AlexNet", make: alexNet, input: 224, batch: 128, pytorchTraining: 68),
    NetworkCase(name: "VGG-11 channels/4", make: { vgg(vgg11Architecture.map { ($0.0, $0.1 / 4) }) }, input: 224, batch: 128,
                pytorchTraining: 77),
    NetworkCase(name: "NiN", make: nin, input: 224, batch: 128, pytorchTraining: 73),
    NetworkCase(name: "GoogLeNet", make: googLeNet, input: 96, batch: 128, pytorchTraining: 143),
    NetworkCase(name: "BN-LeNet", make: batchNormLeNet, input: 28, batch: 256, pytorchTraining: 32_200),
    NetworkCase(name: "ResNet-18", make: resNet18, input: 96, batch: 256, pytorchTraining: 161),
    NetworkCase(name: "DenseNet", make: denseNet, input: 96, batch: 256, pytorchTraining: 233),
]

let networkBenchmarks: [Benchmark] = networkCases.map { t in
    Benchmark(name: "net \(t.name)") {
        let net = t.make()
        xavierUniform(net)
        let x = Tensor.uniform([t.batch, 1, t.input, t.input], 0, 1)
        let labels = (0..<t.batch).map { Int32($0 % 10) }
        let optimizer = SGD(net.parameters, learningRate: 0.01)
        func step() {
            let loss = try! crossEntropy(try! net(x), labels: labels)
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
        }
        let training = medianSeconds(warmups: 2, runs: 5, minimumSeconds: 2, step)
        let before = Storage.systemAllocations
        for _ in 0..<3 { step() }
        let allocations = Double(Storage.systemAllocations - before) / 3
        net.eval()
        let inference = medianSeconds(warmups: 2, runs: 5, minimumSeconds: 2) { _ = try! noGrad { try net(x) } }
        return [
            Row(name: "net \(t.name) training, batch \(t.batch)", unit: "examples/s", value: Double(t.batch) / training,
                note: String(format: "PyTorch %.0f", t.pytorchTraining)),
            Row(name: "net \(t.name) inference, batch \(t.batch)", unit: "examples/s", value: Double(t.batch) / inference),
            Row(name: "net \(t.name) buffers from the system per training step", unit: "", value: allocations),
        ]
    }
}
