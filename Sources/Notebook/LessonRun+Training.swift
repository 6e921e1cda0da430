import Datasets
import Files
import Foundation
import NN
import Plot
import Tensors

/// Data, training, and the checks and comparisons around it.
extension LessonRun {
    /// Fashion-MNIST from the folder the options name, read once per run.
    func loadData() throws -> (train: LabeledImages, test: LabeledImages) {
        if let loadedData { return loadedData }
        try checkInterrupt()
        let data = try FashionMNIST.load(from: FashionMNIST.directory(explicit: options.dataDirectory))
        loadedData = data
        return data
    }

    /// Fashion-MNIST as this run's settings ask: batch size, subset sizes, resize, seed.
    public func fashionMNIST(line: Int = #line) throws -> (train: DataLoader, test: DataLoader) {
        try reach(line)
        let folder = FashionMNIST.directory(explicit: options.dataDirectory)
        let data = try loadData()
        let train = DataLoader(data.train.prefix(settings.trainSize), batchSize: settings.batchSize, shuffle: true,
                               seed: settings.seed, resize: settings.resize)
        let test = DataLoader(data.test.prefix(settings.testSize), batchSize: settings.batchSize, shuffle: false,
                              resize: settings.resize)
        let size = "\(train.imageHeight)×\(train.imageWidth)" + (settings.resize != nil ? " (resized from 28×28)" : "")
        var shortfall = ""
        for (wanted, available, what) in [(settings.trainSize, data.train.count, "training"), (settings.testSize, data.test.count, "test")] {
            if let wanted, wanted > available { shortfall += " The folder holds only \(available.grouped) of the \(wanted.grouped) \(what) images asked for." }
        }
        log.append(.text("Fashion-MNIST from \(folder): \(train.exampleCount.grouped) training and \(test.exampleCount.grouped) test images, \(size), "
            + "in batches of \(settings.batchSize).\(shortfall)"), line: line)
        return (train, test)
    }

    /// Trains `net` as the book's `train_ch6`: Xavier-initialized weights, SGD on cross-entropy,
    /// per epoch the mean loss, training and test accuracy. Shows progress, and ends with the
    /// book's two summary lines. With `--no-train`, only initializes the weights; with
    /// `--checkpoint`, loads them; with `--resume`, continues the stopped run exactly (see
    /// `TrainingSession`).
    ///
    /// After every epoch (and when stopped) the state to continue from is saved in
    /// `resume.safetensors`; at the end, or when stopped, the weights in `<lesson>.safetensors`
    /// and the metrics, before any picture is drawn.
    @discardableResult
    public func train(_ net: any Layer, on data: (train: DataLoader, test: DataLoader), line: Int = #line) throws -> [EpochRecord] {
        try reach(line)
        return try TrainingSession(run: self, net: net, data: data, line: line).train()
    }

    /// This run's training curves beside those of the last run of lesson `other` (read from its
    /// metrics.json), as `comparison-<other>.png`; says so if `other` has not been run.
    public func compareTraining(with otherLesson: Lesson, line: Int = #line) throws {
        try reach(line)
        let (other, title) = (otherLesson.name, otherLesson.title)
        let folder = (options.outputRoot as NSString).appendingPathComponent(other)
        guard let theirs = Metrics.lastRun(of: other, in: options.outputRoot) else {
            log.append(.text("No finished run of \(title) in \(folder) to compare with: "
                + "run `swift run lesson \(other)` first."), line: line)
            return
        }
        var chart = LineChart(title: "\(lesson.title) against \(title)", xLabel: "epoch")
        let mine = metrics.history, epochs = max(mine.count, theirs.history.count)
        chart.xRange = 0...Double(max(epochs, 1))
        chart.yRange = 0...((max(mine.map(\.loss).max() ?? 1, theirs.history.map(\.loss).max() ?? 1, 1) * 2).rounded(.up) / 2)
        func points(_ h: [EpochRecord], _ value: (EpochRecord) -> Double) -> [(x: Double, y: Double)] {
            h.map { (Double($0.epoch), value($0)) }
        }
        chart.series = [
            .init(name: "\(lesson.title): train loss", points: points(mine, \.loss), color: Color.series[0], markers: true),
            .init(name: "\(lesson.title): test acc", points: points(mine, \.testAccuracy), color: Color.series[2], markers: true),
            .init(name: "\(title): train loss", points: points(theirs.history, \.loss), color: Color.series[0], dash: [6, 4], markers: true),
            .init(name: "\(title): test acc", points: points(theirs.history, \.testAccuracy), color: Color.series[2], dash: [6, 4], markers: true),
        ]
        try PictureSheet(run: self, line: line).page("comparison-\(other).png") { try chart.render(scale: $0) }
        if let a = mine.last, let b = theirs.history.last {
            log.append(.text(String(format: "%@ after %d epochs: test acc %.3f; %@ after %d epochs: test acc %.3f",
                                lesson.title, a.epoch, a.testAccuracy, title, b.epoch, b.testAccuracy)), line: line)
        }
    }
}
