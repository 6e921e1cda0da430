import Datasets
import Files
import Foundation
import Localization
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
        let size = "\(train.imageHeight)×\(train.imageWidth)" + (settings.resize != nil ? localized(" (resized from 28×28)", zh: "（由 28×28 缩放）") : "")
        var shortfall = ""
        for (wanted, available, what) in [(settings.trainSize, data.train.count, Localized("training", zh: "训练")),
                                          (settings.testSize, data.test.count, Localized("test", zh: "测试"))] {
            if let wanted, wanted > available {
                let (have, asked) = (available.grouped, wanted.grouped)
                shortfall += localized(" The folder holds only \(have) of the \(asked) \(what.english) images asked for.",
                                       zh: "要求 \(asked) 张\(what)图像，文件夹里只有 \(have) 张。")
            }
        }
        let (trainCount, testCount) = (train.exampleCount.grouped, test.exampleCount.grouped)
        log.append(.text(localized("Fashion-MNIST from \(folder): \(trainCount) training and \(testCount) test images, \(size), "
                                       + "in batches of \(settings.batchSize).\(shortfall)",
                                   zh: "Fashion-MNIST 来自 \(folder)：\(trainCount) 张训练图像和 \(testCount) 张测试图像，\(size)，"
                                       + "小批量大小 \(settings.batchSize)。\(shortfall)")), line: line)
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
        // What the lesson built before (a walk-through network at full size) leaves buffers in
        // the pool that training never asks for again; training starts with the memory it
        // would have alone. VGG's lesson peaked 0.5 GB higher with its full-width VGG-11's.
        Storage.releasePooledMemory()
        return try TrainingSession(run: self, net: net, data: data, line: line).train()
    }

    /// This run's training curves beside those of the last run of lesson `other` (read from its
    /// metrics.json), as `comparison-<other>.png`; says so if `other` has not been run.
    public func compareTraining(with otherLesson: Lesson, line: Int = #line) throws {
        try reach(line)
        let (other, title) = (otherLesson.name, otherLesson.title)
        let folder = (options.outputRoot as NSString).appendingPathComponent(other)
        guard let theirs = Metrics.lastRun(of: other, in: options.outputRoot) else {
            log.append(.text(localized("No finished run of \(title) in \(folder) to compare with: run `swift run lesson \(other)` first.",
                                       zh: "\(folder) 里没有 \(title) 跑完的运行可供比较：请先运行 `swift run lesson \(other)`。")), line: line)
            return
        }
        var chart = LineChart(title: localized("\(lesson.title) against \(title)", zh: "\(lesson.title) 与 \(title) 的对比"),
                              xLabel: localized("epoch", zh: "轮"))
        let mine = metrics.history, epochs = max(mine.count, theirs.history.count)
        chart.xRange = 0...Double(max(epochs, 1))
        chart.yRange = 0...((max(mine.map(\.loss).max() ?? 1, theirs.history.map(\.loss).max() ?? 1, 1) * 2).rounded(.up) / 2)
        func points(_ h: [EpochRecord], _ value: (EpochRecord) -> Double) -> [(x: Double, y: Double)] {
            h.map { (Double($0.epoch), value($0)) }
        }
        func trainLoss(_ name: String) -> String { localized("\(name): train loss", zh: "\(name)：训练损失") }
        func testAccuracy(_ name: String) -> String { localized("\(name): test acc", zh: "\(name)：测试准确率") }
        chart.series = [
            .init(name: trainLoss(lesson.title), points: points(mine, \.loss), color: Color.series[0], markers: true),
            .init(name: testAccuracy(lesson.title), points: points(mine, \.testAccuracy), color: Color.series[2], markers: true),
            .init(name: trainLoss(title), points: points(theirs.history, \.loss), color: Color.series[0], dash: [6, 4], markers: true),
            .init(name: testAccuracy(title), points: points(theirs.history, \.testAccuracy), color: Color.series[2], dash: [6, 4], markers: true),
        ]
        try PictureSheet(run: self, line: line).page("comparison-\(other).png") { try chart.render(scale: $0) }
        if let a = mine.last, let b = theirs.history.last {
            log.append(.text(String(format: localized("%@ after %d epochs: test acc %.3f; %@ after %d epochs: test acc %.3f",
                                                      zh: "%@ 训练 %d 轮后：测试准确率 %.3f；%@ 训练 %d 轮后：测试准确率 %.3f"),
                                lesson.title, a.epoch, a.testAccuracy, title, b.epoch, b.testAccuracy)), line: line)
        }
    }
}
