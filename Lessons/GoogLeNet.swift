/*:
 # GoogLeNet: parallel paths, concatenated

 Which kernel size is right, 1×1, 3×3 or 5×5? The team of Christian Szegedy at Google answered
 in 2014: all of them, side by side. Their network, GoogLeNet (the name honours LeNet), won that
 year's ImageNet challenge with 12 times fewer parameters than AlexNet.

 Its building block, the **Inception block**, sends the same input down four paths and
 concatenates their outputs along the channels:

 1. a 1×1 convolution;
 2. a 1×1 convolution that reduces the channels, then a 3×3 convolution;
 3. a 1×1 reduction, then a 5×5 convolution;
 4. a 3×3 max pooling (stride 1, so the size stays), then a 1×1 convolution.

 Every path keeps height and width, so their outputs stack. The 1×1 reductions are what make it
 affordable: the expensive 3×3 and 5×5 kernels work on fewer channels. Nine such blocks, grouped
 in stages separated by max pooling, make the network.

 *Where the book's version departs from the paper:* one input channel, 10 classes, 96×96 inputs
 instead of 224×224, and no auxiliary classifiers or local response normalization (both turned
 out to be unnecessary).
 */
import Datasets
import NN
import Notebook
import Tensors

/*:
 ## The Inception block

 `c1` to `c4` are the output channels of the four paths (paths 2 and 3 give the reduction's and
 the convolution's). The properties are named as in the book's English edition (`b2_1` is path
 2's first layer), so a checkpoint's tensor names match PyTorch's for its code; the Chinese
 edition calls them `p1_1` … `p4_2`, and checkpoints with those names load too. `forward` is the
 book's, line for line.
 */
public final class Inception: Layer {
    let b1_1: Conv2d
    let b2_1: Conv2d, b2_2: Conv2d
    let b3_1: Conv2d, b3_2: Conv2d
    let b4_1: MaxPool2d, b4_2: Conv2d
    let inChannels: Int, c1: Int, c2: (Int, Int), c3: (Int, Int), c4: Int

    public init(_ inChannels: Int, _ c1: Int, _ c2: (Int, Int), _ c3: (Int, Int), _ c4: Int) {
        (self.inChannels, self.c1, self.c2, self.c3, self.c4) = (inChannels, c1, c2, c3, c4)
        b1_1 = Conv2d(inChannels, c1, kernelSize: 1)
        b2_1 = Conv2d(inChannels, c2.0, kernelSize: 1)
        b2_2 = Conv2d(c2.0, c2.1, kernelSize: 3, padding: 1)
        b3_1 = Conv2d(inChannels, c3.0, kernelSize: 1)
        b3_2 = Conv2d(c3.0, c3.1, kernelSize: 5, padding: 2)
        b4_1 = MaxPool2d(kernelSize: 3, stride: 1, padding: 1)
        b4_2 = Conv2d(inChannels, c4, kernelSize: 1)
    }

    public var childNameAliases: [String: String] {
        ["b1_1": "p1_1", "b2_1": "p2_1", "b2_2": "p2_2", "b3_1": "p3_1", "b3_2": "p3_2", "b4_1": "p4_1", "b4_2": "p4_2"]
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let p1 = relu(try b1_1(x))
        let p2 = relu(try b2_2(relu(try b2_1(x))))
        let p3 = relu(try b3_2(relu(try b3_1(x))))
        let p4 = relu(try b4_2(try b4_1(x)))
        return try cat([p1, p2, p3, p4])
    }

    public var description: String { "Inception(\(inChannels), \(c1), \(c2), \(c3), \(c4))" }
    public var hyperparameters: String { "→ \(c1 + c2.1 + c3.1 + c4) channels" }
}

/*:
 ## The network

 Five stages, `b1` to `b5`, as the book builds them. The first two are an ordinary stem of
 convolutions; then two, five and two Inception blocks with pooling between the stages; global
 average pooling and one dense layer at the end.
 */
