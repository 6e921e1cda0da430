import Files
import Foundation
import NN

/// What a lesson run leaves in `output/<lesson>/metrics.json`, for the comparison lesson and for
/// anyone who wants the numbers. Keys are stable: later lessons read them.
public struct Metrics: Codable, Equatable, Sendable {
    /// How the run ended. After training: the last epoch's loss and accuracies and the mean
    /// speed. After viewing a `--checkpoint` (which trains nothing): the test accuracy and mean
    /// test loss measured on this run's test images, and null for the training figures (those of
    /// the run that made the weights, when the checkpoint records it, are in `history`).
    public struct Final: Codable, Equatable, Sendable {
        public var loss: Double?
        public var trainAccuracy: Double?
        public var testAccuracy: Double
        public var examplesPerSecond: Double?
        /// The mean cross-entropy on the test images (recorded by a view and by PyTorch's runs).
        public var testLoss: Double?
        enum CodingKeys: String, CodingKey {
            case loss, trainAccuracy = "train_acc", testAccuracy = "test_acc", examplesPerSecond = "examples_per_sec"
            case testLoss = "test_loss"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(loss, forKey: .loss)
            try c.encode(trainAccuracy, forKey: .trainAccuracy)
            try c.encode(testAccuracy, forKey: .testAccuracy)
            try c.encode(examplesPerSecond, forKey: .examplesPerSecond)
            try c.encodeIfPresent(testLoss, forKey: .testLoss)
        }
    }

    public var lesson: String
    public var settings: LessonSettings
    public var shapeInput: [Int]?
    public var layers: [LayerSummary] = []
    public var params: Int = 0
    public var macs: Int = 0
    public var history: [EpochRecord] = []
    public var final: Final?
    /// True when Ctrl-C (or SIGTERM, SIGHUP) stopped the run early.
    public var interrupted = false
    /// What stopped the run with an error, if something did.
    public var error: String?
    public var trainingSeconds: Double = 0
    public var device: String
    /// How the test images were classified after training (or with `--checkpoint`): one row per
    /// true class, one count per predicted class.
    public var confusion: [[Int]]?
    /// For each true class, the fraction of its test images classified right.
    public var perClassAccuracy: [Double?]?
    /// What the network made of the photo given with `--image`.
    public var image: ImageResult?
    /// Where the weights were trained when not by Convbook: `PyTorch 2.15.0 on cuda (NVIDIA A100) ×2`,
    /// as `scripts/train_pytorch.py` records it (then `history` is that run's). Absent in older files.
    public var trainedIn: String?

    public init(lesson: String, settings: LessonSettings, device: String) {
        (self.lesson, self.settings, self.device) = (lesson, settings, device)
    }

    enum CodingKeys: String, CodingKey {
        case lesson, settings, shapeInput = "shape_input", layers, params, macs, history, final, interrupted, error
        case trainingSeconds = "training_seconds", device, confusion, perClassAccuracy = "per_class_accuracy", image
        case trainedIn = "trained_in"
    }

    /// The metrics a run left in `folder`, if there are any that can be read.
    public static func read(in folder: String) -> Metrics? {
        (try? ReadableFile.contents(of: (folder as NSString).appendingPathComponent("metrics.json")))
            .flatMap { try? JSONDecoder().decode(Metrics.self, from: $0) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lesson, forKey: .lesson)
        try c.encode(settings, forKey: .settings)
        try c.encode(shapeInput, forKey: .shapeInput)
        try c.encode(layers, forKey: .layers)
        try c.encode(params, forKey: .params)
        try c.encode(macs, forKey: .macs)
        try c.encode(history, forKey: .history)
        try c.encode(final, forKey: .final)
        try c.encode(interrupted, forKey: .interrupted)
        try c.encode(error, forKey: .error)
        try c.encode(trainingSeconds, forKey: .trainingSeconds)
        try c.encode(device, forKey: .device)
        try c.encode(confusion, forKey: .confusion)
        try c.encode(perClassAccuracy, forKey: .perClassAccuracy)
        try c.encode(image, forKey: .image)
        try c.encode(trainedIn, forKey: .trainedIn)
    }
}
