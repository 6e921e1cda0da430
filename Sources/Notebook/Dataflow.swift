import Localization
import NN
import Tensors

/// How a block's `forward` joins its steps (its sub-layers' calls and the operations between
/// them), found from a trace of one run rather than declared beside it: either one chain from
/// the input to the output, or branches that all start at the input and meet at one step (a
/// concatenation, a sum) followed by a chain to the output. Anything else (a dense block, whose
/// every step feeds several later ones) is neither, and is drawn as its steps in order.
enum Dataflow {
    case chain([LayerTracer.Step])
    /// The branches' steps in order (an empty branch is the input itself), then the step that
    /// joins them and the steps after it.
    case branches([[LayerTracer.Step]], merge: [LayerTracer.Step])

    init?(_ steps: [LayerTracer.Step], input: Tensor, output: Tensor) {
        var producer: [ObjectIdentifier: Int] = [:]
        for (i, step) in steps.enumerated() { producer[ObjectIdentifier(step.output)] = i }
        let start = ObjectIdentifier(input)
        // The inputs that carry data through the block (not weights or constants).
        func carried(_ step: LayerTracer.Step) -> [ObjectIdentifier] {
            step.inputs.map(ObjectIdentifier.init).filter { $0 == start || producer[$0] != nil }
        }
        /// Back from `tensor` along steps of one carried input: the steps (in order), and where
        /// the walk stopped (the input, or a step with several carried inputs).
        func chain(endingAt tensor: ObjectIdentifier) -> (steps: [LayerTracer.Step], stop: Int?)? {
            var found: [LayerTracer.Step] = []
            var current = tensor
            while current != start {
                guard let index = producer[current] else { return nil }
                let inputs = carried(steps[index])
                guard inputs.count == 1 else { return (found, index) }
                found.insert(steps[index], at: 0)
                current = inputs[0]
            }
            return (found, nil)
        }
        guard let tail = chain(endingAt: ObjectIdentifier(output)) else { return nil }
        guard let mergeIndex = tail.stop else { self = .chain(tail.steps); return }
        var branches: [[LayerTracer.Step]] = []
        for input in carried(steps[mergeIndex]) {
            guard let branch = chain(endingAt: input), branch.stop == nil else { return nil }
            branches.append(branch.steps)
        }
        self = .branches(branches, merge: [steps[mergeIndex]] + tail.steps)
    }

    /// A step as a diagram names it: the layer's type, or the operation in words.
    static func name(of step: LayerTracer.Step, in trace: LayerTracer) -> String {
        switch step.kind {
        case .layer(let call): return trace.calls[call].layer.displayName
        case .operation(let function):
            let base = String(function.prefix { $0 != "(" })
            let words: [String: Localized] = [
                "relu": "ReLU", "sigmoid": "Sigmoid", "cat": Localized("concatenate channels", zh: "沿通道连结"),
                "+": Localized("add", zh: "相加"), "*": Localized("multiply", zh: "相乘"), "reshaped": Localized("reshape", zh: "变形"),
                "flattened": Localized("flatten", zh: "展平"), "maxPool2d": Localized("max pool", zh: "最大汇聚"),
                "avgPool2d": Localized("average pool", zh: "平均汇聚"),
                "adaptiveAvgPool2d": Localized("adaptive average pool", zh: "自适应平均汇聚"), "dropout": Localized("dropout", zh: "暂退法"),
            ]
            return words[base]?.description ?? base
        }
    }
}
