import Datasets
import Foundation
import NN
import Plot
import Tensors

/// Data, training, and the checks and comparisons around it.
extension LessonRun {
    /// Fashion-MNIST from the folder the options name, read once per run.
    func loadData() throws -> (train: LabeledImages, test: LabeledImages) {
        if let loadedData { return loadedData }
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
        output(.text("Fashion-MNIST from \(folder): \(train.exampleCount.grouped) training and \(test.exampleCount.grouped) test images, \(size), "
            + "in batches of \(settings.batchSize)."), line: line)
        return (train, test)
    }

    /// Trains `net` as the book's `train_ch6`: Xavier-initialized weights, SGD on cross-entropy,
    /// per epoch the mean loss, training and test accuracy. Shows progress, and ends with the
    /// book's two summary lines. With `--no-train`, only initializes the weights.
    @discardableResult
    public func train(_ net: any Layer, on data: (train: DataLoader, test: DataLoader), line: Int = #line) throws -> [EpochRecord] {
        try reach(line)
        try checkFits(net, size: data.train.imageHeight, line: line)
        if let path = options.checkpoint {
            let bytes: Data
            do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw Checkpoint.Mismatch(file: path, problem: "cannot be read (\(AtomicFile.reason(error)))")
            }
            try Checkpoint.load(bytes, file: path, into: net)
            output(.text("Loaded the weights from \(path)."), line: line)
            guard options.epochsGiven && !options.noTrain else {
                output(.text("Not training: the pictures below show the loaded network. (Add --epochs N to train it further.)"), line: line)
                return []
            }
        } else {
            xavierUniform(net)
        }
        guard !options.noTrain else {
            output(.text("Not training (--no-train): the network keeps its initial random weights."), line: line)
            return []
        }
        guard !interrupted else { return [] }
        var plan = "Training for \(settings.epochs) epoch\(settings.epochs == 1 ? "" : "s") on \(data.train.exampleCount.grouped) images, "
            + "lr \(settings.lr), batch size \(settings.batchSize), seed \(settings.seed), \(metrics.device)."
        let changes = settings.differences(from: lesson.book)
        if changes.isEmpty {
            plan += "\nThese are the book's settings."
        } else {
            if !options.full, let note = lesson.inClassNote { plan += "\n" + note }
            plan += "\nThe book differs: " + changes.joined(separator: ", ")
                + ". For its settings: swift run lesson \(lesson.name) --full"
        }
        output(.text(plan), line: line)

