import Foundation
import Localization
import NN

/// Where a checkpoint's weights come from, as its safetensors metadata records it. Our saves
/// record the lesson; `scripts/train_pytorch.py` also records where it trained (`trained_in`)
/// and its whole run (`metrics`, the text of its metrics.json), so a view of its checkpoint can
/// say how the weights were trained and the chapter's comparison can show that run.
public struct CheckpointOrigin: Sendable {
    /// The lesson whose network the weights are.
    public var lesson: String?
    /// `PyTorch 2.15.0 on cuda (NVIDIA A100) ×2`.
    public var trainedIn: String?
    /// The run that trained the weights, if recorded.
    public var run: Metrics?
    /// Why the recorded run could not be read, if it could not.
    public var problem: String?

    public init(metadata: [String: String]) {
        lesson = metadata["lesson"]
        if let text = metadata["metrics"] {
            do {
                run = try JSONDecoder().decode(Metrics.self, from: Data(text.utf8))
            } catch {
                problem = "its recorded training run (metadata `metrics`) cannot be read: \(error)"
            }
        }
        trainedIn = metadata["trained_in"] ?? run?.trainedIn
    }

    /// The origin of the checkpoint at `path` (only its header is read).
    public static func read(path: String) throws -> CheckpointOrigin {
        CheckpointOrigin(metadata: try Checkpoint.metadata(path: path))
    }

    /// The recorded run, if it trained for at least one epoch.
    var trainingRun: Metrics? { run.flatMap { $0.history.isEmpty ? nil : $0 } }

    /// One line on where the weights came from and their test accuracy, recorded and measured now
    /// on `measured` (this run's test images).
    func summary(measured: Confusion, loss: Double) -> String {
        let now = String(format: "%.3f", measured.accuracy)
        let here = localized("\(now) on \(measured.total.grouped) test images", zh: "\(now)（\(measured.total.grouped) 张测试图像）")
            + (loss.isFinite ? String(format: localized(" (mean loss %.3f)", zh: "（平均损失 %.3f）"), loss) : "")
        guard let run = trainingRun, let last = run.history.last else {
            let origin = trainedIn.map { localized("Trained in \($0); no record of the run in the checkpoint. ", zh: "在 \($0) 中训练；检查点里没有那次运行的记录。") } ?? ""
            return origin + localized("Test accuracy of the loaded weights, measured here: \(here).", zh: "加载的权重在这里测得的测试准确率：\(here)。")
        }
        let side = run.settings.resize ?? run.shapeInput?.last ?? 28
        let images = run.settings.trainSize.map { localized("the first \($0.grouped) training images", zh: "前 \($0.grouped) 张训练图像") }
            ?? localized("all the training images", zh: "全部训练图像")
        let tested = run.confusion.map { localized("\($0.joined().reduce(0, +).grouped) test images", zh: "\($0.joined().reduce(0, +).grouped) 张测试图像") }
            ?? run.settings.testSize.map { localized("the first \($0.grouped) test images", zh: "前 \($0.grouped) 张测试图像") }
            ?? localized("all the test images", zh: "全部测试图像")
        let program = trainedIn ?? localized("another program", zh: "另一个程序")
        return localized("Trained in \(program): \(last.epoch) epoch\(last.epoch == 1 ? "" : "s") on \(images) at \(side)×\(side), "
                         + String(format: "test accuracy %.3f on ", last.testAccuracy) + tested + ". Measured here: \(here).",
                         zh: "在 \(program) 中训练：在\(images)上以 \(side)×\(side) 训练 \(last.epoch) 轮，"
                         + String(format: "测试准确率 %.3f（", last.testAccuracy) + tested + "）。这里测得：\(here)。")
    }
}

extension Metrics {
    /// The last run of `lesson` under `root` that trained its network: the lesson's own
    /// (`<root>/<lesson>/metrics.json`), or the view of a checkpoint trained elsewhere that
    /// recorded its run (`<root>/<lesson>/checkpoint/metrics.json`), whichever was written last.
    public static func lastRun(of lesson: String, in root: String) -> Metrics? {
        let folder = (root as NSString).appendingPathComponent(lesson)
        func written(_ folder: String) -> Date {
            let file = (folder as NSString).appendingPathComponent("metrics.json")
            return ((try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date) ?? .distantPast
        }
        let view = (folder as NSString).appendingPathComponent("checkpoint")
        let candidates = [(folder, read(in: folder)), (view, read(in: view).flatMap { $0.trainedIn != nil ? $0 : nil })]
        return candidates.filter { $0.1?.history.isEmpty == false }.max { written($0.0) < written($1.0) }?.1
    }

    /// "PyTorch" for weights trained in PyTorch; nil for Convbook's own runs.
    public var trainedInProgram: String? { trainedIn.map { $0.split(separator: " ").first.map(String.init) ?? $0 } }
}
