import Datasets
import Foundation
import Localization
import NN
import Plot
import Tensors

/// Turns networks and tensors into the pictures `Plot` draws. `Plot` knows pixels and charts;
/// this file knows what a convolution's weights or a layer's output look like as pixels.
enum Pictures {
    /// The net as boxes, with every layer's output shape for an input of `inputShape`. It is
    /// drawn from a trace of `forward` (see `Dataflow`): a block whose steps part and join again
    /// is drawn as its branches side by side, as `forward` runs them.
    static func architecture(_ net: any Layer, title: String, inputShape: Shape) throws -> ArchitectureDiagram {
        let (_, trace) = try net.evaluating { try noGrad { try LayerTracer.traceSteps { try net(Tensor(zeros: inputShape)) } } }
        func node(_ step: LayerTracer.Step) -> ArchitectureDiagram.Node {
            guard case .layer(let call) = step.kind else {
                return .layer(Dataflow.name(of: step, in: trace), detail: "", shape: step.output.shape.description)
            }
            return node(trace.calls[call])
        }
        func node(_ call: LayerTracer.Call) -> ArchitectureDiagram.Node {
            let layer = call.layer, shape = call.output.shape.description
            if layer is Sequential { return .block(layer.displayName, trace.ownSteps(of: call).map(node), shape: shape) }
            guard !layer.namedChildren.isEmpty else { return .layer(layer.displayName, detail: layer.hyperparameters, shape: shape) }
            let steps = trace.ownSteps(of: call)
            switch Dataflow(steps, input: call.input, output: call.output) {
            case let .branches(branches, merge)?:
                // An empty branch is the identity (a residual block's plain shortcut).
                let columns = branches.map { $0.isEmpty ? [.layer("identity", detail: "", shape: "")] : $0.flatMap(column) }
                return .branches(layer.description, columns, merge: merge.map { Dataflow.name(of: $0, in: trace) }.joined(separator: ", "),
                                 shape: shape)
            case .chain?:
                return .layer(layer.displayName, detail: layer.hyperparameters, shape: shape)
            case nil:
                // Steps that feed several later ones (a dense block concatenating every output to
                // its input): drawn in the order they run, so each concatenation and the channels
                // it adds show; a stage inside is one box listing its layers.
                return .block(layer.description, steps.map(compact), shape: shape)
            }
        }
        func compact(_ step: LayerTracer.Step) -> ArchitectureDiagram.Node {
            guard case .layer(let call) = step.kind, let stage = trace.calls[call].layer as? Sequential else { return node(step) }
            return .layer(stage.displayName, detail: stage.layers.map { layer in
                [layer.displayName, layer.hyperparameters].filter { !$0.isEmpty }.joined(separator: " ")
            }.joined(separator: ", "), shape: step.output.shape.description)
        }
        func column(_ step: LayerTracer.Step) -> [ArchitectureDiagram.Node] {
            if case .layer(let call) = step.kind, trace.calls[call].layer is Sequential {
                return trace.ownSteps(of: trace.calls[call]).map(node)
            }
            return [node(step)]
        }
        var diagram = ArchitectureDiagram(title: title, input: inputShape.description)
        if let top = trace.calls.last { diagram.nodes = top.layer is Sequential ? trace.ownSteps(of: top).map(node) : [node(top)] }
        return diagram
    }

    /// The first convolution `forward` could meet in `net`, depth first, with its path.
    static func firstConvolution(in net: any Layer) -> (path: String, conv: Conv2d)? {
        net.layersByPath.lazy.compactMap { entry in (entry.layer as? Conv2d).map { (entry.path, $0) } }.first
    }

    /// Where the layer at `path` sits, in words: "layer 3", or "layer 0.0 (in b1)" when it is
    /// inside a named stage or a block.
    static func place(of path: String, in net: any Layer) -> String {
        let containers = net.layersByPath.filter { !$0.path.isEmpty && path.hasPrefix($0.path + ".") }
        let names = containers.map(\.layer.displayName).filter { $0 != "Sequential" }
        let inside = names.joined(separator: " > ")
        return names.isEmpty ? localized("layer \(path)", zh: "层 \(path)")
            : localized("layer \(path) (in \(inside))", zh: "\(inside) 中的层 \(path)")
    }

