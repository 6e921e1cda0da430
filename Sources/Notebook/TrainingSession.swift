import Datasets
import Foundation
import Localization
import NN
import Plot
import Tensors

/// One training of a lesson's network, prepared in one place: the checks (the image size, the
/// memory a batch needs), the weights to start from (a stopped run's with `--resume`, a
/// checkpoint's, or freshly initialized), the trainer and all that watches it (the console's
/// progress, the curves, the metrics, the folder's commit, the state to resume from), and what
/// is saved when it ends or is stopped.
final class TrainingSession {
    let run: LessonRun
    let net: any Layer
    let data: (train: DataLoader, test: DataLoader)
    let line: Int

    init(run: LessonRun, net: any Layer, data: (train: DataLoader, test: DataLoader), line: Int) {
        (self.run, self.net, self.data, self.line) = (run, net, data, line)
    }

    var settings: LessonSettings { run.settings }
    var options: RunOptions { run.options }
    var folder: RunFolder { run.folder }
    func say(_ text: String) { run.log.append(.text(text), line: line) }

    /// Trains (or only loads or initializes, when the run trains nothing) and returns the epochs.
    func train() throws -> [EpochRecord] {
        let side = data.train.imageHeight
        try Self.checkFits(net, size: side)
        guard let start = try startingWeights() else { return [] }
        try Self.checkMemory(net, size: side, batch: min(settings.batchSize, data.train.exampleCount))
        say(plan(continuing: start.resumed?.state))
        let filters = FiltersBeforeAndAfter(
            net: net, beforeLabel: start.resumed.map { localized("at epoch \($0.state.epoch), resumed", zh: "第 \($0.state.epoch) 轮，继续时") }
                ?? (options.checkpoint != nil ? localized("from the checkpoint", zh: "来自检查点") : localized("at initialization", zh: "初始化时")))

        let trainer = Trainer(net: net, learningRate: Float(settings.lr), epochs: settings.epochs)
        trainer.shouldStop = { [run] in
            run.pacer?.trainingMayGoOn()  // a paused class waits here
            return run.interruptRequested()
        }
        trainer.stopAfterEpoch = { [run] in run.pacer?.stopsAfterThisEpoch ?? false }
        let curves = TrainingCurves(title: localized("\(run.lesson.title) on Fashion-MNIST", zh: "\(run.lesson.title) 在 Fashion-MNIST 上的训练"),
                                    epochs: settings.epochs,
                                    folder: folder, name: "training.png", scale: options.scale)
        trainer.saveState = { [self] state in
            let record = ResumeRecord(lesson: run.lesson.name, settings: settings, state: state, curves: curves.points)
            try folder.write(try record.encode(net), to: ResumeRecord.fileName, partOfRecord: false)
        }
        if let resumed = start.resumed {
            run.recorder.resumed(resumed.state.history)
            curves.resume(from: resumed.curves)
        }
        curves.draw()
        curves.redrawn = { [run, folder] in run.log.redrawn(folder.displayPath("training.png")) }
        trainer.observers = [EpochReport(session: self), curves, run.recorder]
        let redrawnNote = localized("redrawn as training goes", zh: "随训练进行不断重绘")
        run.log.append(.image(PictureOutput(path: folder.displayPath("training.png"), note: redrawnNote)), line: line)
        let result = try trainer.fit(train: data.train, test: data.test, from: start.resumed?.state)
        if let failure = curves.failure { throw failure }

        // The weights and the metrics first: a picture that cannot be drawn must not cost them.
        if folder.isCommitted {
            try folder.write(try Checkpoint.encode(net, metadata: ["lesson": run.lesson.name, "format": "pt"]),
                             to: "\(run.lesson.name).safetensors")
            let path = folder.displayPath("\(run.lesson.name).safetensors")
            say(localized("Saved the weights to \(path) (safetensors, named as PyTorch's state_dict).",
                          zh: "权重已保存到 \(path)（safetensors 格式，按 PyTorch 的 state_dict 命名）。"))
        }
        if result.interrupted {
            let at = result.state
            let position = at.epoch > settings.epochs ? localized("after the last epoch", zh: "最后一轮之后")
                : at.batch >= data.train.batchCount ? localized("while testing epoch \(at.epoch)", zh: "测试第 \(at.epoch) 轮时")
                : localized("in epoch \(at.epoch), after batch \(at.batch) of \(data.train.batchCount)",
                            zh: "第 \(at.epoch) 轮的第 \(at.batch)/\(data.train.batchCount) 个小批量之后")
            let epochs = result.history.count
            say(localized("Stopped \(position); \(epochs) full epoch\(epochs == 1 ? "" : "s") recorded. ",
                          zh: "停在\(position)；已记录 \(epochs) 个完整的轮。")
                + localized("To continue exactly where it stopped: \(resumeCommand)", zh: "要从停下的地方原样继续：\(resumeCommand)"))
            throw Interrupted(signal: Interrupt.shared.signal ?? SIGINT)
        }
        if result.endedEarly {
            say(localized("Training ended after epoch \(result.history.count) of \(settings.epochs), as the teacher asked. ",
                          zh: "按老师的要求，训练在第 \(result.history.count) 轮（共 \(settings.epochs) 轮）后结束。")
                + localized("To train the rest later: \(resumeCommand)", zh: "以后要训练剩下的轮次：\(resumeCommand)"))
        }
        run.recorder.finished(result.history)
        if let final = run.metrics.final, let loss = final.loss, let trainAccuracy = final.trainAccuracy,
           let examplesPerSecond = final.examplesPerSecond {
            say(String(format: "loss %.3f, train acc %.3f, test acc %.3f\n%.1f examples/sec on %@",
                       loss, trainAccuracy, final.testAccuracy, examplesPerSecond, run.metrics.device))
        }
        if let tested = result.testConfusion { try report(tested) }
        if folder.isCommitted { try run.recorder.write() }
        if let filters, !result.history.isEmpty { try filters.draw(on: PictureSheet(run: run, line: line)) }
        return result.history
    }

