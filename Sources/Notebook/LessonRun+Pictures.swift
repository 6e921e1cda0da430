import Datasets
import Foundation
import NN
import Plot
import Tensors

/// Pictures of a network: its kernels, what it makes of an image, its predictions.
extension LessonRun {
    /// The kernels of every convolution at the top level of `net` (or only the first, or the first
    /// inside a block if none is at the top), as `filters-<layer>.png`.
    public func showFilters(_ net: any Layer, firstOnly: Bool = false, line: Int = #line) throws {
        try reach(line)
        let top = (net as? Sequential)?.namedChildren ?? []
        var convolutions = top.compactMap { child in (child.layer as? Conv2d).map { (child.name, $0) } }
        if convolutions.isEmpty, let first = net.allLayers.compactMap({ $0 as? Conv2d }).first { convolutions = [("first", first)] }
        if firstOnly { convolutions = Array(convolutions.prefix(1)) }
        for (name, conv) in convolutions {
            let grid = Pictures.filters(conv, title: "Layer \(name): \(conv.description), weights")
            try picture("filters-\(name)-conv2d.png", line: line) { try grid.render(scale: options.scale) }
        }
    }

    /// One test image through the net, and what each top-level layer makes of it, as
    /// `feature-maps-<layer>.png`. A convolution followed by its activation is shown after the
    /// activation.
    public func showFeatureMaps(_ net: any Layer, on data: (train: DataLoader, test: DataLoader), image index: Int = 0,
                                line: Int = #line) throws {
        try reach(line)
        let sample = data.test.batch([index])
        let className = FashionMNIST.classNames[Int(sample.labels[0])]
        try net.evaluating {
            let layers = (net as? Sequential)?.layers ?? [net]
            var x = sample.images
            let input = Pictures.featureMaps(x, title: "Input: test image \(index), \(className), \(x.shape)", note: "The image every picture below starts from.", colormap: .gray)
            try picture("feature-maps-input.png", line: line) { try input.render(scale: options.scale) }
            try noGrad {
                for (i, layer) in layers.enumerated() {
                    x = try layer(x)
                    guard x.shape.rank == 4 else { continue }
                    let nextIsActivation = i + 1 < layers.count && (layers[i + 1] is ReLU || layers[i + 1] is Sigmoid)
                    if nextIsActivation { continue }
                    let after = i > 0 && (layer is ReLU || layer is Sigmoid) ? " after \(layers[i - 1].typeName) \(layers[i - 1].hyperparameters)" : ""
                    let grid = Pictures.featureMaps(x, title: "Layer \(i): \(layer.typeName)\(after), output \(x.shape)",
                                                    note: "Test image \(index) (\(className)).")
                    try picture("feature-maps-\(i)-\(layer.typeName.lowercased()).png", line: line) { try grid.render(scale: options.scale) }
                }
            }
        }
    }

    /// The first `count` test images with the net's predictions, as `predictions.png`.
    public func showPredictions(_ net: any Layer, on data: (train: DataLoader, test: DataLoader), count: Int = 32,
                                line: Int = #line) throws {
        try reach(line)
        let batch = data.test.batch(Array(0..<min(count, data.test.exampleCount)))
        try net.evaluating {
            let predicted = try noGrad { try net(batch.images).argmax() }
            let grid = Pictures.predictions(batch, predicted: predicted, classNames: FashionMNIST.classNames,
                                            title: "\(lesson.title): predictions on the first \(batch.labels.count) test images")
            try picture("predictions.png", line: line) { try grid.render(scale: options.scale) }

            // The raw scores behind the first prediction, and what softmax makes of them.
            let logits = try noGrad { try net(data.test.batch([0]).images) }.scalars
            let top = logits.max() ?? 0
            let exps = logits.map { Foundation.exp(Double($0 - top)) }
            let total = exps.reduce(0, +)
            let truth = FashionMNIST.classNames[Int(batch.labels[0])]
            let rows = zip(FashionMNIST.classNames, zip(logits, exps)).map { name, pair in
                name.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: "%10.5f   %5.3f", pair.0, pair.1 / total)
            }
            output(.text("Test image 0 (\(truth)): the network's scores (logits) and their softmax probabilities\n"
                + rows.joined(separator: "\n")), line: line)
        }
    }

    /// Renders a picture to `<lesson>/<name>` and records it as an output of the calling cell.
    func picture(_ name: String, line: Int, _ render: () throws -> Canvas) throws {
        try checkInterrupt()
        try folder.write(try render().pngData(), to: name)
        output(.image(path: displayPath(name)), line: line)
        emit(terminal.dim("[picture: \(displayPath(name))]") + "\n")
        afterOutput = true
    }

    func displayPath(_ name: String) -> String { folder.displayPath(name) }
}
