import Foundation
import Lessons
import NN
import Notebook
import Tensors

/// Each lesson's network, at the image size and batch of the book's settings for it.
struct NetworkCase {
    var name: String
    var make: @Sendable () -> any Layer
    var input: Int
    var batch: Int
}

extension NetworkCase {
    /// A fresh network, a batch of random images, and one SGD training step on them.
    func training() -> (net: any Layer, images: Tensor, step: () -> Void) {
        let net = make()
        xavierUniform(net)
        let x = Tensor.uniform([batch, 1, input, input], 0, 1)
        let labels = (0..<batch).map { Int32($0 % 10) }
        let optimizer = SGD(net.parameters, learningRate: 0.01)
        return (net, x, { _ = try! Trainer.step(net, optimizer: optimizer, images: x, labels: labels) })
    }
}

let networkCases: [NetworkCase] = allLessons.compactMap { lesson in
    lesson.network.map { NetworkCase(name: $0.name, make: $0.make, input: lesson.trainingSide, batch: lesson.book.batchSize) }
}

var networkBenchmarks: [Benchmark] {
    networkCases.map { t in
        Benchmark(name: "net \(t.name)") {
            let (net, x, step) = t.training()
            let timing = timed(warmups: 2, runs: 5, minimumSeconds: 2, besidePeak: true, step)
            let training = timing.seconds
            // A training step's arithmetic: the forward pass's multiply-adds, twice as many in the
            // backward pass (input and weight gradients), two floating-point operations each.
            let (_, macs) = try! net.evaluating {
                try noGrad { try OpCounter.countMultiplyAdds { try net(Tensor(zeros: [1, 1, t.input, t.input])) } }
            }
            let before = Storage.systemAllocations
            for _ in 0..<3 { step() }
            let allocations = Double(Storage.systemAllocations - before) / 3
            let inference = net.evaluating { medianSeconds(warmups: 2, runs: 5, minimumSeconds: 2) { _ = try! noGrad { try net(x) } } }
            return [
                Row(name: "net \(t.name) training, batch \(t.batch)", unit: "examples/s", value: Double(t.batch) / training),
                Row(name: "net \(t.name) training arithmetic (multiply-adds × 2 × 3)", unit: "GFLOP/s",
                    value: Double(macs) * 6 * Double(t.batch) / training / 1e9,
                    shareOfPeak: timing.shareOfPeak(flops: Double(macs) * 6 * Double(t.batch))),
                Row(name: "net \(t.name) inference, batch \(t.batch)", unit: "examples/s", value: Double(t.batch) / inference),
                Row(name: "net \(t.name) buffers from the system per training step", unit: "", value: allocations),
            ]
        }
    }
}
