/*:
 # ResNet: learning the residual

 Adding layers to a network should never make it worse: the extra layers could in principle
 learn to pass their input through unchanged. In practice, by 2015, plainly stacked networks
 past twenty or so layers trained *worse* than shallower ones. Kaiming He, Xiangyu Zhang,
 Shaoqing Ren and Jian Sun made passing the input through the easy option: each block computes
 f(x) = x + g(x), so its layers only have to learn the *residual* g, and g = 0 is the identity.

 A **residual block** has two 3×3 convolutions with batch norm, and a shortcut that adds the
 block's input to their output before the last ReLU. When the block changes the number of
 channels or halves the size (stride 2), a 1×1 convolution on the shortcut makes the two match.
 ResNet-18 and -34 are built from these blocks; the deeper ResNet-50, -101 and -152 use a
 cheaper *bottleneck* block (1×1, 3×3, 1×1 convolutions) instead. With them ResNet-152 trained
 fine and won ImageNet 2015; residual connections have been in nearly every deep network since.

 *Where the book's version departs from the paper:* ResNet-18 with one input channel, 10
 classes, and Fashion-MNIST at 96×96.
 */
import Datasets
import NN
import Notebook
import Tensors

/*:
 ## The residual block

 The book's `Residual`: `conv1` (with the stride) and `conv2` on the main path, `conv3` the
 optional 1×1 shortcut. `forward` is the book's line for line.
 */
public final class Residual: Layer {
    let conv1: Conv2d, conv2: Conv2d, conv3: Conv2d?
    let bn1: BatchNorm2d, bn2: BatchNorm2d

    public init(_ inputChannels: Int, _ numChannels: Int, use1x1Conv: Bool = false, strides: Int = 1) {
        conv1 = Conv2d(inputChannels, numChannels, kernelSize: 3, stride: strides, padding: 1)
        conv2 = Conv2d(numChannels, numChannels, kernelSize: 3, padding: 1)
        conv3 = use1x1Conv ? Conv2d(inputChannels, numChannels, kernelSize: 1, stride: strides) : nil
        bn1 = BatchNorm2d(numChannels)
        bn2 = BatchNorm2d(numChannels)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        var y = relu(try bn1(try conv1(x)))
        y = try bn2(try conv2(y))
        let shortcut = try conv3.map { try $0(x) } ?? x
        return relu(try y + shortcut)
    }

    public var namedChildren: [(name: String, layer: any Layer)] {
        [("conv1", conv1), ("conv2", conv2)] + (conv3.map { [("conv3", $0)] } ?? []) + [("bn1", bn1), ("bn2", bn2)]
    }
    public var description: String {
        "Residual(\(conv1.inChannels), \(conv1.outChannels)\(conv3 != nil ? ", use1x1Conv" : "")\(conv1.stride != 1 ? ", strides: \(conv1.stride)" : ""))"
    }
    public var hyperparameters: String {
        "\(conv1.inChannels)→\(conv1.outChannels)" + (conv1.stride != 1 ? ", stride \(conv1.stride)" : "")
            + (conv3 != nil ? ", 1×1 shortcut" : "")
    }
}

/*:
 ## The network

 `resnetBlock` is the book's `resnet_block`: a stage of `residuals` blocks, the first of which
 halves the size and changes the channels (except in the first stage, which follows a max
 pooling that already halved it). Then ResNet-18: the same stem as GoogLeNet plus batch norm,
 four stages of two residual blocks (64, 128, 256, 512 channels), global average pooling and
 one dense layer. 18 = 1 + 4 × 2 × 2 + 1 layers with weights.
 */
public func resnetBlock(_ inputChannels: Int, _ numChannels: Int, residuals: Int, firstBlock: Bool = false,
                        name: String) -> Sequential {
    Sequential((0..<residuals).map { i in
        i == 0 && !firstBlock ? Residual(inputChannels, numChannels, use1x1Conv: true, strides: 2)
            : Residual(numChannels, numChannels)
    }, name: name)
}

