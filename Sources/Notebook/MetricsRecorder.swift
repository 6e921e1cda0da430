import Foundation
import NN

/// The one writer of a run's metrics (`metrics.json`): told the network's summary by the
/// walk-through, each epoch as an observer of training, and how the run ended. Every change
/// goes through here, and each finished epoch is written at once.
final class MetricsRecorder: TrainingObserver {
    private(set) var metrics: Metrics
    let folder: RunFolder

    init(lesson: String, settings: LessonSettings, folder: RunFolder) {
        metrics = Metrics(lesson: lesson, settings: settings, device: "cpu (\(settings.threads) thread\(settings.threads == 1 ? "" : "s"))")
        self.folder = folder
    }

    /// The network as the walk-through measured it.
    func network(_ summary: NetworkSummary) {
        metrics.shapeInput = summary.inputShape.dims
        metrics.layers = summary.layers
        metrics.params = summary.params
        metrics.macs = summary.macs
    }

    /// The epochs a continued run finished before it was stopped.
    func resumed(_ history: [EpochRecord]) {
        metrics.history = history
        metrics.trainingSeconds = history.map(\.seconds).reduce(0, +)
    }

    func batchDidEnd(_ progress: BatchProgress) {}

    func epochDidEnd(_ record: EpochRecord) {
        metrics.history.append(record)
        metrics.trainingSeconds += record.seconds
        if folder.isCommitted { try? write() }  // a failure here is reported by the final write
    }

    /// Training ended: the last epoch's figures and the mean speed.
    func finished(_ history: [EpochRecord]) {
        guard let last = history.last else { return }
        let rate = history.map(\.examplesPerSecond).reduce(0, +) / Double(history.count)
        metrics.final = .init(loss: last.loss, trainAccuracy: last.trainAccuracy, testAccuracy: last.testAccuracy, examplesPerSecond: rate)
    }

    /// A view of loaded weights measured them on the test images (and trained nothing).
    func measured(_ evaluation: (confusion: Confusion, loss: Double)) {
        tested(evaluation.confusion)
        metrics.final = .init(testAccuracy: evaluation.confusion.accuracy, testLoss: evaluation.loss.isFinite ? evaluation.loss : nil)
    }

    /// The loaded weights were trained elsewhere (in PyTorch) by the run that `recorded` describes:
    /// its history becomes this run's, so that the chapter's comparison shows it.
    func trainedElsewhere(_ recorded: Metrics, trainedIn: String) {
        metrics.history = recorded.history
        metrics.trainingSeconds = recorded.trainingSeconds
        metrics.trainedIn = trainedIn
    }

    /// How the test images were classified by the network as it ended (or was loaded).
    func tested(_ confusion: Confusion) {
        metrics.confusion = confusion.counts
        metrics.perClassAccuracy = confusion.perClassAccuracy
    }

    /// What the network made of the photo given with `--image`.
    func classified(_ image: ImageResult) { metrics.image = image }

    func interrupted() { metrics.interrupted = true }
    func failed(_ error: any Error) { metrics.error = "\(error)" }

    func write() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try folder.write(try encoder.encode(metrics), to: "metrics.json")
    }
}
