/// What went wrong reading a data set, with the file and how to fix it.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var problem: String
    public var hint: String?

    public init(file: String, problem: String, hint: String? = nil) {
        (self.file, self.problem, self.hint) = (file, problem, hint)
    }

    public var description: String {
        "\(file): \(problem)" + (hint.map { "\n\($0)" } ?? "")
    }
}
