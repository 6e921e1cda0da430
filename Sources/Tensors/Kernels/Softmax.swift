import Foundation

/// Softmax cross-entropy on a batch of logits, computed stably: log-softmax subtracts each row's
/// maximum before exponentiating, so large logits never overflow.
extension Kernels {
    /// logits is (N, C), labels holds N class indices. Writes each row's loss −log softmax[label]
    /// into `losses` (N) and softmax into `probabilities` (N, C), which the backward pass needs.
    package static func softmaxCrossEntropyForward(
        _ logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows n: Int, classes c: Int,
        losses: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<n {
            let row = logits + i * c, p = probabilities + i * c
            var top = -Float.infinity
            for j in 0..<c { top = max(top, row[j]) }
            var total: Float = 0
            for j in 0..<c { p[j] = Foundation.exp(row[j] - top); total += p[j] }
            for j in 0..<c { p[j] /= total }
            losses[i] = Foundation.log(total) + top - row[Int(labels[i])]
        }
    }

    /// d(mean loss)/d logits = (softmax − onehot(label)) / N, times the incoming gradient `scale`.
    package static func softmaxCrossEntropyBackward(
        probabilities: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows n: Int, classes c: Int,
        scale: Float, dlogits: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<n {
            for j in 0..<c { dlogits[i * c + j] = probabilities[i * c + j] * scale }
            dlogits[i * c + Int(labels[i])] -= scale
        }
    }
}
