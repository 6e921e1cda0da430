/// A tensor of the wrong shape reached an operation. The message says which operation, what it
/// expected and what it got; layers add which layer it was.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