    /// How the test images were classified, class by class: in the metrics, in words (each
    /// class's accuracy, the most common mistakes) and as `confusion.png`.
    func report(_ tested: Confusion) throws {
        run.recorder.tested(tested)
        let names = tested.classes == FashionMNIST.classNames.count ? FashionMNIST.classNames
            : (0..<tested.classes).map { localized("class \($0)", zh: "类别 \($0)") }
        let width = names.map(visibleWidth).max() ?? 0
        let noImages = localized("no images", zh: "没有图像")
        let rows = zip(names, tested.perClassAccuracy).map { name, accuracy in
            "  " + padded(name, to: width) + "  " + (accuracy.map { String(format: "%.3f", $0) } ?? noImages)
        }
        var text = localized("Test accuracy by class (\(tested.total.grouped) test images):\n",
                             zh: "各类别的测试准确率（\(tested.total.grouped) 张测试图像）：\n") + rows.joined(separator: "\n")
        let mistakes = tested.mistakes(limit: 3)
        if !mistakes.isEmpty {
            text += localized("\nMost common mistakes: ", zh: "\n最常见的错误：") + mistakes.map { mistake in
                let (truth, predicted, count) = (names[mistake.truth], names[mistake.predicted], mistake.count)
                return localized("\(truth) taken for \(predicted) (\(count)×)", zh: "把 \(truth) 当成 \(predicted)（\(count) 次）")
            }.joined(separator: localized(", ", zh: "，")) + localized(".", zh: "。")
        }
        say(text)
        let matrix = ConfusionMatrix(title: localized("\(run.lesson.title): the test images by true and predicted class",
                                                      zh: "\(run.lesson.title)：测试图像按真实类别和预测类别统计"),
                                     classNames: names, counts: tested.counts)
        try PictureSheet(run: run, line: line).page("confusion.png") { try matrix.render(scale: $0) }
    }

    /// The weights training starts from, loaded or initialized into `net`; nil when the run
    /// trains nothing (then the weights are there for the pictures).
    private func startingWeights() throws -> (resumed: ResumeRecord?, Void)? {
        if options.resume {
            try run.loadGivenWeights(into: net, line: line)
            let record = try ResumeRecord.read(folder: folder.path)
            if !record.state.history.isEmpty { folder.commit() }  // the same run, which had already finished an epoch
            return (record, ())
        }
        if options.checkpoint != nil {
            try run.loadGivenWeights(into: net, line: line)
            guard options.epochsGiven && !options.noTrain else {
                say(localized("Not training: the pictures below show the loaded network. (Add --epochs N to train it further.)",
                              zh: "不训练：下面的图展示的是加载的网络。（加上 --epochs N 可以继续训练它。）"))
                if !options.noTrain, let measured = try evaluation(of: net, on: data.test, shouldStop: run.interruptRequested) {
                    // One pass over the test images: the accuracy and loss in the metrics, the confusion below.
                    run.recorder.measured(measured)
                    let origin = run.checkpointOrigin ?? CheckpointOrigin(metadata: [:])
                    if let recorded = origin.trainingRun, let trainedIn = origin.trainedIn {
                        run.recorder.trainedElsewhere(recorded, trainedIn: trainedIn)
                    }
                    say(origin.summary(measured: measured.confusion, loss: measured.loss))
                    try report(measured.confusion)
                }
                return nil
            }
            return (nil, ())
        }
        xavierUniform(net)
        guard !options.noTrain else {
            say(localized("Not training (--no-train): the network keeps its initial random weights.",
                          zh: "不训练（--no-train）：网络保留初始的随机权重。"))
            return nil
        }
        return (nil, ())
    }

