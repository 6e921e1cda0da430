/// Define-by-run reverse-mode differentiation.
///
/// Each operation computes its result and, if any input wants a gradient, attaches a `Node`: its
/// inputs and a closure that, given the result (whose `grad` is then known), adds the gradient
/// of each input into `input.grad`. `backward()` runs these closures from the loss back to the
/// parameters in reverse topological order, then drops the graph.
final class Node {
    let inputs: [Tensor]
    let backward: (_ output: Tensor) -> Void
    /// The operation's function, as `recorded(from:operation:backward:)` was told.
    let operation: String

    init(inputs: [Tensor], operation: String, backward: @escaping (_ output: Tensor) -> Void) {
        self.inputs = inputs
        self.operation = operation
        self.backward = backward
    }
}

public enum GradMode {
    /// Whether operations record their history. Off inside `noGrad { }`.
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording history, as PyTorch's `torch.no_grad()`: for evaluation.
public func noGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

/// The caller's operation name, with "+relu" after its base name when it applied a ReLU
/// within the op (`thenReLU`): "conv2d+relu(_:weight:bias:stride:padding:thenReLU:)".
func operationName(thenReLU: Bool, function: String = #function) -> String {
    guard thenReLU, let arguments = function.firstIndex(of: "(") else { return function }
    return function[..<arguments] + "+relu" + function[arguments...]
}

extension Tensor {
    /// Attaches `backward` to this freshly computed tensor if any of `inputs` wants a gradient.
    /// The closure receives this tensor, with `grad` set, and must call `accumulateGrad` on the
    /// inputs that want one.
    /// `operation` (the caller's name, by default) is told to any `OperationTrace` watching.
    func recorded(from inputs: [Tensor], operation: String = #function, backward: @escaping (_ output: Tensor) -> Void) -> Tensor {
        OperationTrace.observer?.operation(operation, inputs: inputs, output: self)
        if GradMode.isEnabled && inputs.contains(where: \.requiresGrad) {
            requiresGrad = true
            node = Node(inputs: inputs, operation: operation, backward: backward)
        }
        return self
    }

    /// Adds `g` to this tensor's gradient. A gradient, once stored, is never changed in place,
    /// so the same tensor may safely become the gradient of several inputs.
    public func accumulateGrad(_ g: Tensor) {
        precondition(g.shape == shape, "gradient of shape \(g.shape) for a tensor of shape \(shape)")
        if let existing = grad {
            let sum = Tensor(uninitialized: shape)
            Kernels.add(existing.data, g.data, into: sum.data, count: count)
            grad = sum
        } else {
            grad = g
        }
    }

    /// Forgets the gradient, as `zero_grad()` does.
    public func zeroGrad() { grad = nil }

    /// Computes the gradient of this scalar with respect to every tensor it was computed from
    /// that wants one. Gradients accumulate into `grad` of the leaves (parameters); the graph and
    /// intermediate gradients are freed as it goes.
    public func backward() {
        precondition(count == 1, "backward() needs a scalar (one element), not shape \(shape)")
        backward(seed: Tensor(repeating: 1, shape: shape))
    }

    /// Back-propagates `seed`, the gradient of some scalar with respect to this tensor.
    public func backward(seed: Tensor) {
        precondition(seed.shape == shape, "seed of shape \(seed.shape) for a tensor of shape \(shape)")
        guard requiresGrad else { return }
        let order = topologicalOrder()
        let observer = OperationTrace.observer
        accumulateGrad(seed)
        for tensor in order.reversed() {
            guard let node = tensor.node else { continue }
            if tensor.grad != nil {
                node.backward(tensor)
                observer?.gradientComputed(node.operation, output: tensor)
            }
            tensor.node = nil
            tensor.grad = nil
        }
    }

    /// Every tensor with history that this one depends on, inputs before results.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: deep nets would overflow a recursive one.
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded { order.append(tensor); continue }
            guard tensor.node != nil, visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.node!.inputs where input.node != nil {
                stack.append((input, false))
            }
        }
        return order
    }
}
