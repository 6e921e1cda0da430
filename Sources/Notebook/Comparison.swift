import Files
import Foundation
import NN
import Plot
import Tensors

/// What the comparison measured of one network.
struct NetworkFigures {
    var lesson: Lesson
    var network: LessonNetwork
    var params: Int
    var macs: Int
    /// Bytes the forward pass of a training batch keeps for the backward pass (every operation's
    /// output, inside blocks too), as `TrainingMemory` counts them.
    var activationBytes: Int
    var trainingPerSecond: Double
    var inferencePerSecond: Double
    var lastRun: Metrics?
}

extension LessonRun {
    /// Every network side by side: parameters, multiply-adds, activation memory for a batch of
    /// `batch`, speed measured here and now (a few steps each), and accuracy and time from each
    /// lesson's last run. A table, and charts: `parameters.png`, `multiply-adds.png`,
    /// `accuracy-vs-time.png`.
    public func compareNetworks(_ lessons: [Lesson], batch: Int = 16, line: Int = #line) throws {
        try reach(line)
        var rows: [NetworkFigures] = []
        let networks = lessons.compactMap { lesson in lesson.network.map { (lesson, $0) } }
        for (lesson, network) in networks {
            try checkInterrupt()
            log.status("measuring \(network.name)…")
            rows.append(try measure(lesson, network, batch: batch))
        }
        log.status(nil)
        log.append(.text(comparisonTable(rows, batch: batch)), line: line)
        for row in rows {
            guard let run = row.lastRun, let trainedIn = run.trainedIn else { continue }
            log.append(.text("\(row.network.name)'s last run was trained in \(trainedIn) (scripts/train_pytorch.py) and brought here "
                + "with --checkpoint: its accuracy and time are that run's."), line: line)
        }
        let sheet = PictureSheet(run: self, line: line)

        var params = BarChart(title: "Parameters", valueLabel: "learned numbers")
        params.logScale = true
        params.bars = rows.enumerated().map { .init(label: $1.network.name, value: Double($1.params), color: Color.series[$0 % Color.series.count]) }
        try sheet.page("parameters.png") { try params.render(scale: $0) }

        var macs = BarChart(title: "Multiply-adds per image, each network at the book's image size", valueLabel: "multiply-adds")
        macs.logScale = true
        macs.bars = rows.enumerated().map {
            .init(label: "\($1.network.name), \($1.lesson.trainingSide)²", value: Double($1.macs), color: Color.series[$0 % Color.series.count])
        }
        try sheet.page("multiply-adds.png") { try macs.render(scale: $0) }

        var scatter = LineChart(title: "Test accuracy against training time, last run of each lesson", xLabel: "training time (s)",
                                yLabel: "test accuracy")
        scatter.yRange = 0...1
        scatter.labelsAtPoints = true
        scatter.notes = ["Each lesson's last run as it was run: image sizes, training images and epochs differ (see the table),",
                         "so a point says what that run reached in its time, not how good the network can be."]
        scatter.series = rows.enumerated().compactMap { i, row in
            guard let run = row.lastRun, let last = run.history.last else { return nil }
            return .init(name: row.network.name + (run.trainedInProgram.map { " (trained in \($0))" } ?? ""),
                         points: [(run.trainingSeconds, last.testAccuracy)],
                         color: Color.series[i % Color.series.count], markers: true)
        }
        let elsewhere = rows.filter { $0.lastRun?.trainedIn != nil }
        if !elsewhere.isEmpty {
            scatter.notes.append("Runs trained elsewhere are marked: their time is that machine's.")
        }
        let ran = scatter.series.count
        if ran > 0 {
            try sheet.page("accuracy-vs-time.png") { try scatter.render(scale: $0) }
        }
        log.append(.text(ran == networks.count ? "Every lesson has been run; accuracies are from each lesson's last run."
            : "\(networks.count - ran) lesson\(networks.count - ran == 1 ? " has" : "s have") not been run yet: `swift run lesson all` runs them all (in-class presets)."), line: line)
    }

    private func measure(_ lesson: Lesson, _ network: LessonNetwork, batch: Int) throws -> NetworkFigures {
        let net = Random.$generator.withValue(RandomGenerator(seed: 0)) { network.make() }
        let side = lesson.trainingSide
        let (_, macs) = try net.evaluating { try noGrad { try OpCounter.countMultiplyAdds { try net(Tensor(zeros: [1, 1, side, side])) } } }
        let memory = try TrainingMemory(net, image: [1, side, side], batch: batch)

        let x = Tensor.uniform([batch, 1, side, side], 0, 1, using: RandomGenerator(seed: 1))
        let labels = (0..<batch).map { Int32($0 % 10) }
        let clock = ContinuousClock()
        func time(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
            try body()  // warm-up
            var best = Double.infinity
            for _ in 0..<runs {
                let start = clock.now
                try body()
                best = min(best, (clock.now - start).seconds)
            }
            return best
        }
        let inference = try net.evaluating { try time(2) { _ = try noGrad { try net(x) } } }
        let optimizer = SGD(net.parameters, learningRate: 0.01)
        let training = try time(2) { try Trainer.step(net, optimizer: optimizer, images: x, labels: labels) }
        return NetworkFigures(lesson: lesson, network: network, params: net.parameterCount, macs: macs,
                              activationBytes: memory.activationBytesPerExample * batch,
                              trainingPerSecond: Double(batch) / training, inferencePerSecond: Double(batch) / inference,
                              lastRun: Metrics.lastRun(of: lesson.name, in: options.outputRoot))
    }

    private func comparisonTable(_ rows: [NetworkFigures], batch: Int) -> String {
        func megabytes(_ bytes: Int) -> String { String(format: "%.0f MB", Double(bytes) / 1_048_576) }
        func millions(_ n: Int) -> String { n >= 1_000_000 ? String(format: "%.1f M", Double(n) / 1e6) : n.grouped }
        var table: [[String]] = [["Network", "Year", "Idea", "Input", "Params", "Mult-adds", "Activations", "Train/s", "Infer/s", "Last run"]]
        for r in rows {
            let last: String
            if let run = r.lastRun, let epoch = run.history.last {
                last = String(format: "test acc %.3f, %d ep, %@", epoch.testAccuracy, epoch.epoch, clock(run.trainingSeconds))
                    + (run.trainedInProgram.map { ", trained in \($0)" } ?? "")
            } else {
                last = "not run yet"
            }
            table.append([r.network.name, String(r.network.year), r.network.idea, "\(r.lesson.trainingSide)²", millions(r.params),
                          millions(r.macs), megabytes(r.activationBytes), String(format: "%.0f", r.trainingPerSecond),
                          String(format: "%.0f", r.inferencePerSecond), last])
        }
        let widths = (0..<table[0].count).map { c in table.map { $0[c].count }.max()! }
        let lines = table.map { row in
            row.enumerated().map { c, cell in
                (3...8).contains(c) ? String(repeating: " ", count: widths[c] - cell.count) + cell
                    : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([lines[0], String(repeating: "-", count: lines[0].count)] + lines.dropFirst()).joined(separator: "\n")
            + "\nMult-adds per image at the input size; activations: what the forward pass of a training batch of \(batch) keeps for the backward pass; "
            + "Train/s and Infer/s: examples per second measured just now (batch \(batch), \(settings.threads) threads)."
    }
}
