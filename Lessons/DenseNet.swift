/*:
 # DenseNet: concatenate instead of add

 ResNet adds a block's input to its output. In 2017 Gao Huang, Zhuang Liu, Laurens van der
 Maaten and Kilian Weinberger asked what happens if you concatenate them instead: in a **dense
 block**, every convolution sees the outputs of all the convolutions before it in the block,
 stacked on the channels. Features computed once are reused by every later layer, so each layer
 can be thin: it only adds a few new channels, the *growth rate*.

 Channels grow with every layer, so between dense blocks a **transition block** shrinks them
 again: a 1×1 convolution halves the channels and an average pooling halves height and width.

 *Where the book's version departs from the paper:* a small DenseNet (four dense blocks of four
 convolutions, growth rate 32, starting from 64 channels after a ResNet-like stem), one input
 channel, 10 classes, 96×96 inputs.
 */
import Datasets
import NN
import Notebook
import Tensors

/*:
 ## The blocks

 `convBlock` is the book's `conv_block`, in the order batch norm, ReLU, convolution (the
 "pre-activation" order ResNet's authors later found better). `DenseBlock` runs its blocks in
 turn and concatenates each one's output to its input. `transitionBlock` shrinks.
 */
public func convBlock(_ inputChannels: Int, _ numChannels: Int) -> Sequential {
    Sequential(name: "conv_block") {
        BatchNorm2d(inputChannels); ReLU()
        Conv2d(inputChannels, numChannels, kernelSize: 3, padding: 1)
    }
}

public final class DenseBlock: Layer {
    let net: Sequential
    let inputChannels: Int, growth: Int

    public init(_ numConvs: Int, _ inputChannels: Int, _ numChannels: Int) {
        (self.inputChannels, self.growth) = (inputChannels, numChannels)
        net = Sequential((0..<numConvs).map { i in convBlock(numChannels * i + inputChannels, numChannels) })
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        var x = x
        for block in net.layers {
            x = try cat([x, try block(x)])
        }
        return x
    }

    public var description: String { "DenseBlock(\(net.layers.count), \(inputChannels), \(growth))" }
    public var hyperparameters: String { "\(inputChannels) + \(net.layers.count)×\(growth) channels" }
}

public func transitionBlock(_ inputChannels: Int, _ numChannels: Int) -> Sequential {
    Sequential(name: "transition_block") {
        BatchNorm2d(inputChannels); ReLU()
        Conv2d(inputChannels, numChannels, kernelSize: 1)
        AvgPool2d(kernelSize: 2, stride: 2)
    }
}

/*:
 ## The network

 The stem, then four dense blocks of 4 convolutions each adding 32 channels (64 + 4 × 32 = 192
 after the first), with a transition halving the channels between them.
 */
public func denseNet() -> Sequential {
    var layers: [any Layer] = [Sequential(name: "b1") {
        Conv2d(1, 64, kernelSize: 7, stride: 2, padding: 3); BatchNorm2d(64); ReLU()
        MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    }]
    var channels = 64
    let growthRate = 32, convsPerBlock = [4, 4, 4, 4]
    for (i, convs) in convsPerBlock.enumerated() {
        layers.append(DenseBlock(convs, channels, growthRate))
        channels += convs * growthRate
        if i != convsPerBlock.count - 1 {
            layers.append(transitionBlock(channels, channels / 2))
            channels /= 2
        }
    }
    return Sequential {
        layers
        BatchNorm2d(channels); ReLU()
        AdaptiveAvgPool2d(1)
        Flatten()
        Linear(channels, 10)
    }
}

/*:
 ## Running the lesson
 */
public let denseNetLesson = Lesson(
    name: "densenet", title: "DenseNet",
    summary: "DenseNet (2017): dense blocks concatenate every layer's output; transition blocks shrink",
    inClass: LessonSettings(epochs: 2, batchSize: 64, lr: 0.1, trainSize: 6000, testSize: 1000, resize: 96),
    book: LessonSettings(epochs: 10, batchSize: 256, lr: 0.1, resize: 96),
    inClassNote: "In class: 6,000 training and 1,000 test images for 2 epochs in batches of 64, about two minutes on "
        + "two cores; the book trains on all 60,000 for 10 epochs.",
    network: LessonNetwork("DenseNet", year: 2017, idea: "dense concatenation", make: { denseNet() })
) { nb in

/*:
 ### Checking the blocks

 As in the book: a dense block of 2 convolutions with growth 10 takes 3 channels to
 3 + 2 × 10 = 23; a transition block takes them to 10 and halves the size.
 */
    let dense = try DenseBlock(2, 3, 10)(Tensor.uniform([4, 3, 8, 8], 0, 1))
    let transition = try transitionBlock(23, 10)(dense)
    try nb.say("DenseBlock(2, 3, 10): [4, 3, 8, 8] → \(dense.shape)\ntransitionBlock(23, 10): \(dense.shape) → \(transition.shape)")

    let net = denseNet()
    try nb.walkThrough(net, input: [1, 1, 96, 96], depth: 2)

/*:
 758 thousand parameters, about a fifteenth of ResNet-18's 11.2 million: each layer adds only
 32 channels.

 ## Training
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 The stem's 64 kernels of 7×7, averaged over the one input channel.
 */
    try nb.show(Filters(net, firstOnly: true))

/*:
 One test image through the network. After each dense block the channels have grown by
 4 × 32 = 128, and the first maps of each picture are the block's input, carried through
 unchanged: concatenation keeps them. In step mode (`--step`, or the class page), "inside the
 block" at a dense block shows it grow: each convolution's 32 new maps, then the
 concatenation with everything before.
 */
    try nb.show(FeatureMaps(net, on: data))

/*:
 And the predictions on the first test images.
 */
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 `--image photo.jpg` (with `--checkpoint output/densenet/densenet.safetensors`) classifies a
 photo of your own. A picture shows a layer's first 32 channels; after a dense block those are
 its input's, passed on unchanged, because the block appends its new channels after them.
 */
    try nb.show(YourImage(net, on: data))

/*:
 ## Things to try

 1. Change the growth rate to 16 or 64. How do parameters, speed and accuracy move?
 2. Remove the transition blocks' pooling (keep the 1×1 convolution). What happens to the
    multiply-adds, and why?
 3. Concatenation keeps every earlier feature; memory is DenseNet's known cost. Compare the
    activation memory in `lesson compare` (what each network's forward pass keeps for the
    backward pass, concatenations included) with ResNet's.
 */
}