    /// What training is about to do, and how it differs from the book.
    func plan(continuing start: TrainingState?) -> String {
        let (epochs, images) = (settings.epochs, data.train.exampleCount.grouped)
        var plan = localized("Training for \(epochs) epoch\(epochs == 1 ? "" : "s") on \(images) images, "
                                 + "lr \(settings.lr), batch size \(settings.batchSize), seed \(settings.seed), \(run.metrics.device).",
                             zh: "训练 \(epochs) 轮，用 \(images) 张图像，学习率 \(settings.lr)，批量大小 \(settings.batchSize)，"
                                 + "随机种子 \(settings.seed)，\(run.metrics.device)。")
        if let start {
            let path = folder.displayPath(ResumeRecord.fileName)
            plan += localized("\nContinuing the stopped run from \(path): epoch \(start.epoch), "
                                  + "after batch \(start.batch) of \(data.train.batchCount).",
                              zh: "\n从 \(path) 接着上次停下的训练：第 \(start.epoch) 轮，"
                                  + "第 \(start.batch)/\(data.train.batchCount) 个小批量之后。")
        }
        let changes = settings.differences(from: run.lesson.book)
        if changes.isEmpty {
            plan += localized("\nThese are the book's settings.", zh: "\n这些就是书中的设置。")
        } else {
            // The note explains the preset's numbers, so it is only true when they are all in force.
            if settings.differences(from: run.lesson.inClass).isEmpty, let note = run.lesson.inClassNote { plan += "\n" + note.description }
            plan += localized("\nThe book differs: ", zh: "\n书中的设置不同：") + changes.joined(separator: localized(", ", zh: "，"))
                + localized(". For its settings: ", zh: "。要用书中的设置：") + "swift run lesson \(run.lesson.name) --full"
        }
        return plan
    }

    /// The command that continues this run.
    var resumeCommand: String {
        var command = "swift run lesson \(run.lesson.name) --resume"
        if options.outputRoot != "output" { command += " --output \(options.outputRoot)" }
        if let data = options.dataDirectory { command += " --data \(data)" }
        return command
    }

    func epochLine(_ r: EpochRecord) -> String {
        String(format: localized("epoch %d/%d  loss %.3f  train acc %.3f  test acc %.3f  %@ examples/sec  %.1f s",
                                 zh: "第 %d/%d 轮  训练损失 %.3f  训练准确率 %.3f  测试准确率 %.3f  每秒 %@ 个样本  %.1f 秒"),
               r.epoch, settings.epochs, r.loss, r.trainAccuracy, r.testAccuracy, Int(r.examplesPerSecond).grouped, r.seconds)
    }

    /// Tells the log of every batch (for a live progress line) and every epoch (its line); the
    /// first finished epoch makes this run's record the one the folder keeps.
    private final class EpochReport: TrainingObserver {
        unowned let session: TrainingSession
        init(session: TrainingSession) { self.session = session }
        func batchDidEnd(_ progress: BatchProgress) { session.run.log.progress(progress) }
        func epochDidEnd(_ record: EpochRecord) {
            session.say(session.epochLine(record))
            session.folder.commit()
        }
    }

    // MARK: Checks before training

    /// Checks that `net` takes images of `size`×`size` before anything trains; if not, says which
    /// sizes nearby work (networks that end in a dense layer of fixed width take one size only).
    /// Shape-only tensors make every try cost microseconds, whatever the size.
    static func checkFits(_ net: any Layer, size: Int) throws {
        func attempt(_ side: Int) throws {
            _ = try net.evaluating {
                try noGrad { try LayerTracer.scope.withValue(nil) { try net(Tensor(shapeOnly: [1, 1, side, side])) } }
            }
        }
        do {
            try attempt(size)
        } catch {
            func fits(_ side: Int) -> Bool { (try? attempt(side)) != nil }
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
    static func checkMemory(_ net: any Layer, size: Int, batch: Int, available: Int = availableMemory() / 10 * 9) throws {
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
}
