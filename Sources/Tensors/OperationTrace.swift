/// Watching the operations of a computation as they happen: which operation made which tensor
/// from which. A network's diagram is drawn from this (see `LayerTracer`), so that it shows what
/// `forward` really does: a block's branches are found, not declared.
public protocol OperationObserver: AnyObject {
    /// `name` is the operation's function, as Swift names it: `relu(_:)`, `cat(_:axis:)`, `+(_:_:)`.
    func operation(_ name: String, inputs: [Tensor], output: Tensor)
    /// The backward step of operation `name`, which made `output`, has just run (`backward()`):
    /// for profiles of a training step.
    func gradientComputed(_ name: String, output: Tensor)
}

extension OperationObserver {
    public func gradientComputed(_ name: String, output: Tensor) {}
}

public enum OperationTrace {
    /// Told of every operation run on this thread inside `scope.withValue(observer) { ... }`.
    public static let scope = ThreadScoped<AnyObject>("OperationTrace")
    public static var observer: (any OperationObserver)? { scope.value as? any OperationObserver }
}
