import Tensors

/// A building block of a network: something you call on a tensor to get a tensor.
///
///     let conv = Conv2d(1, 6, kernelSize: 5, padding: 2)
///     let y = try conv(x)        // x [N, 1, 28, 28] -> y [N, 6, 28, 28]
///
/// A layer implements `forward`; callers use `layer(x)`, which also names the layer in any error
/// and lets a summary or a feature-map capture watch every call (like PyTorch's `__call__`
/// around `forward`). Parameters and sub-layers are found by looking at the layer's stored
/// properties, so a new block only has to store them.
public protocol Layer: AnyObject {
    func forward(_ x: Tensor) throws -> Tensor

    /// The layer with its settings, as PyTorch prints it: `Conv2d(1, 6, kernel_size=5, padding=2)`.
    var description: String { get }
    /// What diagrams, tables and walk-through steps call it: the type (`Conv2d`, `Inception`), or
    /// the name the book gives a stage (`b3`, `vgg_block`).
    var displayName: String { get }
    /// The settings in a few characters, for diagrams: `1→6, 5×5, pad 2`.
    var hyperparameters: String { get }
    /// This layer's own parameters, by name (not those of its sub-layers).
    var namedParameters: [(name: String, tensor: Tensor)] { get }
    /// This layer's own state that is not learned by gradient descent (batch norm's running
    /// statistics), by name; saved in checkpoints with the parameters, as PyTorch's buffers.
    var namedBuffers: [(name: String, tensor: Tensor)] { get }
    /// Sub-layers by name, in order.
    var namedChildren: [(name: String, layer: any Layer)] { get }
    /// Other names its sub-layers go by in checkpoints saved elsewhere, name → other name (the
    /// Chinese edition of the book calls Inception's `b1_1` `p1_1`); loading accepts either.
    var childNameAliases: [String: String] { get }
}

extension Layer {
    /// Runs `forward`, reporting the call to any tracer and naming this layer in errors.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try call(x, forward) }

    /// `forward`, or another way of computing this layer's output (`Sequential`'s batch norm
    /// with the ReLU after it), called as `layer(x)` is: watched by any tracer, this layer named
    /// in its errors.
    func call(_ x: Tensor, _ forward: (Tensor) throws -> Tensor) throws -> Tensor {
        let tracer = LayerTracer.scope.value
        let countBefore = OpCounter.current?.multiplyAdds ?? 0
        let entry = tracer?.enter()
        let y: Tensor
        do {
            defer { if let tracer, let entry { tracer.leave(entry) } }
            y = try forward(x)
        } catch let error as LayerError {
            throw error.inside(self)
        } catch {
            throw LayerError(in: self, underlying: error)
        }
        if let tracer, let entry {
            let multiplyAdds = (OpCounter.current?.multiplyAdds ?? 0) - countBefore
            tracer.record(self, input: x, output: y, multiplyAdds: multiplyAdds, entry: entry)
        }
        return y
    }

    /// The type's name, as in PyTorch's summaries: `Conv2d`, `Sequential`, `Inception`.
    public var typeName: String { String(describing: type(of: self)) }

    public var description: String { typeName }

    public var displayName: String { typeName }

    public var hyperparameters: String { "" }

