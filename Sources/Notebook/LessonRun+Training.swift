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
        output(.text("Fashion-MNIST from \(folder): \(train.exampleCount.grouped) training and \(test.exampleCount.grouped) test images, \(size), "
            + "in batches of \(settings.batchSize).\(shortfall)"), line: line)
        return (train, test)
    }

    /// Trains `net` as the book's `train_ch6`: Xavier-initialized weights, SGD on cross-entropy,
    /// per epoch the mean loss, training and test accuracy. Shows progress, and ends with the
    /// book's two summary lines. With `--no-train`, only initializes the weights; with
    /// `--checkpoint`, loads them; with `--resume`, continues the stopped run exactly.
    ///
    /// After every epoch (and when stopped) the state to continue from is saved in
    /// `resume.safetensors`; at the end, or when stopped, the weights in `<lesson>.safetensors`
    /// and the metrics, before any picture is drawn.
    @discardableResult
    public func train(_ net: any Layer, on data: (train: DataLoader, test: DataLoader), line: Int = #line) throws -> [EpochRecord] {
        try reach(line)
        let side = data.train.imageHeight
        try checkFits(net, size: side)
        var start: ResumeRecord?
        if options.resume {
            start = try loadResumeState(into: net, line: line)
        } else if let path = options.checkpoint {
            try Checkpoint.load(path: path, into: net)
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
        try checkMemory(net, size: side, batch: min(settings.batchSize, data.train.exampleCount))
        output(.text(plan(data, continuing: start?.state)), line: line)

        let trainer = Trainer(net: net, learningRate: Float(settings.lr), epochs: settings.epochs)
        trainer.shouldStop = interruptRequested
        let curves = TrainingCurves(title: "\(lesson.title) on Fashion-MNIST", epochs: settings.epochs,
                                    folder: folder, name: "training.png", scale: options.scale)
        trainer.saveState = { [self] state in
            let record = ResumeRecord(lesson: lesson.name, settings: settings, state: state, curves: curves.points)
            try folder.write(try record.encode(net), to: ResumeRecord.fileName, partOfRecord: false)
        }
        let progress = ProgressDisplay(terminal: terminal, write: emit) { [self] record, _ in
            output(.text(epochLine(record)), line: line)
            metrics.history.append(record)
            metrics.trainingSeconds += record.seconds
            folder.commit()  // a finished epoch: this run's record is now worth more than the last
            try? writeMetrics()
        }
        if let start {
            metrics.history = start.state.history
            metrics.trainingSeconds = start.state.history.map(\.seconds).reduce(0, +)
            curves.resume(from: start.curves)
        }
        curves.draw()
        trainer.observers = [progress, curves]
        output(.image(path: displayPath("training.png")), line: line)
        emit(terminal.dim("[picture: \(displayPath("training.png")), redrawn as training goes]") + "\n")
        let result = try trainer.fit(train: data.train, test: data.test, from: start?.state)
        if let failure = curves.failure { throw failure }

        // The weights and the metrics first: a picture that cannot be drawn must not cost them.
        if folder.isCommitted {
            try folder.write(try Checkpoint.encode(net, metadata: ["lesson": lesson.name, "format": "pt"]),
                             to: "\(lesson.name).safetensors")
            output(.text("Saved the weights to \(displayPath("\(lesson.name).safetensors")) (safetensors, named as PyTorch's state_dict)."),
                   line: line)
        }
        if result.interrupted {
            let at = result.state
            let position = at.epoch > settings.epochs ? "after the last epoch"
                : at.batch >= data.train.batchCount ? "while testing epoch \(at.epoch)"
                : "in epoch \(at.epoch), after batch \(at.batch) of \(data.train.batchCount)"
            output(.text("Stopped \(position); \(result.history.count) full epoch\(result.history.count == 1 ? "" : "s") recorded. "
                + "To continue exactly where it stopped: \(resumeCommand)"), line: line)
            throw Interrupted(signal: Interrupt.shared.signal ?? SIGINT)
        }
        if let last = result.history.last {
            let rate = result.history.map(\.examplesPerSecond).reduce(0, +) / Double(result.history.count)
            metrics.final = .init(loss: last.loss, trainAccuracy: last.trainAccuracy, testAccuracy: last.testAccuracy, examplesPerSecond: rate)
            output(.text(String(format: "loss %.3f, train acc %.3f, test acc %.3f\n%.1f examples/sec on %@",
                                last.loss, last.trainAccuracy, last.testAccuracy, rate, metrics.device)), line: line)
        }
        if folder.isCommitted { try writeMetrics() }
        return result.history
    }

    /// What training is about to do, and how it differs from the book.
    func plan(_ data: (train: DataLoader, test: DataLoader), continuing start: TrainingState?) -> String {
        var plan = "Training for \(settings.epochs) epoch\(settings.epochs == 1 ? "" : "s") on \(data.train.exampleCount.grouped) images, "
            + "lr \(settings.lr), batch size \(settings.batchSize), seed \(settings.seed), \(metrics.device)."
        if let start {
            plan += "\nContinuing the stopped run from \(displayPath(ResumeRecord.fileName)): epoch \(start.epoch), "
                + "after batch \(start.batch) of \(data.train.batchCount)."
        }
        let changes = settings.differences(from: lesson.book)
        if changes.isEmpty {
            plan += "\nThese are the book's settings."
        } else {
            if !options.full, let note = lesson.inClassNote { plan += "\n" + note }
            plan += "\nThe book differs: " + changes.joined(separator: ", ")
                + ". For its settings: swift run lesson \(lesson.name) --full"
        }
        return plan
    }

    /// The command that continues this run.
    var resumeCommand: String {
        var command = "swift run lesson \(lesson.name) --resume"
        if options.outputRoot != "output" { command += " --output \(options.outputRoot)" }
        if let data = options.dataDirectory { command += " --data \(data)" }
        return command
    }

    /// Loads the weights and the training state of the stopped run into `net`.
    func loadResumeState(into net: any Layer, line: Int) throws -> ResumeRecord {
        let path = directory.appendingPathComponent(ResumeRecord.fileName).path
        let metadata = try Checkpoint.load(path: path, into: net)
        let record = try ResumeRecord(metadata: metadata, file: path)
        output(.text("Loaded the weights and the training state from \(displayPath(ResumeRecord.fileName))."), line: line)
        if !record.state.history.isEmpty { folder.commit() }  // the same run, which had already finished an epoch
        return record
    }

    /// Checks that `net` takes images of `size`×`size` before anything trains; if not, says which
    /// sizes nearby work (networks that end in a dense layer of fixed width take one size only).
    /// Shape-only tensors make every try cost microseconds, whatever the size.
    func checkFits(_ net: any Layer, size: Int) throws {
        func attempt(_ side: Int) throws {
            _ = try noGrad { try LayerTracer.$current.withValue(nil) { try net(Tensor(shapeOnly: [1, 1, side, side])) } }
        }
        do {
            try net.evaluating { try attempt(size) }
        } catch {
            func fits(_ side: Int) -> Bool { (try? net.evaluating { try attempt(side) }) != nil }
            let limit = FlagChecks.resize.range.upperBound
            let larger = size < limit ? (size + 1...limit).first(where: fits) : nil
            let smaller = size > 1 ? stride(from: size - 1, through: 1, by: -1).first(where: fits) : nil
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

    /// Refuses a batch whose training step cannot fit in the memory available now (less a tenth,
    /// for the data set, evaluation and the rest of the machine), before anything is allocated,
    /// with the estimate and the largest batch that fits.
    func checkMemory(_ net: any Layer, size: Int, batch: Int, available: Int = availableMemory() / 10 * 9) throws {
        let memory = try TrainingMemory(net, image: [1, size, size], batch: batch)
        guard memory.bytes > available else { return }
        func gigabytes(_ bytes: Int) -> String { String(format: "%.1f GB", Double(bytes) / 1e9) }
        var message = "A training step on batches of \(batch.grouped) images of \(size)×\(size) needs about \(gigabytes(memory.bytes)) "
            + "of memory; \(gigabytes(available)) is available now."
        let fits = memory.largestBatch(fitting: available)
        let suggestion = fits >= 16 ? fits / 8 * 8 : fits
        message += suggestion >= 1 ? " A batch of \(suggestion.grouped) fits: --batch-size \(suggestion)."
            : " Not even one image fits: use smaller images (--resize) or free some memory."
        throw MemoryError(message: message)
    }

    func epochLine(_ r: EpochRecord) -> String {
        String(format: "epoch %d/%d  loss %.3f  train acc %.3f  test acc %.3f  %@ examples/sec  %.1f s",
               r.epoch, settings.epochs, r.loss, r.trainAccuracy, r.testAccuracy, Int(r.examplesPerSecond).grouped, r.seconds)
    }

    /// This run's training curves beside those of the last run of lesson `other` (read from its
    /// metrics.json), as `comparison-<other>.png`; says so if `other` has not been run.
    public func compareTraining(with other: String, line: Int = #line) throws {
        try reach(line)
        let folder = (options.outputRoot as NSString).appendingPathComponent(other)
        guard let theirs = Metrics.read(in: folder), !theirs.history.isEmpty else {
            output(.text("No finished run of `\(other)` in \(folder) to compare with: "
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