        let trainer = Trainer(net: net, learningRate: Float(settings.lr), epochs: settings.epochs)
        trainer.shouldStop = interruptRequested
        let progress = ProgressDisplay(terminal: terminal, write: emit) { [self] record, _ in
            output(.text(epochLine(record)), line: line)
            metrics.history.append(record)
            metrics.trainingSeconds += record.seconds
            try? writeMetrics()
        }
        let curves = TrainingCurves(title: "\(lesson.title) on Fashion-MNIST", epochs: settings.epochs,
                                    url: directory.appendingPathComponent("training.png"), scale: options.scale)
        curves.draw()
        trainer.observers = [progress, curves]
        output(.image(path: displayPath("training.png")), line: line)
        emit(terminal.dim("[picture: \(displayPath("training.png")), redrawn as training goes]") + "\n")
        let result = try trainer.fit(train: data.train, test: data.test)
        if let failure = curves.failure { throw failure }
        if result.interrupted {
            interrupted = true
            metrics.interrupted = true
            output(.text("Interrupted (Ctrl-C): stopped after the current batch; \(result.history.count) full epoch(s) recorded."), line: line)
        }
        let checkpoint = directory.appendingPathComponent("\(lesson.name).safetensors")
        try AtomicFile.write(try Checkpoint.encode(net, metadata: ["lesson": lesson.name, "format": "pt"]), to: checkpoint)
        output(.text("Saved the weights to \(displayPath(checkpoint.lastPathComponent)) (safetensors, named as PyTorch's state_dict)."), line: line)
        if let last = result.history.last {
            let rate = result.history.map(\.examplesPerSecond).reduce(0, +) / Double(result.history.count)
            metrics.final = .init(loss: last.loss, trainAccuracy: last.trainAccuracy, testAccuracy: last.testAccuracy, examplesPerSecond: rate)
            output(.text(String(format: "loss %.3f, train acc %.3f, test acc %.3f\n%.1f examples/sec on %@",
                                last.loss, last.trainAccuracy, last.testAccuracy, rate, metrics.device)), line: line)
        }
        return result.history
    }

    /// Checks that `net` takes images of `size`×`size` before anything trains; if not, says which
    /// sizes nearby work (networks that end in a dense layer of fixed width take one size only).
    func checkFits(_ net: any Layer, size: Int, line: Int) throws {
        func fits(_ side: Int) -> Bool {
            (try? noGrad { try LayerTracer.$current.withValue(nil) { try net(Tensor(zeros: [1, 1, side, side])) } }) != nil
        }
        net.eval()
        defer { net.train() }
        do {
            _ = try noGrad { try net(Tensor(zeros: [1, 1, size, size])) }
        } catch {
            let larger = (size + 1...1024).first(where: fits)
            let smaller = stride(from: size - 1, through: 8, by: -1).first(where: fits)
            var hint = "Images of \(size)×\(size) do not fit this network (\(error))."
            switch (smaller, larger) {
            case (nil, let larger?): hint += " The smallest size that works is \(larger): --resize \(larger)."
            case (let smaller?, let larger?): hint += " The nearest sizes that work are \(smaller) and \(larger) (--resize)."
            case (let smaller?, nil): hint += " The largest size that works is \(smaller): --resize \(smaller)."
            case (nil, nil): break
            }
            throw ResizeError(message: hint)
        }
    }

    func epochLine(_ r: EpochRecord) -> String {
        String(format: "epoch %d/%d  loss %.3f  train acc %.3f  test acc %.3f  %@ examples/sec  %.1f s",
               r.epoch, settings.epochs, r.loss, r.trainAccuracy, r.testAccuracy, Int(r.examplesPerSecond).grouped, r.seconds)
    }

    /// This run's training curves beside those of the last run of lesson `other` (read from its
    /// metrics.json), as `comparison-<other>.png`; says so if `other` has not been run.
    public func compareTraining(with other: String, line: Int = #line) throws {
        try reach(line)
        let url = URL(fileURLWithPath: options.outputRoot).appendingPathComponent(other).appendingPathComponent("metrics.json")
        guard let data = try? Data(contentsOf: url), let theirs = try? JSONDecoder().decode(Metrics.self, from: data),
              !theirs.history.isEmpty else {
            output(.text("No finished run of `\(other)` in \(url.deletingLastPathComponent().path) to compare with: "
                + "run `swift run lesson \(other)` first."), line: line)
            return
        }
        var chart = LineChart(title: "\(lesson.title) against \(other)", xLabel: "epoch")
        let mine = metrics.history, epochs = max(mine.count, theirs.history.count)
        chart.xRange = 0...Double(max(epochs, 1))
        chart.yRange = 0...((max(mine.map(\.loss).max() ?? 1, theirs.history.map(\.loss).max() ?? 1, 1) * 2).rounded(.up) / 2)
        func points(_ h: [EpochRecord], _ value: (EpochRecord) -> Double) -> [(x: Double, y: Double)] {
            h.map { (Double($0.epoch), value($0)) }
        }
        chart.series = [
            .init(name: "\(lesson.name): train loss", points: points(mine, \.loss), color: Color.series[0], markers: true),
            .init(name: "\(lesson.name): test acc", points: points(mine, \.testAccuracy), color: Color.series[2], markers: true),
            .init(name: "\(other): train loss", points: points(theirs.history, \.loss), color: Color.series[0], dash: [6, 4], markers: true),
            .init(name: "\(other): test acc", points: points(theirs.history, \.testAccuracy), color: Color.series[2], dash: [6, 4], markers: true),
        ]
        try picture("comparison-\(other).png", line: line) { try chart.render(scale: options.scale) }
        if let a = mine.last, let b = theirs.history.last {
            output(.text(String(format: "after %d epochs: %@ test acc %.3f; %@ after %d epochs: test acc %.3f",
                                a.epoch, lesson.name, a.testAccuracy, other, b.epoch, b.testAccuracy)), line: line)
        }
    }
}