    /// Every stored property that is a `Tensor`, by property name.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        Mirror(reflecting: self).children.compactMap { child in
            guard let label = child.label else { return nil }
            if let tensor = child.value as? Tensor { return (label, tensor) }
            if let optional = child.value as? Tensor?, let tensor = optional { return (label, tensor) }
            return nil
        }
    }

    public var namedBuffers: [(name: String, tensor: Tensor)] { [] }

    public var childNameAliases: [String: String] { [:] }

    /// Every stored property that is a layer (or an array of layers, named `name.0`, `name.1`, ...).
    public var namedChildren: [(name: String, layer: any Layer)] {
        Mirror(reflecting: self).children.flatMap { child -> [(name: String, layer: any Layer)] in
            guard let label = child.label else { return [] }
            if let layer = child.value as? any Layer { return [(label, layer)] }
            if let layers = child.value as? [any Layer] {
                return layers.enumerated().map { ("\(label).\($0.offset)", $0.element) }
            }
            return []
        }
    }

    /// All parameters of this layer and its sub-layers, keyed as PyTorch's `state_dict`:
    /// `0.weight`, `3.bias`, `b2.1.weight`, ...
    public func parametersByPath() -> [(path: String, tensor: Tensor)] {
        namedParameters.map { ($0.name, $0.tensor) } + namedChildren.flatMap { child in
            child.layer.parametersByPath().map { ("\(child.name).\($0.path)", $0.tensor) }
        }
    }

    public var parameters: [Tensor] { parametersByPath().map(\.tensor) }

    /// Parameters and buffers, keyed and ordered as PyTorch's `state_dict`: each layer's
    /// parameters, then its buffers, then its sub-layers'.
    public func stateByPath() -> [(path: String, tensor: Tensor)] {
        namedParameters.map { ($0.name, $0.tensor) } + namedBuffers.map { ($0.name, $0.tensor) }
            + namedChildren.flatMap { child in child.layer.stateByPath().map { ("\(child.name).\($0.path)", $0.tensor) } }
    }

    /// Number of learnable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// This layer and every layer inside it, depth first.
    public var allLayers: [any Layer] { layersByPath.map(\.layer) }

    /// The same, each with its path as `state_dict` keys spell it: "" for this layer, then `0`,
    /// `b1.0`, `1.net.2`, ...
    public var layersByPath: [(path: String, layer: any Layer)] {
        [("", self)] + namedChildren.flatMap { child in
            child.layer.layersByPath.map { (($0.path.isEmpty ? child.name : "\(child.name).\($0.path)"), $0.layer) }
        }
    }

    /// Training mode: dropout drops, batch norm uses batch statistics.
    public func train() { setTraining(true) }
    /// Evaluation mode: dropout passes everything, batch norm uses running statistics.
    public func eval() { setTraining(false) }

    public func setTraining(_ training: Bool) {
        for layer in allLayers { (layer as? any ModeDependent)?.isTraining = training }
    }

    /// Runs `body` with every layer in training (or evaluation) mode, then gives each layer back
    /// the mode it had.
    public func inMode<T>(training: Bool, _ body: () throws -> T) rethrows -> T {
        let modes = allLayers.compactMap { $0 as? any ModeDependent }.map { ($0, $0.isTraining) }
        setTraining(training)
        defer { for (layer, wasTraining) in modes { layer.isTraining = wasTraining } }
        return try body()
    }

    /// Runs `body` in evaluation mode (dropout off, batch norm's running statistics), then gives
    /// each layer back its mode:  `let logits = try net.evaluating { try net(x) }`.
    public func evaluating<T>(_ body: () throws -> T) rethrows -> T { try inMode(training: false, body) }
}

/// A layer that behaves differently in training and in evaluation.
public protocol ModeDependent: Layer {
    var isTraining: Bool { get set }
}

/// A layer with no parameters and no sub-layers; saves the reflection.
public protocol ParameterFree: Layer {}

extension ParameterFree {
    public var namedParameters: [(name: String, tensor: Tensor)] { [] }
    public var namedChildren: [(name: String, layer: any Layer)] { [] }
}

/// An error inside a layer, with the chain of layers it happened in (outermost first), in words:
/// "in layer 3 > layer 1 (Conv2d(...)): conv2d expects ...".
public struct LayerError: Error, CustomStringConvertible {
    /// One layer of the chain: what it is, and its name in the layer around it (unknown until the
    /// error reaches that layer).
    struct Place: Sendable {
        var layer: ObjectIdentifier
        var description: String
        var name: String?
    }
    /// Outermost first.
    var places: [Place]
    public var underlying: any Error

    init(in layer: any Layer, underlying: any Error) {
        places = [Place(layer: ObjectIdentifier(layer), description: layer.description)]
        self.underlying = underlying
    }

