import Testing
import Tensors

/// What an `OperationObserver` is told: each operation as it runs, and each operation's backward
/// step as `backward()` runs it (`bench "profile <network>"` times a training step by these).
@Suite struct OperationTraceTests {
    final class Watcher: OperationObserver {
        var forward: [(name: String, output: Tensor)] = []
        var backward: [(name: String, output: Tensor)] = []
        func operation(_ name: String, inputs: [Tensor], output: Tensor) { forward.append((name, output)) }
        func gradientComputed(_ name: String, output: Tensor) { backward.append((name, output)) }
    }

    @Test func backwardTellsEachOperationsStepFromTheLossBack() throws {
        let x = Tensor.uniform([2, 3], -1, 1)
        let w = Tensor.uniform([2, 3], -1, 1, requiresGrad: true)
        let watcher = Watcher()
        try OperationTrace.scope.withValue(watcher) {
            let loss = relu(try x * w).sum()
            loss.backward()
        }
        #expect(watcher.forward.count == 3)
        #expect(watcher.backward.map(\.name) == watcher.forward.reversed().map(\.name))
        #expect(zip(watcher.backward, watcher.forward.reversed()).allSatisfy { $0.output === $1.output })
        #expect(w.grad != nil)
    }

    @Test func noObserverIsToldOutsideItsScope() throws {
        let watcher = Watcher()
        OperationTrace.scope.withValue(watcher) {}
        let w = Tensor.uniform([4], -1, 1, requiresGrad: true)
        try (w * w).sum().backward()
        #expect(watcher.forward.isEmpty && watcher.backward.isEmpty)
    }
}
