import Files
import Foundation
import Localization
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
            log.status(localized("measuring \(network.name)…", zh: "正在测量 \(network.name)…"))
            Storage.releasePooledMemory()  // each network measured as it runs alone
            rows.append(try measure(lesson, network, batch: batch))
        }
        log.status(nil)
        log.append(.text(comparisonTable(rows, batch: batch)), line: line)
        for row in rows {
            guard let run = row.lastRun, let trainedIn = run.trainedIn else { continue }
            log.append(.text(localized("\(row.network.name)'s last run was trained in \(trainedIn) (scripts/train_pytorch.py) and brought here "
                + "with --checkpoint: its accuracy and time are that run's.",
                zh: "\(row.network.name) 最近一次运行是在 \(trainedIn) 中训练的（scripts/train_pytorch.py），再用 --checkpoint 带到这里："
                + "它的准确率和时间都是那次运行的。")), line: line)
        }
        let sheet = PictureSheet(run: self, line: line)

        var params = BarChart(title: localized("Parameters", zh: "参数"), valueLabel: localized("learned numbers", zh: "学到的数值个数"))
        params.logScale = true
        params.bars = rows.enumerated().map { .init(label: $1.network.name, value: Double($1.params), color: Color.series[$0 % Color.series.count]) }
        try sheet.page("parameters.png") { try params.render(scale: $0) }

        var macs = BarChart(title: localized("Multiply-adds per image, each network at the book's image size",
                                             zh: "每张图像的乘加运算，各网络按书中的图像尺寸"),
                            valueLabel: localized("multiply-adds", zh: "乘加运算"))
        macs.logScale = true
        macs.bars = rows.enumerated().map {
            .init(label: "\($1.network.name), \($1.lesson.trainingSide)²", value: Double($1.macs), color: Color.series[$0 % Color.series.count])
        }
        try sheet.page("multiply-adds.png") { try macs.render(scale: $0) }

        var scatter = LineChart(title: localized("Test accuracy against training time, last run of each lesson",
                                                 zh: "测试准确率与训练时间：每课最近一次运行"),
                                xLabel: localized("training time (s)", zh: "训练时间（秒）"),
                                yLabel: localized("test accuracy", zh: "测试准确率"))
        scatter.yRange = 0...1
        scatter.labelsAtPoints = true
        scatter.notes = [localized("Each lesson's last run as it was run: image sizes, training images and epochs differ (see the table),",
                                   zh: "每课最近一次运行的原样结果：图像尺寸、训练图像数和轮数各不相同（见上表），"),
                         localized("so a point says what that run reached in its time, not how good the network can be.",
                                   zh: "所以一个点说的是那次运行在它的时间内达到了什么，而不是这个网络最好能有多好。")]
        scatter.series = rows.enumerated().compactMap { i, row in
            guard let run = row.lastRun, let last = run.history.last else { return nil }
            return .init(name: row.network.name + (run.trainedInProgram.map { localized(" (trained in \($0))", zh: "（在 \($0) 中训练）") } ?? ""),
                         points: [(run.trainingSeconds, last.testAccuracy)],
                         color: Color.series[i % Color.series.count], markers: true)
        }
        let elsewhere = rows.filter { $0.lastRun?.trainedIn != nil }
        if !elsewhere.isEmpty {
            scatter.notes.append(localized("Runs trained elsewhere are marked: their time is that machine's.", zh: "在别处训练的运行已标出：它们的时间是那台机器上的。"))
        }
        let ran = scatter.series.count
        if ran > 0 {
            try sheet.page("accuracy-vs-time.png") { try scatter.render(scale: $0) }
        }
        let notRun = networks.count - ran
        log.append(.text(ran == networks.count
            ? localized("Every lesson has been run; accuracies are from each lesson's last run.",
                        zh: "每课都已运行过；准确率取自每课最近一次运行。")
            : localized("\(notRun) lesson\(notRun == 1 ? " has" : "s have") not been run yet: "
                            + "`swift run lesson all` runs them all (in-class presets).",
                        zh: "还有 \(notRun) 课没有运行过：`swift run lesson all` 会把它们全部运行一遍（课堂预设）。")), line: line)
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
        var table: [[String]] = [
            Language.current == .zh
                ? ["网络", "年份", "思想", "输入", "参数", "乘加运算", "激活值", "训练/秒", "推理/秒", "最近一次运行"]
                : ["Network", "Year", "Idea", "Input", "Params", "Mult-adds", "Activations", "Train/s", "Infer/s", "Last run"]
        ]
        for r in rows {
            let last: String
            if let run = r.lastRun, let epoch = run.history.last {
                last = String(format: localized("test acc %.3f, %d ep, %@", zh: "测试准确率 %.3f，%d 轮，%@"),
                              epoch.testAccuracy, epoch.epoch, clock(run.trainingSeconds))
                    + (run.trainedInProgram.map { localized(", trained in \($0)", zh: "，在 \($0) 中训练") } ?? "")
            } else {
                last = localized("not run yet", zh: "尚未运行")
            }
            table.append([r.network.name, String(r.network.year), r.network.idea.description, "\(r.lesson.trainingSide)²", millions(r.params),
                          millions(r.macs), megabytes(r.activationBytes), String(format: "%.0f", r.trainingPerSecond),
                          String(format: "%.0f", r.inferencePerSecond), last])
        }
        // Display widths: a Chinese character takes two columns.
        let widths = (0..<table[0].count).map { c in table.map { visibleWidth($0[c]) }.max()! }
        let lines = table.map { row in
            row.enumerated().map { c, cell in
                (3...8).contains(c) ? String(repeating: " ", count: widths[c] - visibleWidth(cell)) + cell : padded(cell, to: widths[c])
            }.joined(separator: "  ")
        }
        return ([lines[0], String(repeating: "-", count: visibleWidth(lines[0]))] + lines.dropFirst()).joined(separator: "\n")
            + localized("\nMult-adds per image at the input size; activations: what the forward pass of a training batch of \(batch) keeps "
                            + "for the backward pass; "
                            + "Train/s and Infer/s: examples per second measured just now (batch \(batch), \(settings.threads) threads).",
                        zh: "\n乘加运算：每张图像在输入尺寸下的次数；激活值：大小为 \(batch) 的训练小批量在前向传播中为反向传播保留的内存；"
                            + "训练/秒和推理/秒：刚刚测得的每秒样本数（批量 \(batch)，\(settings.threads) 个线程）。")
    }
}