    /// The kernels of a convolution, on a diverging scale centred on zero. With few input
    /// channels, one row per output channel and one column per input channel; otherwise each
    /// output channel's kernels averaged over its inputs.
    static func filters(_ conv: Conv2d, title: String, limit: Int = 64) -> ImageGrid {
        let (o, c, k) = (conv.outChannels, conv.inChannels, conv.kernelSize)
        let w = conv.weight.scalars
        var grid = ImageGrid(title: title)
        grid.colormap = .diverging
        grid.scaling = .symmetric
        grid.tileSide = 64
        if c == 1 {
            grid.notes = [localized("One tile per output channel: its \(k)×\(k) weights on the input image.",
                                    zh: "每个输出通道一个小图：它作用在输入图像上的 \(k)×\(k) 权重。")]
            for oc in 0..<o {
                grid.tiles.append(.init(values: Array(w[(oc * k * k)..<((oc + 1) * k * k)]), width: k, height: k,
                                        caption: [localized("out \(oc)", zh: "输出 \(oc)")]))
            }
            grid.columns = min(o, 8)
        } else if c <= 8 && o * c <= 160 {
            grid.columns = c
            grid.tileSide = 48
            grid.notes = [localized("One row per output channel, one column per input channel: \(k)×\(k) weights each.",
                                    zh: "每行一个输出通道，每列一个输入通道：每格是 \(k)×\(k) 的权重。")]
            grid.columnLabels = (0..<c).map { localized("in \($0)", zh: "输入 \($0)") }
            grid.rowLabels = (0..<o).map { localized("out \($0)", zh: "输出 \($0)") }
            for oc in 0..<o {
                for ic in 0..<c {
                    let start = (oc * c + ic) * k * k
                    grid.tiles.append(.init(values: Array(w[start..<(start + k * k)]), width: k, height: k))
                }
            }
        } else {
            let shown = min(o, limit)
            grid.notes = [localized("Each tile: one output channel's \(k)×\(k) kernels averaged over its \(c) input channels.",
                                    zh: "每个小图：一个输出通道的 \(k)×\(k) 卷积核在它的 \(c) 个输入通道上的平均。")
                          + (shown < o ? localized(" First \(shown) of \(o) output channels.", zh: "只画出 \(o) 个输出通道中的前 \(shown) 个。") : "")]
            for oc in 0..<shown {
                grid.tiles.append(.init(values: kernel(w, output: oc, of: conv), width: k, height: k, caption: ["\(oc)"]))
            }
            grid.columns = min(shown, 8)
        }
        return grid
    }

    /// Output channel `oc`'s k×k kernel from weights shaped as `conv`'s: itself when the
    /// convolution has one input channel, else averaged over the input channels.
    static func kernel(_ weights: [Float], output oc: Int, of conv: Conv2d) -> [Float] {
        let (c, area) = (conv.inChannels, conv.kernelSize * conv.kernelSize)
        var mean = [Float](repeating: 0, count: area)
        for ic in 0..<c { for e in 0..<area { mean[e] += weights[(oc * c + ic) * area + e] / Float(c) } }
        return mean
    }

    /// A convolution's kernels as they were (`before`, its weights' values then) above the same
    /// kernels now, one column per output channel, on one colour scale, so what training changed
    /// shows.
    static func filtersBeforeAndAfter(before: [Float], beforeLabel: String, after conv: Conv2d, title: String,
                                      limit: Int = 12) -> ImageGrid {
        let (o, k) = (conv.outChannels, conv.kernelSize)
        let shown = min(o, limit)
        var grid = ImageGrid(title: title)
        grid.colormap = .diverging
        grid.scaling = .symmetric
        grid.tileSide = 56
        grid.columns = shown
        grid.rowLabels = [beforeLabel, localized("after training", zh: "训练后")]
        grid.columnLabels = (0..<shown).map { localized("out \($0)", zh: "输出 \($0)") }
        for weights in [before, conv.weight.scalars] {
            for oc in 0..<shown { grid.tiles.append(.init(values: kernel(weights, output: oc, of: conv), width: k, height: k)) }
        }
        grid.notes = [localized("\(k)×\(k) kernels", zh: "\(k)×\(k) 卷积核")
                      + (conv.inChannels > 1 ? localized(" (averaged over \(conv.inChannels) input channels)",
                                                          zh: "（在 \(conv.inChannels) 个输入通道上平均）") : "")
                      + (shown < o ? localized(", the first \(shown) of \(o) output channels", zh: "，\(o) 个输出通道中的前 \(shown) 个") : "")
                      + localized(".", zh: "。")]
        return grid
    }

