import Datasets
import Foundation
import Localization
import NN
import Plot
import Tensors

/// A picture a lesson shows: `try nb.show(Filters(net))`. Each kind draws its pages on the sheet
/// it is given; the run writes each page to the lesson's folder and records it under the cell
/// that asked. A new kind of picture is a new type, not a new method of the run.
public protocol LessonPicture {
    func draw(on sheet: PictureSheet) throws
}

/// Where a picture draws: each page becomes `<lesson folder>/<name>` and an output of the cell
/// that asked for it.
public struct PictureSheet {
    let run: LessonRun
    let line: Int

    /// The lesson's title, for picture titles.
    public var lessonTitle: String { run.lesson.title }

    /// Draws `name` (at the run's `--scale`), writes it and records it; before drawing, honours a
    /// request to stop.
    public func page(_ name: String, _ draw: (_ scale: Double) throws -> Canvas) throws {
        try linkedPage(name) { (try draw($0), []) }
    }

    /// The same, for a picture whose parts point elsewhere in the lesson (see `PictureLink`).
    public func linkedPage(_ name: String, _ draw: (_ scale: Double) throws -> (Canvas, [PictureLink])) throws {
        try run.checkInterrupt()
        let (canvas, links) = try draw(run.options.scale)
        let name = unused(name)
        try run.folder.write(try canvas.pngData(), to: name)
        run.log.append(.image(PictureOutput(path: run.folder.displayPath(name), links: links)), line: line)
    }

    /// A text output beside the pictures.
    public func say(_ text: String) { run.log.append(.text(text), line: line) }

    /// `name`, or if this run has already written a picture by that name, `name-2`, `name-3`...
    /// (before the extension), taken for this picture.
    private func unused(_ name: String) -> String {
        let dot = name.lastIndex(of: ".") ?? name.endIndex
        let taken = (1...).lazy.map { n in n == 1 ? name : "\(name[..<dot])-\(n)\(name[dot...])" }
            .first { !run.pictureNames.contains($0) }!
        run.pictureNames.insert(taken)
        return taken
    }
}

/// The kernels of every convolution at the top level of a network (or only the first, or the
/// first inside a block if none is at the top), as `filters-<layer>-conv2d.png`.
public struct Filters: LessonPicture {
    let net: any Layer
    let firstOnly: Bool

    public init(_ net: any Layer, firstOnly: Bool = false) { (self.net, self.firstOnly) = (net, firstOnly) }

    public func draw(on sheet: PictureSheet) throws {
        let top = (net as? Sequential)?.namedChildren ?? []
        var convolutions = top.compactMap { child in (child.layer as? Conv2d).map { (child.name, $0) } }
        if convolutions.isEmpty, let first = Pictures.firstConvolution(in: net) { convolutions = [first] }
        if firstOnly { convolutions = Array(convolutions.prefix(1)) }
        for (path, conv) in convolutions {
            let place = Pictures.place(of: path, in: net)
            let grid = Pictures.filters(conv, title: localized("Weights of \(place): \(conv.description)", zh: "\(place) 的权重：\(conv.description)"))
            try sheet.page("filters-\(path)-conv2d.png") { try grid.render(scale: $0) }
        }
    }
}

/// One test image, and what each top-level layer of a network makes of it, as
/// `feature-maps-<layer>.png` (a convolution followed by its activation is shown after the
/// activation).
public struct FeatureMaps: LessonPicture {
    let net: any Layer
    let images: DataLoader
    let index: Int

    public init(_ net: any Layer, on data: (train: DataLoader, test: DataLoader), image index: Int = 0) {
        (self.net, self.images, self.index) = (net, data.test, index)
    }

    /// In step or class mode, one layer per step, as the walk-through (see `WalkThrough`).
    public func draw(on sheet: PictureSheet) throws {
        let walk = WalkThrough(run: sheet.run, net: net, style: .featureMaps, source: .testImages(images, index: index), line: sheet.line)
        try walk.walk(input: Shape([1, 1, images.imageHeight, images.imageWidth]))
    }
}

/// The first `count` test images with a network's predictions, as `predictions.png`; then the
/// scores (logits) behind the first prediction and what softmax makes of them.
public struct Predictions: LessonPicture {
    let net: any Layer
    let images: DataLoader
    let count: Int

    public init(_ net: any Layer, on data: (train: DataLoader, test: DataLoader), count: Int = 32) {
        (self.net, self.images, self.count) = (net, data.test, count)
    }

    public func draw(on sheet: PictureSheet) throws {
        let batch = images.batch(Array(0..<min(count, images.exampleCount)))
        try net.evaluating {
            let scores = try noGrad { try net(batch.images) }
            let classes = scores.shape[1]
            let probabilities = (0..<batch.labels.count).map { i in
                ProbabilityBars.softmax(scores.scalars[(i * classes)..<((i + 1) * classes)].map(Double.init))
            }
            let grid = Pictures.predictions(batch, probabilities: probabilities, classNames: FashionMNIST.classNames,
                                            title: localized("\(sheet.lessonTitle): predictions on the first \(batch.labels.count) test images",
                                                             zh: "\(sheet.lessonTitle)：对前 \(batch.labels.count) 张测试图像的预测"))
            try sheet.page("predictions.png") { try grid.render(scale: $0) }

            let logits = Array(scores.scalars.prefix(classes))
            let truth = FashionMNIST.classNames[Int(batch.labels[0])]
            let rows = zip(FashionMNIST.classNames, zip(logits, probabilities[0])).map { name, pair in
                name.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: "%10.5f   %5.3f", pair.0, pair.1)
            }
            sheet.say(localized("Test image 0 (\(truth)): the network's scores (logits) and their softmax probabilities\n",
                                zh: "测试图像 0（\(truth)）：网络给出的分数（logits）及其 softmax 概率\n")
                + rows.joined(separator: "\n"))
        }
    }
}

/// The first convolution's kernels before and after training, as `filters-before-after.png`:
/// training turns random noise into edge and blob detectors. Drawn by the training cell.
struct FiltersBeforeAndAfter: LessonPicture {
    let net: any Layer
    let path: String
    let conv: Conv2d
    let before: [Float]
    /// What `before` was: "at initialization", or the state a continued run started from.
    let beforeLabel: String

    /// The first convolution of `net` and a copy of its weights now, or nil if it has none.
    init?(net: any Layer, beforeLabel: String) {
        guard let (path, conv) = Pictures.firstConvolution(in: net) else { return nil }
        (self.net, self.path, self.conv, self.before, self.beforeLabel) = (net, path, conv, conv.weight.scalars, beforeLabel)
    }

    func draw(on sheet: PictureSheet) throws {
        let place = Pictures.place(of: path, in: net)
        let grid = Pictures.filtersBeforeAndAfter(
            before: before, beforeLabel: beforeLabel, after: conv,
            title: localized("\(sheet.lessonTitle): the first convolution's kernels, \(place)",
                             zh: "\(sheet.lessonTitle)：第一个卷积层的卷积核，\(place)"))
        try sheet.page("filters-before-after.png") { try grid.render(scale: $0) }
    }
}
