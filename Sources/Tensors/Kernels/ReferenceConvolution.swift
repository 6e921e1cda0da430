/// The reference algorithm: `Reference.swift`'s plain loops, run in Float on the kernels'
/// pointers. One thread whatever the thread count, and the whole batch summed in order, so its
/// result too is the same every time. Slow (no blocking, no vectors): for tests and for scale.
extension Kernels {
    /// x is (N, C, H, W), weight is (O, C, K, K), bias is (O) or nil; writes y, (N, O, OH, OW).
    static func conv2dForwardReference(
        x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>
    ) {
        let result = Reference.conv2d(
            array(x, g.input.n * g.input.image), g.input, weight: array(weight, g.outChannels * g.patch),
            bias: bias.map { array($0, g.outChannels) }, outChannels: g.outChannels, window: g.window)
        y.update(from: result, count: result.count)
    }

    /// dy is (N, O, OH, OW), weight is (O, C, K, K); writes dx, (N, C, H, W).
    static func conv2dBackwardInputReference(
        dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, _ g: ConvGeometry, dx: UnsafeMutablePointer<Float>
    ) {
        let result = Reference.conv2dBackwardInput(
            dy: array(dy, g.input.n * g.outputImage), g.input, weight: array(weight, g.outChannels * g.patch),
            outChannels: g.outChannels, window: g.window)
        dx.update(from: result, count: result.count)
    }

    /// dy is (N, O, OH, OW), x is (N, C, H, W); writes dweight (O, C, K, K) and dbias (O).
    static func conv2dBackwardWeightReference(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, _ g: ConvGeometry,
        dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?
    ) {
        let (dw, db) = Reference.conv2dBackwardWeight(
            dy: array(dy, g.input.n * g.outputImage), array(x, g.input.n * g.input.image), g.input,
            outChannels: g.outChannels, window: g.window)
        dweight.update(from: dw, count: dw.count)
        dbias?.update(from: db, count: db.count)
    }

    private static func array(_ pointer: UnsafePointer<Float>, _ count: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: pointer, count: count))
    }
}