    /// The channels of one image's activation (1, C, H, W), each a tile on one shared scale.
    static func featureMaps(_ activation: Tensor, title: String, note: String, limit: Int = 32,
                            colormap: Colormap = .viridis) -> ImageGrid {
        let images = ImageBatch(activation.shape)
        let shown = min(images.c, limit)
        var grid = ImageGrid(title: title)
        grid.colormap = colormap
        grid.notes = [note + (shown < images.c ? localized(" First \(shown) of \(images.c) channels.",
                                                           zh: "只画出 \(images.c) 个通道中的前 \(shown) 个。") : "")]
        let values = activation.scalars
        for ch in 0..<shown {
            let start = ch * images.plane
            grid.tiles.append(.init(values: Array(values[start..<(start + images.plane)]), width: images.w, height: images.h,
                                    caption: ["\(ch)"]))
        }
        grid.columns = min(shown, 8)
        return grid
    }

    /// One example's activation in the picture that suits its shape (see `ActivationPicture`).
    static func activation(_ y: Tensor, title: String, note: String, classNames: [String]? = nil,
                           trueClass: Int? = nil) -> ActivationPicture {
        let values = y.scalars
        if y.shape.rank == 4 && y.shape[2] * y.shape[3] > 1 {
            return .featureMaps(featureMaps(y, title: title, note: note))
        }
        if y.shape.rank == 2, let classNames, values.count == classNames.count {
            var bars = ProbabilityBars(title: title, classNames: classNames, logits: values.map(Double.init))
            bars.trueClass = trueClass
            bars.notes = [note, localized("Softmax turns the \(values.count) scores into probabilities that sum to 1.",
                                          zh: "softmax 把这 \(values.count) 个分数变成总和为 1 的概率。")]
            return .probabilities(bars)
        }
        if y.shape.rank == 4 {
            var bars = ValueBars(title: title, labels: values.count == FashionMNIST.classNames.count ? FashionMNIST.classNames : [],
                                 values: values.map(Double.init))
            bars.notes = [note, localized("Each channel's map is 1×1 here: one number per channel", zh: "这里每个通道的特征图是 1×1：每个通道一个数")
                          + (bars.labels.isEmpty ? localized(".", zh: "。")
                              : localized(", one channel per class (NiN's last block scores the classes).",
                                          zh: "，每个类别一个通道（NiN 的最后一块给各类别打分）。"))]
            bars.highlighted = values.indices.max { values[$0] < values[$1] }
            return .channelValues(bars)
        }
        var strip = VectorStrip(title: title, values: values)
        strip.notes = [note, localized("\(values.count) numbers in a row, with no width and height: what the dense layers see.",
                                       zh: "排成一行的 \(values.count) 个数，没有宽和高：这就是全连接层看到的。")]
        return .strip(strip)
    }

    /// Test images, each with its true class and the network's guess with its probability; wrong
    /// guesses in red.
    static func predictions(_ batch: Batch, probabilities: [[Double]], classNames: [String], title: String) -> ImageGrid {
        let images = ImageBatch(batch.images.shape)
        let values = batch.images.scalars
        var grid = ImageGrid(title: title)
        grid.colormap = .gray
        grid.scaling = .fixed(0...1)
        grid.columns = 8
        grid.tileSide = 72
        let guesses = probabilities.map { p in p.indices.max { p[$0] < p[$1] } ?? 0 }
        let wrong = zip(guesses, batch.labels).filter { $0 != Int($1) }.count
        grid.notes = [localized("Under each image its true class, then the network's guess (→) with the probability it gives it.",
                                zh: "每张图像下方先是真实类别，再是网络的预测（→）和它给这个预测的概率。"),
                      localized("\(images.n - wrong) of \(images.n) right; wrong guesses are framed in red.",
                                zh: "\(images.n) 张中预测对 \(images.n - wrong) 张；预测错的用红框标出。")]
        for i in 0..<images.n {
            let truth = Int(batch.labels[i]), guess = guesses[i]
            let start = i * images.image  // first channel only (grayscale)
            grid.tiles.append(.init(values: Array(values[start..<(start + images.plane)]), width: images.w, height: images.h,
                                    caption: [classNames[truth], String(format: "→ %@ %.0f%%", classNames[guess], 100 * probabilities[i][guess])],
                                    captionColor: truth == guess ? .ink : .alarm, frame: truth == guess ? nil : .alarm))
        }
        return grid
    }
}

