import Foundation

/// Labelled grayscale images held as bytes, as they come from the IDX files.
public struct LabeledImages: Sendable {
    public var count: Int
    public var height: Int
    public var width: Int
    /// count × height × width pixels, 0 (black) to 255.
    public var pixels: [UInt8]
    public var labels: [UInt8]

    public init(count: Int, height: Int, width: Int, pixels: [UInt8], labels: [UInt8]) {
        precondition(pixels.count == count * height * width && labels.count == count)
        (self.count, self.height, self.width, self.pixels, self.labels) = (count, height, width, pixels, labels)
    }

    /// The first `n` examples (all if `n` is nil or larger).
    public func prefix(_ n: Int?) -> LabeledImages {
        guard let n, n < count else { return self }
        return LabeledImages(count: n, height: height, width: width,
                             pixels: Array(pixels[0..<(n * height * width)]), labels: Array(labels[0..<n]))
    }
}

/// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 70,000 28×28 grayscale photos of clothing
/// in 10 classes, 60,000 for training and 10,000 for testing.
public enum FashionMNIST {
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// Where Debian's `dataset-fashion-mnist` package installs the files.
    public static let systemDirectory = "/usr/share/datasets/fashion-mnist"
    public static let environmentVariable = "FASHION_MNIST"
    public static let installHint =
        "Install it with `sudo apt-get install dataset-fashion-mnist`, or use a folder holding train-images-idx3-ubyte.gz, "
        + "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz."

    /// The folder to read: `explicit` (the caller's choice) if given, else $FASHION_MNIST, else the system
    /// folder.
    public static func directory(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        explicit ?? environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? systemDirectory
    }

    /// Loads the training and test sets from `directory`.
    public static func load(from directory: String) throws -> (train: LabeledImages, test: LabeledImages) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError(file: directory, problem: "Fashion-MNIST folder not found", hint: installHint)
        }
        let train = try load(directory, split: "train"), test = try load(directory, split: "t10k")
        guard (test.images.height, test.images.width) == (train.images.height, train.images.width) else {
            throw DatasetError(file: test.file, problem: "holds images of \(test.images.height)×\(test.images.width) pixels, but the "
                + "training images in \(train.file) are \(train.images.height)×\(train.images.width); both sets must have one size")
        }
        return (train.images, test.images)
    }

    /// One split's images, with the path of its image file (for messages).
    static func load(_ directory: String, split: String) throws -> (images: LabeledImages, file: String) {
        let imagesPath = try locate(directory, "\(split)-images-idx3-ubyte")
        let labelsPath = try locate(directory, "\(split)-labels-idx1-ubyte")
        let images = try IDXArray(contentsOf: imagesPath)
        let labels = try IDXArray(contentsOf: labelsPath)
        guard images.dimensions.count == 3 else {
            throw DatasetError(file: imagesPath, problem: "has dimensions \(images.dimensions); images need 3 (count, height, width)")
        }
        guard labels.dimensions.count == 1 else {
            throw DatasetError(file: labelsPath, problem: "has dimensions \(labels.dimensions); labels need 1 (count)")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw DatasetError(file: labelsPath,
                               problem: "holds \(labels.dimensions[0]) labels but \(imagesPath) holds \(images.dimensions[0]) images")
        }
        guard images.dimensions[0] > 0 else {
            throw DatasetError(file: imagesPath, problem: "holds no images (its dimensions are \(images.dimensions))")
        }
        guard images.dimensions[1] > 0, images.dimensions[2] > 0 else {
            throw DatasetError(file: imagesPath, problem: "holds images of \(images.dimensions[1])×\(images.dimensions[2]) pixels")
        }
        if let bad = labels.values.firstIndex(where: { Int($0) >= classNames.count }) {
            throw DatasetError(file: labelsPath,
                               problem: "label \(labels.values[bad]) at index \(bad) is not a class (expected 0 to \(classNames.count - 1))")
        }
        return (LabeledImages(count: images.dimensions[0], height: images.dimensions[1], width: images.dimensions[2],
                              pixels: images.values, labels: labels.values), imagesPath)
    }

    /// `name.gz` if present, else `name`.
    static func locate(_ directory: String, _ name: String) throws -> String {
        let base = URL(fileURLWithPath: directory).appendingPathComponent(name).path
        // lstat: a symlink that leads nowhere (or in a loop) is there, and reading it will say why.
        var info = stat()
        for candidate in [base + ".gz", base] where lstat(candidate, &info) == 0 {
            return candidate
        }
        throw DatasetError(file: base + ".gz", problem: "does not exist", hint: installHint)
    }
}
