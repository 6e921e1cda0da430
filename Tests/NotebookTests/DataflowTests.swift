import NN
import Tensors
import Testing
@testable import Notebook

/// Blocks written only as a `forward`; their diagrams are found from a trace of it.
private final class TwoPaths: Layer {
    let left = Conv2d(2, 3, kernelSize: 1), right = Conv2d(2, 4, kernelSize: 3, padding: 1)
    func forward(_ x: Tensor) throws -> Tensor { try cat([relu(try left(x)), try right(x)]) }
}

private final class Shortcut: Layer {
    let conv = Conv2d(2, 2, kernelSize: 3, padding: 1)
    func forward(_ x: Tensor) throws -> Tensor { relu(try x + (try conv(x))) }
}

private final class Growing: Layer {
    let first = Conv2d(2, 2, kernelSize: 1), second = Conv2d(4, 2, kernelSize: 1)
    func forward(_ x: Tensor) throws -> Tensor {
        let y = try cat([x, try first(x)])
        return try cat([y, try second(y)])
    }
}

@Suite struct DataflowTests {
    func dataflow(_ block: any Layer) throws -> (Dataflow?, LayerTracer) {
        let (_, trace) = try noGrad { try LayerTracer.traceSteps { try block(Tensor(zeros: [1, 2, 5, 5])) } }
        let call = try #require(trace.calls.last)
        return (Dataflow(trace.ownSteps(of: call), input: call.input, output: call.output), trace)
    }

    func names(_ steps: [LayerTracer.Step], _ trace: LayerTracer) -> [String] { steps.map { Dataflow.name(of: $0, in: trace) } }

    @Test func branchesThatMeetAreFound() throws {
        let (flow, trace) = try dataflow(TwoPaths())
        guard case let .branches(branches, merge)? = flow else { Issue.record("\(String(describing: flow))"); return }
        #expect(branches.map { names($0, trace) } == [["Conv2d", "ReLU"], ["Conv2d"]])
        #expect(names(merge, trace) == ["concatenate channels"])
    }

    @Test func anIdentityShortcutIsAnEmptyBranch() throws {
        let (flow, trace) = try dataflow(Shortcut())
        guard case let .branches(branches, merge)? = flow else { Issue.record("\(String(describing: flow))"); return }
        #expect(branches.map { names($0, trace) } == [[], ["Conv2d"]])
        #expect(names(merge, trace) == ["add", "ReLU"])
    }

    @Test func aChainIsAChainAndADenseBlockNeither() throws {
        let (chain, trace) = try dataflow(Sequential { Conv2d(2, 2, kernelSize: 1); ReLU() })
        guard case let .chain(steps)? = chain else { Issue.record("\(String(describing: chain))"); return }
        #expect(names(steps, trace) == ["Conv2d", "ReLU"])
        #expect(try dataflow(Growing()).0 == nil, "every step feeds several later ones")
    }

    /// A dense block is drawn as the steps it runs, so each concatenation and its channels show.
    @Test func aDenseBlocksDiagramDrawsItsConcatenations() throws {
        let diagram = try Pictures.architecture(Sequential { Growing() }, title: "t", inputShape: [1, 2, 5, 5])
        guard case let .block(_, steps, shape)? = diagram.nodes.first else { Issue.record("\(diagram.nodes)"); return }
        let drawn = steps.map { node -> String in
            if case let .layer(name, _, shape) = node { return "\(name) \(shape)" }
            return "\(node)"
        }
        #expect(drawn == ["Conv2d [1, 2, 5, 5]", "concatenate channels [1, 4, 5, 5]", "Conv2d [1, 2, 5, 5]",
                          "concatenate channels [1, 6, 5, 5]"])
        #expect(shape == "[1, 6, 5, 5]")
    }
}
