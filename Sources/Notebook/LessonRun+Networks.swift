import Datasets
import Foundation
import Localization
import NN
import Plot
import Tensors

/// The walk-through of a network, at once or (with --step) one layer per Enter.
extension LessonRun {
    /// The book's walk-through: a random input of `input` shape through each top-level layer,
    /// one line per layer, then a table of shapes, parameters and multiply-adds (with the layers
    /// inside blocks down to `depth`), and the network's diagram (`architecture.png`).
    @discardableResult
    public func walkThrough(_ net: any Layer, input: Shape, depth: Int = 1, line: Int = #line) throws -> NetworkSummary {
        try reach(line)
        try loadGivenWeights(into: net, line: line, walkThroughOnly: true)
        if pacer != nil { try stepThrough(net, input: input, line: line) }
        let summary = try summarize(net, input: input)
        log.append(.text(summary.walkThrough + "\n\n" + summary.table(depth: depth)), line: line)
        recorder.network(summary)
        let diagram = try Pictures.architecture(net, title: localized("\(lesson.title): layer by layer", zh: "\(lesson.title)：逐层结构"),
                                                  inputShape: input)
        // Each layer's box leads to its step of the walk-through (on the class page).
        try PictureSheet(run: self, line: line).linkedPage("architecture.png") { scale in
            let (canvas, regions) = try diagram.renderWithRegions(scale: scale)
            return (canvas, regions.map { PictureLink(x: $0.x, y: $0.y, width: $0.width, height: $0.height, layer: $0.node) })
        }
        return summary
    }

    /// The weights `--checkpoint` or `--resume` name, loaded into `net` once, so the walk-through
    /// and its pictures show the trained network; nothing without them. A checkpoint that names
    /// another lesson is refused. A network that is only walked through (VGG's full-width one,
    /// before the narrow one it trains) keeps its initial weights when the checkpoint is the
    /// lesson's network's and not its own.
    func loadGivenWeights(into net: any Layer, line: Int, walkThroughOnly: Bool = false) throws {
        guard !loadedWeights.contains(ObjectIdentifier(net)) else { return }
        if options.resume {
            try Checkpoint.load(path: folder.url(ResumeRecord.fileName).path, into: net)
            let path = folder.displayPath(ResumeRecord.fileName)
            log.append(.text(localized("Loaded the weights and the training state from \(path).", zh: "已从 \(path) 加载权重和训练状态。")),
                       line: line)
        } else if let path = options.checkpoint {
            let metadata: [String: String]
            do {
                metadata = try Checkpoint.load(path: path, into: net, lesson: lesson.name)
            } catch let mismatch as Checkpoint.Mismatch where walkThroughOnly && fitsLessonNetwork(path) {
                log.append(.text(localized("The checkpoint holds the weights of the network this lesson trains, not of this one "
                    + "(\(mismatch.problem)): this one is walked through with its initial weights.",
                    zh: "这个检查点存的是本课训练的那个网络的权重，而不是这个网络的（\(mismatch.problem)）：这个网络用它的初始权重来逐层演示。")),
                    line: line)
                return
            }
            checkpointOrigin = CheckpointOrigin(metadata: metadata)
            log.append(.text(localized("Loaded the weights from \(path).", zh: "已从 \(path) 加载权重。")), line: line)
            if let problem = checkpointOrigin?.problem { log.append(.text("Note: \(path): \(problem)."), line: line) }
        } else {
            return
        }
        loadedWeights.insert(ObjectIdentifier(net))
    }

    /// Whether the checkpoint at `path` loads into the network the lesson trains (made apart, with
    /// a random generator of its own, so that the run's own draws are not disturbed).
    private func fitsLessonNetwork(_ path: String) -> Bool {
        guard let network = lesson.network else { return false }
        let net = Random.$generator.withValue(RandomGenerator(seed: 0)) { network.make() }
        return (try? Checkpoint.load(path: path, into: net, lesson: lesson.name)) != nil
    }

    /// In step or class mode, the walk-through one step per layer: a test image (or, without the
    /// data set, random pixels) goes through one more top-level layer each time, and the class
    /// sees its shape and its feature maps (`step-<n>-<layer>.png`) change.
    func stepThrough(_ net: any Layer, input: Shape, line: Int) throws {
        var images: DataLoader?
        if input.rank == 4, input[0] == 1, input[1] == 1, let data = try? loadData() {
            images = DataLoader(data.test, batchSize: 1, shuffle: false, resize: input[2] == data.test.height ? nil : input[2])
        }
        try WalkThrough(run: self, net: net, style: .steps, source: images.map { .testImages($0, index: 0) } ?? .randomPixels, line: line)
            .walk(input: input)
    }
}
