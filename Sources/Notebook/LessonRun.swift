import Datasets
import Foundation
import NN
import Plot
import Tensors

/// How a lesson is run: the flags that are not training knobs.
public struct RunOptions: Sendable {
    /// `--full`: the book's settings instead of the in-class preset.
    public var full = false
    /// `--no-train`: walk-through and pictures of the untrained net only.
    public var noTrain = false
    /// `--step`: wait for Enter before each cell.
    public var step = false
    /// `--data`: the Fashion-MNIST folder (else $FASHION_MNIST, else the system folder).
    public var dataDirectory: String?
    /// `--output`: where `<lesson>/` goes.
    public var outputRoot = "output"
    /// `--scale`: pixels per logical pixel in the pictures (2 for HiDPI screens).
    public var scale = 1.0
    /// `--checkpoint`: weights to load instead of initializing (and not train, unless `--epochs`).
    public var checkpoint: String?
    /// Whether `--epochs` was given (with a checkpoint, it means: train further).
    public var epochsGiven = false

    public init() {}
}

/// Something a cell printed or drew, kept for the notebook export.
public enum CellOutput: Equatable, Sendable {
    case text(String)
    /// What stopped the lesson.
    case error(String)
    case image(path: String)
}

/// The lesson asked to stop: `q` in step mode.
struct LessonQuit: Error {}

/// The images are a size the network cannot take.
public struct ResizeError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// A lesson being run: what the lesson's code talks to (`nb` in the lesson files). Every call
/// takes the caller's `#line`, so its output lands under the cell that made it, and the cells
/// before it are shown first.
public final class LessonRun {
    public let lesson: Lesson
    public let settings: LessonSettings
    public let options: RunOptions
    /// `output/<lesson>/`.
    public let directory: URL
    public private(set) var metrics: Metrics
    /// Every output so far, with the index of its cell in `source` (nil without a source).
    public private(set) var outputs: [(cell: Int?, output: CellOutput)] = []
    public let source: LiterateSource?
    /// Set when Ctrl-C stopped training; later training calls return at once.
    public private(set) var interrupted = false

    let terminal: Terminal
    let write: (String) -> Void
    let interruptRequested: () -> Bool
    private var shownCells = 0
    private var stepping: Bool
    /// Whether the last thing printed was an output (so the next cell needs a blank line first).
    private var afterOutput = false
    /// `output/lenet`, as the user gave it, for messages.
    var displayDirectory: String { (options.outputRoot as NSString).appendingPathComponent(lesson.name) }