    /// The same error, seen from `layer`, which called the layer it happened in.
    func inside(_ layer: any Layer) -> LayerError {
        var error = self
        if let inner = error.places.first {
            error.places[0].name = layer.namedChildren.first { ObjectIdentifier($0.layer) == inner.layer }?.name
        }
        error.places.insert(Place(layer: ObjectIdentifier(layer), description: layer.description), at: 0)
        return error
    }

    /// "layer 7 (Linear(in_features=400, out_features=120))", naming each layer by its place in
    /// its parent, as PyTorch's printout numbers them.
    public var location: String {
        guard places.count > 1 else { return places.first?.description ?? "" }
        return places.dropFirst().enumerated().map { i, place in
            "layer \(place.name ?? "?")" + (i == places.count - 2 ? " (\(place.description))" : "")
        }.joined(separator: " > ")
    }

    public var description: String { "in \(location): \(underlying)" }
}

/// Watches a network run: every layer call (for summaries and feature-map captures) and, at each
/// level, the steps of every `forward`: its sub-layers' calls and the operations between them, so
/// a diagram can draw what `forward` really does.
///
/// Not `Sendable` (it keeps the tensors it saw): it is bound to the thread that runs the network
/// (`ThreadScoped`), where every layer call and operation it watches happens.
public final class LayerTracer: OperationObserver {
    public static let scope = ThreadScoped<LayerTracer>("LayerTracer")

    public struct Call {
        public let layer: any Layer
        public let input: Tensor
        public var inputShape: Shape { input.shape }
        public let output: Tensor
        /// Multiply-adds inside this call, when run under `OpCounter.countMultiplyAdds`.
        public let multiplyAdds: Int
        /// The steps its `forward` took, directly (`depth` + 1) and inside its sub-layers.
        public let steps: Range<Int>
        /// 0 for the call the trace began with, 1 for the layers it called, ...
        public let depth: Int
    }

    /// One step of a `forward`: a sub-layer's call or an operation, with the tensors it took and
    /// the one it made.
    public struct Step {
        /// A sub-layer's call (its index in `calls`), or an operation by its function's name.
        public enum Kind { case layer(call: Int), operation(String) }
        public let kind: Kind
        public let inputs: [Tensor]
        public let output: Tensor
        /// The nesting of the `forward` it belongs to (1 for the traced call's own steps).
        public let depth: Int
    }

    public private(set) var calls: [Call] = []
    public private(set) var steps: [Step] = []
    private var depth = 0

    public init() {}

    /// A layer begins: returns what `record` needs to find its steps.
    func enter() -> (start: Int, depth: Int) {
        depth += 1
        return (steps.count, depth - 1)
    }

    func leave(_ entry: (start: Int, depth: Int)) { depth = entry.depth }

    func record(_ layer: any Layer, input: Tensor, output: Tensor, multiplyAdds: Int, entry: (start: Int, depth: Int)) {
        calls.append(Call(layer: layer, input: input, output: output, multiplyAdds: multiplyAdds,
                          steps: entry.start..<steps.count, depth: entry.depth))
        steps.append(Step(kind: .layer(call: calls.count - 1), inputs: [input], output: output, depth: entry.depth))
    }

    public func operation(_ name: String, inputs: [Tensor], output: Tensor) {
        steps.append(Step(kind: .operation(name), inputs: inputs, output: output, depth: depth))
    }

    /// The steps `call`'s own `forward` took (not those inside its sub-layers).
    public func ownSteps(of call: Call) -> [Step] { steps[call.steps].filter { $0.depth == call.depth + 1 } }

    /// Runs `body` and returns what it computed with every layer call made inside it, innermost
    /// calls first (a layer is recorded when it returns).
    public static func trace<T>(_ body: () throws -> T) rethrows -> (T, [Call]) {
        let (result, tracer) = try traceSteps(body)
        return (result, tracer.calls)
    }

    /// Runs `body` and returns what it computed with the tracer: its calls and steps.
    public static func traceSteps<T>(_ body: () throws -> T) rethrows -> (T, LayerTracer) {
        let tracer = LayerTracer()
        let result = try scope.withValue(tracer) { try OperationTrace.scope.withValue(tracer, body) }
        return (result, tracer)
    }
}