public func googLeNet() -> Sequential {
    let b1 = Sequential(name: "b1") {
        Conv2d(1, 64, kernelSize: 7, stride: 2, padding: 3); ReLU()
        MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    }
    let b2 = Sequential(name: "b2") {
        Conv2d(64, 64, kernelSize: 1); ReLU()
        Conv2d(64, 192, kernelSize: 3, padding: 1); ReLU()
        MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    }
    let b3 = Sequential(name: "b3") {
        Inception(192, 64, (96, 128), (16, 32), 32)
        Inception(256, 128, (128, 192), (32, 96), 64)
        MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    }
    let b4 = Sequential(name: "b4") {
        Inception(480, 192, (96, 208), (16, 48), 64)
        Inception(512, 160, (112, 224), (24, 64), 64)
        Inception(512, 128, (128, 256), (24, 64), 64)
        Inception(512, 112, (144, 288), (32, 64), 64)
        Inception(528, 256, (160, 320), (32, 128), 128)
        MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    }
    let b5 = Sequential(name: "b5") {
        Inception(832, 256, (160, 320), (32, 128), 128)
        Inception(832, 384, (192, 384), (48, 128), 128)
        AdaptiveAvgPool2d(1)
        Flatten()
    }
    return Sequential { b1; b2; b3; b4; b5; Linear(1024, 10) }
}

/*:
 ## Running the lesson
 */
public let googLeNetLesson = Lesson(
    name: "googlenet", title: "GoogLeNet",
    summary: "GoogLeNet (2014): Inception blocks, four parallel paths concatenated on channels",
    inClass: LessonSettings(epochs: 4, batchSize: 32, lr: 0.1, trainSize: 4000, testSize: 1000, resize: 64),
    book: LessonSettings(epochs: 10, batchSize: 128, lr: 0.1, resize: 96),
    inClassNote: "In class: 64×64 images (global average pooling takes any size), 4,000 training and 1,000 test images "
        + "for 4 epochs in batches of 32, about 3 minutes on two cores; the book trains on all 60,000 at 96×96 for 10 epochs.",
    network: LessonNetwork("GoogLeNet", year: 2014, idea: "parallel paths, concatenated", make: { googLeNet() })
) { nb in
    let net = googLeNet()

/*:
 ### Shapes, stage by stage

 At 96×96 the stem takes the image to 24×24 with 64 channels, then 12×12 with 192. Each
 Inception stage ends with pooling; by the last, 1,024 channels of 3×3 are averaged to 1,024
 numbers.
 */
    try nb.walkThrough(net, input: [1, 1, 96, 96], depth: 2)

/*:
 The architecture picture shows each Inception block's four paths and the channels each adds:
 in the first, 64 + 128 + 32 + 32 = 256.

 ## Training

 Twenty-two layers deep and without batch normalization, GoogLeNet sits at the loss of random
 guessing (2.30) for a while before it starts to learn: in class, expect the first epoch or two
 to look like nothing happens.
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 The stem's 64 kernels of 7×7, averaged over the one input channel: after a few minutes of
 training they have barely left their random start; a full run turns them into edge detectors.
 */
    try nb.show(Filters(net, firstOnly: true))

/*:
 One test image stage by stage (at the in-class 64×64): 16×16 after the stem, then 8×8, 4×4
 and 2×2 as the channels grow to 1,024. In step mode (`--step`, or the class page), "inside the
 block" at a stage shows each Inception block's four paths and their concatenation on the
 image itself: the 1×1 path keeps fine detail, the pooled path the strongest responses.
 */
    try nb.show(FeatureMaps(net, on: data))

/*:
 And the predictions on the first test images: after four short epochs, expect many mistakes
 between shirts, pullovers and coats.
 */
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 `--image photo.jpg` (with `--checkpoint output/googlenet/googlenet.safetensors` to skip
 training) runs a photo of your own through the five stages. In class mode, step into an
 Inception block with your photo to see which of the four paths responds to it.
 */
    try nb.show(YourImage(net, on: data))

/*:
 ## Things to try

 1. Take path 3 (the 5×5 one) out of `forward` and fix the next block's input channels. Does
    the accuracy notice? (The architecture picture follows: it is drawn from what `forward` does.)
 2. Remove the 1×1 reductions of paths 2 and 3 (convolve the input directly). How do the
    parameters and multiply-adds in the table change?
 3. Train at the book's size, `--resize 96`: the network works at any size (why?). How much
    slower is it, and how much better?
 */
}