    public init(lesson: Lesson, settings: LessonSettings, options: RunOptions, terminal: Terminal,
                write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) },
                interruptRequested: @escaping () -> Bool = { Interrupt.shared.requested }) throws {
        (self.lesson, self.settings, self.options, self.terminal, self.write, self.interruptRequested) =
            (lesson, settings, options, terminal, write, interruptRequested)
        directory = URL(fileURLWithPath: options.outputRoot).appendingPathComponent(lesson.name)
        metrics = Metrics(lesson: lesson.name, settings: settings, device: "cpu (\(settings.threads) thread\(settings.threads == 1 ? "" : "s"))")
        if let text = try? String(contentsOfFile: lesson.sourceFile, encoding: .utf8) {
            source = try LiterateSource(text: text, file: lesson.sourceFile)
        } else {
            source = nil
        }
        stepping = options.step
        try OutputFiles.prepare(directory)
    }

    // MARK: Running

    /// Runs the lesson with its seed and thread count. Whatever happens (the end, `q` in step
    /// mode, Ctrl-C, an error in a cell), metrics.json and the notebook are written for what ran.
    public func run() throws {
        if source == nil {
            emit(terminal.dim("(The lesson's source \(lesson.sourceFile) is not here, so only its outputs are shown.)") + "\n\n")
        }
        if stepping && isatty(STDIN_FILENO) != 1 {
            stepping = false
            emit(terminal.dim("(--step needs a terminal on standard input; running straight through.)") + "\n\n")
        }
        var failure: (any Error)?
        do {
            try Parallel.$threadCount.withValue(settings.threads) {
                try Random.$generator.withValue(RandomGenerator(seed: settings.seed)) {
                    try lesson.body(self)
                }
            }
            try showCells(through: source?.cells.count ?? 0)
        } catch is LessonQuit {
            emit("\n" + terminal.dim("Stopped at your request; what ran so far is saved in \(displayDirectory)/.") + "\n")
        } catch {
            failure = error
            outputs.append((lastReachedCell, .error("error: \(error)")))
        }
        try writeMetrics()
        try writeNotebook()
        emit("\n" + terminal.dim("Wrote \(displayDirectory)/: metrics.json, \(lesson.name).ipynb, \(lesson.name).html and the pictures.") + "\n")
        if let failure { throw failure }
    }

    func writeMetrics() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(metrics), to: directory.appendingPathComponent("metrics.json"))
    }

    /// The cells shown so far with their outputs, as `<lesson>.ipynb` and `<lesson>.html`.
    func writeNotebook() throws {
        let export = NotebookExport(title: lesson.title, lessonName: lesson.name,
                                    cells: Array((source?.cells ?? []).prefix(shownCells)), outputs: outputs)
        try AtomicFile.write(try export.ipynb(), to: directory.appendingPathComponent("\(lesson.name).ipynb"))
        try AtomicFile.write(Data(try export.html().utf8), to: directory.appendingPathComponent("\(lesson.name).html"))
    }

    /// The last cell shown, where an error belongs.
    var lastReachedCell: Int? { source == nil ? nil : max(shownCells - 1, 0) }

    // MARK: Cells

    /// Shows every cell up to and including the one holding `line`.
    func reach(_ line: Int) throws {
        guard let source, let index = source.cellIndex(containing: line) else { return }
        try showCells(through: index + 1)
    }

    private func showCells(through end: Int) throws {
        guard let source else { return }
        while shownCells < min(end, source.cells.count) {
            let cell = source.cells[shownCells]
            if afterOutput { emit("\n"); afterOutput = false }
            if stepping && cell.kind == .code { try waitForEnter() }
            emit(render(cell) + "\n\n")
            shownCells += 1
        }
    }

    private func waitForEnter(_ prompt: String = "run the next cell") throws {
        emit(terminal.dim("[Enter: \(prompt) · q: quit]"))
        let answer = readLine()
        emit("\u{1B}[1A\r\u{1B}[2K")
        if answer == nil || answer?.trimmingCharacters(in: .whitespaces).lowercased() == "q" { throw LessonQuit() }
    }

    func render(_ cell: LiterateSource.Cell) -> String {
        switch cell.kind {
        case .prose:
            return MarkdownRenderer(terminal: terminal).render(cell.text)
        case .code:
            let numberWidth = String(cell.lines.upperBound).count
            return cell.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { offset, line in
                let number = String(cell.lines.lowerBound + offset)
                let gutter = String(repeating: " ", count: numberWidth - number.count) + number + " │ "
                return terminal.dim(gutter) + highlight(String(line))
            }.joined(separator: "\n")
        }
    }

    private func highlight(_ line: String) -> String {
        guard terminal.useColor else { return line }
        return SwiftHighlighter.tokens(line).map { token in
            switch token.kind {
            case .keyword: return terminal.style(token.text, "35")
            case .type: return terminal.style(token.text, "33")
            case .number: return terminal.style(token.text, "36")
            case .string: return terminal.style(token.text, "32")
            case .comment: return terminal.style(token.text, "2;3")
            case .plain: return token.text
            }
        }.joined()
    }

    func emit(_ text: String) { write(text) }

    /// Records and prints an output of the cell holding `line`.
    func output(_ output: CellOutput, line: Int) {
        outputs.append((source?.cellIndex(containing: line), output))
        if case .text(let text) = output { emit(text + "\n"); afterOutput = true }
    }

    // MARK: What lessons call

    /// Prints `text` as an output of the calling cell.
    public func say(_ text: String, line: Int = #line) throws {
        try reach(line)
        output(.text(text), line: line)
    }

    /// The book's walk-through: a random input of `input` shape through each top-level layer,
    /// one line per layer, then a table of shapes, parameters and multiply-adds.
    @discardableResult
    public func walkThrough(_ net: any Layer, input: Shape, line: Int = #line) throws -> NetworkSummary {
        try reach(line)
        if stepping { try stepThrough(net, input: input, line: line) }
        let summary = try summarize(net, input: input)
        output(.text(summary.walkThrough + "\n\n" + summary.table), line: line)
        metrics.shapeInput = input.dims
        metrics.layers = summary.layers
        metrics.params = summary.params
        metrics.macs = summary.macs
        let diagram = try Pictures.architecture(net, title: "\(lesson.title): layer by layer", inputShape: input)
        try picture("architecture.png", line: line) { try diagram.render(scale: options.scale) }
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
        output(.text("Stepping through the network with \(what), \(x.shape): Enter passes it through the next layer."), line: line)
        let layers = (net as? Sequential)?.layers ?? [net]
        net.eval()
        defer { net.train() }
        for (i, layer) in layers.enumerated() {
            try waitForEnter("through layer \(i), \(layer.typeName)")
            x = try noGrad { try layer(x) }
            output(.text("\(layer.typeName) output shape: \(x.shape)"), line: line)
            let title = "Step \(i + 1): after layer \(i), \(layer.description), \(x.shape)"
            let grid = x.shape.rank == 4 ? Pictures.featureMaps(x, title: title, note: "The sample after \(i + 1) of \(layers.count) layers.")
                : Pictures.vector(x, title: title)
            try picture("step-\(i + 1)-\(layer.typeName.lowercased()).png", line: line) { try grid.render(scale: options.scale) }
        }
    }

    private var loadedData: (train: LabeledImages, test: LabeledImages)?

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
        net.eval()
        defer { net.train() }
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

    /// The first `count` test images with the net's predictions, as `predictions.png`.
    public func showPredictions(_ net: any Layer, on data: (train: DataLoader, test: DataLoader), count: Int = 32,
                                line: Int = #line) throws {
        try reach(line)
        let batch = data.test.batch(Array(0..<min(count, data.test.exampleCount)))
        net.eval()
        defer { net.train() }
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

    /// Renders a picture to `<lesson>/<name>` and records it as an output of the calling cell.
    func picture(_ name: String, line: Int, _ render: () throws -> Canvas) throws {
        try render().writePNG(to: directory.appendingPathComponent(name))
        output(.image(path: displayPath(name)), line: line)
        emit(terminal.dim("[picture: \(displayPath(name))]") + "\n")
        afterOutput = true
    }

    func displayPath(_ name: String) -> String { (displayDirectory as NSString).appendingPathComponent(name) }

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
}
