import Datasets
import Foundation
import Localization
import NN
import Plot
import Tensors

/// A photo given with `--image`, read and prepared when the run starts, so that a file that
/// cannot be read stops the run before any training rather than after it.
struct YourPhoto {
    let path: String
    let image: RGBAImage
    let prepared: PreparedPhoto

    init(path: String) throws {
        do {
            image = try RGBAImage(file: path)
        } catch {
            throw YourPhotoError(message: "--image \(path): \(Self.problem(error, path: path))")
        }
        self.path = path
        prepared = PreparedPhoto(rgba: image.rgba, width: image.width, height: image.height)
    }

    /// What was wrong, without the path said twice.
    private static func problem(_ error: any Error, path: String) -> String {
        let text = "\(error)"
        for lead in [path + ": ", path + " "] where text.hasPrefix(lead) { return String(text.dropFirst(lead.count)) }
        return text
    }

    var fileName: String { (path as NSString).lastPathComponent }
}

struct YourPhotoError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// What the network made of the photo, as metrics.json records it under "image".
public struct ImageResult: Codable, Equatable, Sendable {
    public var file: String
    /// The predicted class's name.
    public var prediction: String
    /// One probability per class, in the classes' order.
    public var probabilities: [Double]
}

/// Your own photo (`--image FILE`) through the trained network: the photo beside the image made
/// from it as Fashion-MNIST's were (`your-image.png`), the network's probabilities for it
/// (`your-image-classes.png`), and what each layer makes of it (`feature-maps-<layer>-your-image.png`).
/// Without `--image`, says how to give one.
public struct YourImage: LessonPicture {
    let net: any Layer
    let side: Int

    /// `data` gives the image size the network was trained at.
    public init(_ net: any Layer, on data: (train: DataLoader, test: DataLoader)) {
        (self.net, self.side) = (net, data.test.imageHeight)
    }

    public func draw(on sheet: PictureSheet) throws {
        let run = sheet.run
        guard let photo = run.yourPhoto else {
            let weights = run.options.checkpoint ?? "\(run.options.outputRoot)/\(run.lesson.name)/\(run.lesson.name).safetensors"
            sheet.say(localized("To classify a photo of your own (PNG or JPEG, one garment on a plain background): ",
                                zh: "要给你自己的照片分类（PNG 或 JPEG，纯色背景上的一件衣物）：")
                + "swift run lesson \(run.lesson.name) --checkpoint \(weights) --image photo.jpg")
            return
        }
        let prepared = photo.prepared
        var picture = PreparedPhotoPicture(title: localized("Your image: \(photo.fileName)", zh: "你的图像：\(photo.fileName)"), photo: photo.image,
                                           crop: (prepared.crop.x, prepared.crop.y, prepared.crop.width, prepared.crop.height),
                                           prepared: prepared.pixels, side: PreparedPhoto.side)
        picture.notes = [localized("Made as Fashion-MNIST's images were: trimmed to the object, its longer side scaled to 28, sharpened,",
                                   zh: "按 Fashion-MNIST 制作图像的方法处理：裁到物体本身，长边缩放到 28，锐化，"),
                         localized("centred, and turned to light on black.", zh: "居中，再变成黑底亮色。")
                             + (side == PreparedPhoto.side ? ""
                                : localized(" The network then gets it resized to \(side)×\(side), as the data set.",
                                            zh: "网络得到的是缩放到 \(side)×\(side) 的版本，与数据集一致。"))]
        try sheet.page("your-image.png") { try picture.render(scale: $0) }

        let input = Tensor(prepared.resized(to: side), shape: [1, 1, side, side])
        let logits: [Double] = try net.evaluating { try noGrad { try net(input) } }.scalars.map { Double($0) }
        let classNames = FashionMNIST.classNames
        guard logits.count == classNames.count else {
            sheet.say(localized("The network gives \(logits.count) scores, not one per Fashion-MNIST class: nothing to classify.",
                                zh: "网络给出 \(logits.count) 个分数，而不是每个 Fashion-MNIST 类别一个：无从分类。"))
            return
        }
        var bars = ProbabilityBars(title: localized("Your image: \(photo.fileName), classified", zh: "你的图像：\(photo.fileName) 的分类结果"),
                                   classNames: classNames, logits: logits)
        bars.notes = [localized("The trained network's probabilities for your photo; it only knows the ten Fashion-MNIST classes.",
                                zh: "训练好的网络对你的照片给出的概率；它只认识 Fashion-MNIST 的十个类别。")]
        try sheet.page("your-image-classes.png") { try bars.render(scale: $0) }
        let best = bars.predicted ?? 0
        sheet.say(String(format: localized("Your image %@: %@ (%.1f%%).", zh: "你的图像 %@：%@（%.1f%%）。"),
                         photo.fileName, classNames[best], 100 * bars.probabilities[best]))
        run.recorder.classified(ImageResult(file: photo.path, prediction: classNames[best], probabilities: bars.probabilities))

        let walk = WalkThrough(run: run, net: net, style: .featureMaps, source: .yourImage(input, name: photo.fileName), line: sheet.line)
        try walk.walk(input: input.shape)
    }
}
