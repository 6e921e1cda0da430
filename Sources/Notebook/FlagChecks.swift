/// The `lesson` command's checks of flag values, here so that they can be tested: each returns
/// what is wrong and what is allowed, or nil.
public enum FlagChecks {
    public static func problem(epochs: Int?, batchSize: Int?, lr: Double?, trainSize: Int?, testSize: Int?,
                               resize: Int?, threads: Int?, scale: Double) -> String? {
        func atLeastOne(_ value: Int?, _ flag: String, _ meaning: String) -> String? {
            guard let value, value < 1 else { return nil }
            return "--\(flag) \(value): \(meaning) must be at least 1"
        }
        if let p = atLeastOne(epochs, "epochs", "the number of epochs") { return p }
        if let p = atLeastOne(batchSize, "batch-size", "the batch size") { return p }
        if let p = atLeastOne(trainSize, "train-size", "the number of training images") { return p }
        if let p = atLeastOne(testSize, "test-size", "the number of test images") { return p }
        if let p = atLeastOne(threads, "threads", "the number of threads") { return p }
        if let lr, !(lr > 0 && lr.isFinite) { return "--lr \(lr): the learning rate must be a positive number" }
        if let resize, resize < 1 || resize > 1024 { return "--resize \(resize): the image side must be between 1 and 1024 pixels" }
        if let threads, threads > 256 { return "--threads \(threads): at most 256" }
        if !(scale >= 0.5 && scale <= 4) { return "--scale \(scale): must be between 0.5 and 4" }
        return nil
    }
}
