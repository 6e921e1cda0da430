import Datasets
import Foundation
import NN
import Plot
import Tensors

/// The walk-through of a network, at once or (with --step) one layer per Enter.
extension LessonRun {
    /// The book's walk-through: a random input of `input` shape through each top-level layer,
    /// one line per layer, then a table of shapes, parameters and multiply-adds, and the
    /// network's diagram (`architecture.png`).
    @discardableResult
    public func walkThrough(_ net: any Layer, input: Shape, line: Int = #line) throws -> NetworkSummary {
        try reach(line)
        if pacer != nil { try stepThrough(net, input: input, line: line) }
        let summary = try summarize(net, input: input)
        log.append(.text(summary.walkThrough + "\n\n" + summary.table), line: line)
        recorder.network(summary)
        let diagram = try Pictures.architecture(net, title: "\(lesson.title): layer by layer", inputShape: input)
        try PictureSheet(run: self, line: line).page("architecture.png") { try diagram.render(scale: $0) }
        return summary
    }

    /// In step mode, the walk-through one Enter per layer: a test image (or, without the data
    /// set, random pixels) goes through one more top-level layer each time, and the class sees
    /// its shape and its feature maps (`step-<n>-<layer>.png`) change.
    func stepThrough(_ net: any Layer, input: Shape, line: Int) throws {
        var x: Tensor
        var what = "random pixels"
        if input.rank == 4, input[0] == 1, input[1] == 1, let data = try? loadData() {
            let loader = DataLoader(data.test, batchSize: 1, shuffle: false, resize: input[2] == data.test.height ? nil : input[2])
            x = loader.batch([0]).images
            what = "test image 0 (\(FashionMNIST.classNames[Int(data.test.labels[0])]))"
        } else {
            x = Tensor.uniform(input, 0, 1, using: RandomGenerator(seed: 0))
        }
        log.append(.text("Stepping through the network with \(what), \(x.shape): Enter passes it through the next layer."), line: line)
        let layers = (net as? Sequential)?.layers ?? [net]
        let sheet = PictureSheet(run: self, line: line)
        try net.evaluating {
            for (i, layer) in layers.enumerated() {
                try pacer?.wait("through layer \(i), \(layer.typeName)")
                x = try noGrad { try layer(x) }
                log.append(.text("\(layer.typeName) output shape: \(x.shape)"), line: line)
                let title = "Step \(i + 1): after layer \(i), \(layer.description), \(x.shape)"
                let grid = x.shape.rank == 4 ? Pictures.featureMaps(x, title: title, note: "The sample after \(i + 1) of \(layers.count) layers.")
                    : Pictures.vector(x, title: title)
                try sheet.page("step-\(i + 1)-\(layer.typeName.lowercased()).png") { try grid.render(scale: $0) }
            }
        }
    }
}