/// One example's activation in the picture that suits its shape: a feature map per channel;
/// one bar per channel when the maps are 1×1 (after global pooling); the class probabilities
/// when it is a classifier's output; else a strip of numbers (Flatten's 400, a dense layer's
/// 120), which has no width and height to suggest.
enum ActivationPicture {
    case featureMaps(ImageGrid)
    case channelValues(ValueBars)
    case probabilities(ProbabilityBars)
    case strip(VectorStrip)

    func render(scale: Double) throws -> Canvas {
        switch self {
        case .featureMaps(let grid): try grid.render(scale: scale)
        case .channelValues(let bars): try bars.render(scale: scale)
        case .probabilities(let bars): try bars.render(scale: scale)
        case .strip(let strip): try strip.render(scale: scale)
        }
    }
}

/// Draws the training curves as the book's `Animator` does: train loss and accuracy five times
/// an epoch, test accuracy once an epoch, redrawn to the same file each time.
final class TrainingCurves: TrainingObserver {
    /// The points drawn so far, saved with a stopped run so that its continuation draws the same.
    struct Points: Codable, Equatable {
        var loss: [[Double]] = []
        var trainAccuracy: [[Double]] = []
        var testAccuracy: [[Double]] = []
        enum CodingKeys: String, CodingKey { case loss, trainAccuracy = "train_acc", testAccuracy = "test_acc" }
    }

    var chart: LineChart
    let folder: RunFolder
    let name: String
    let scale: Double
    private(set) var points = Points()
    /// The first failure to write, reported once by the lesson.
    private(set) var failure: (any Error)?
    /// Told after each drawing but the first (for a page that shows the picture live).
    var redrawn: () -> Void = {}
    private var drawings = 0

    init(title: String, epochs: Int, folder: RunFolder, name: String, scale: Double) {
        chart = LineChart(title: title, xLabel: localized("epoch", zh: "轮"), yLabel: localized("loss, accuracy", zh: "损失、准确率"))
        chart.xRange = 0...Double(epochs)
        (self.folder, self.name, self.scale) = (folder, name, scale)
    }

    /// Continues from the points of a stopped run.
    func resume(from saved: Points) { points = saved }

    func batchDidEnd(_ p: BatchProgress) {
        let every = max(p.batchCount / 5, 1)
        guard p.batch % every == 0 || p.batch == p.batchCount else { return }
        points.loss.append([p.epochPosition, p.loss])
        points.trainAccuracy.append([p.epochPosition, p.accuracy])
        draw()
    }

    func epochDidEnd(_ record: EpochRecord) {
        points.testAccuracy.append([Double(record.epoch), record.testAccuracy])
        draw()
    }

    func draw() {
        func pairs(_ p: [[Double]]) -> [(x: Double, y: Double)] { p.filter { $0.count == 2 }.map { ($0[0], $0[1]) } }
        let (loss, trainAccuracy) = (pairs(points.loss), pairs(points.trainAccuracy))
        chart.series = [
            .init(name: localized("train loss", zh: "训练损失"), points: loss, color: Color.series[0]),
            .init(name: localized("train acc", zh: "训练准确率"), points: trainAccuracy, color: Color.series[1], dash: [7, 4]),
            .init(name: localized("test acc", zh: "测试准确率"), points: pairs(points.testAccuracy), color: Color.series[2],
                  dash: [7, 3, 2, 3], markers: true),
        ]
        let top = max(1, (loss + trainAccuracy).map(\.y).filter(\.isFinite).max() ?? 1)
        chart.yRange = 0...((top * 2).rounded(.up) / 2)
        do {
            try folder.write(try chart.render(scale: scale).pngData(), to: name)
            drawings += 1
            if drawings > 1 { redrawn() }
        } catch {
            if failure == nil { failure = error }
        }
    }
}
