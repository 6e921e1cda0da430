/// A picture file that cannot be read as an image, in one sentence that names the file, says
/// what is wrong and, where something can be done, what:
///
///     shoe.gif is not a PNG or JPEG image (it starts with bytes 47 49 46 38)
///     shoe.jpg is a progressive JPEG; save it as PNG or a baseline JPEG
public struct ImageFileError: Error, CustomStringConvertible, Equatable {
    public var file: String
    /// The rest of the sentence: "is cut short: ...".
    public var problem: String

    public init(file: String, problem: String) { (self.file, self.problem) = (file, problem) }

    public var description: String { "\(file) \(problem)" }
}