public func resNet18() -> Sequential {
    Sequential {
        Sequential(name: "b1") {
            Conv2d(1, 64, kernelSize: 7, stride: 2, padding: 3); BatchNorm2d(64); ReLU()
            MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        }
        resnetBlock(64, 64, residuals: 2, firstBlock: true, name: "b2")
        resnetBlock(64, 128, residuals: 2, name: "b3")
        resnetBlock(128, 256, residuals: 2, name: "b4")
        resnetBlock(256, 512, residuals: 2, name: "b5")
        AdaptiveAvgPool2d(1)
        Flatten()
        Linear(512, 10)
    }
}

/*:
 ## Running the lesson
 */
public let resNetLesson = Lesson(
    name: "resnet", title: "ResNet-18",
    summary: "ResNet (2015): residual blocks f(x) = x + g(x) with batch norm; ResNet-18",
    inClass: LessonSettings(epochs: 2, batchSize: 64, lr: 0.05, trainSize: 3000, testSize: 1000, resize: 96),
    book: LessonSettings(epochs: 10, batchSize: 256, lr: 0.05, resize: 96),
    inClassNote: "In class: 3,000 training and 1,000 test images for 2 epochs in batches of 64 (more steps for the "
        + "little data), a few minutes on two cores; the book trains on all 60,000 for 10 epochs.",
    network: LessonNetwork("ResNet-18", year: 2015, idea: "residual connections", make: { resNet18() })
) { nb in

/*:
 ### Checking the blocks

 A block without the 1×1 shortcut keeps the shape; with it and stride 2 it changes the channels
 and halves height and width, as the book checks.
 */
    let keep = try Residual(3, 3)(Tensor.uniform([4, 3, 6, 6], 0, 1))
    let halve = try Residual(3, 6, use1x1Conv: true, strides: 2)(Tensor.uniform([4, 3, 6, 6], 0, 1))
    try nb.say("Residual(3, 3): [4, 3, 6, 6] → \(keep.shape)\nResidual(3, 6, use1x1Conv, strides: 2): [4, 3, 6, 6] → \(halve.shape)")

/*:
 ### Shapes, stage by stage

 On the book's 224×224 walk-through input: 56, 56, 28, 14 and 7, then one number per channel.
 */
    let net = resNet18()
    try nb.walkThrough(net, input: [1, 1, 224, 224], depth: 2)

/*:
 ## Training

 At 96×96, as the book trains it.
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 The stem's 64 kernels of 7×7, each averaged over its one input channel: trained briefly in
 class, they show little structure yet; after a full run, edge and blob detectors.
 */
    try nb.show(Filters(net, firstOnly: true))

/*:
 One test image stage by stage. Each stage halves the maps and doubles the channels; by the last
 stage the maps are 3×3 at 96×96, and what is left is which channels fire, not where. In step
 mode (`--step`, or the class page), "inside the block" shows a residual block's two paths: the
 branch's convolutions and the shortcut, and their sum.
 */
    try nb.show(FeatureMaps(net, on: data))

/*:
 And the predictions on the first test images.
 */
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 `--image photo.jpg` (with `--checkpoint output/resnet/resnet.safetensors`) sends a photo of
 your own through ResNet-18. After the global average pooling there are 512 numbers, one per
 channel, drawn as bars: the features the last dense layer weighs to decide.
 */
    try nb.show(YourImage(net, on: data))

/*:
 ## Things to try

 1. Remove the shortcut: return `relu(y)` in `forward`. With only 18 layers the difference is
    small; the paper's was at 34 layers and more.
 2. Make it ResNet-34: stages of 3, 4, 6 and 3 blocks. Compare parameters and multiply-adds.
 3. Train with the book's batch size, `--batch-size 256`: fewer, larger steps on the same data.
 */
}
