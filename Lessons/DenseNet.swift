/*:
 # DenseNet: concatenate instead of add

 ResNet adds a block's input to its output. In 2017 Gao Huang, Zhuang Liu, Laurens van der
 Maaten and Kilian Weinberger asked what happens if you concatenate them instead: in a **dense
 block**, every convolution sees the outputs of all the convolutions before it in the block,
 stacked on the channels. Features computed once are reused by every later layer, so each layer
 can be thin: it only adds a few new channels, the *growth rate*.

 Channels grow with every layer, so between dense blocks a **transition block** shrinks them
 again: a 1×1 convolution halves the channels (in the book's version, as the paper's compressed
 DenseNet-BC does; the plain DenseNet keeps them) and an average pooling halves height and width.

 *Where the book's version departs from the paper:* a small DenseNet (four dense blocks of four
 convolutions, growth rate 32, starting from 64 channels after a ResNet-like stem), one input
 channel, 10 classes, 96×96 inputs.
 */
/*:zh
 # DenseNet：用连结代替相加

 ResNet 把块的输入加到它的输出上。2017 年，黄高、刘壮、Laurens van der Maaten 和 Kilian Weinberger
 换了个思路：不相加，而是把两者连结起来，会怎样？在**稠密块**中，每个卷积层都能看到块内排在它前面的
 所有卷积层的输出，它们沿通道维叠在一起。特征一旦算出来，后面的每一层都能重复使用，
 所以每一层都可以做得很“窄”：它只需新增少量通道，这个数目叫作*增长率*（growth rate）。

 每经过一层，通道数都会增加，因此在两个稠密块之间要用**过渡层**把它重新压下来：
 1×1 卷积层把通道数减半（这是书中的做法，和论文中压缩过的 DenseNet-BC 一样；最初的 DenseNet 保持通道数不变），
 平均汇聚层把高和宽减半。

 *本书版本与原论文的不同之处*：一个小型 DenseNet（四个稠密块，每块四个卷积层，增长率为 32，
 开头是类似 ResNet 的起始部分，之后从 64 个通道开始），单输入通道，10 个类别，输入为 96×96。
 */
import Datasets
import Localization
import NN
import Notebook
import Tensors

/*:
 ## The blocks

 `convBlock` is the book's `conv_block`, in the order batch norm, ReLU, convolution (the
 "pre-activation" order ResNet's authors later found better). `DenseBlock` runs its blocks in
 turn and concatenates each one's output to its input. `transitionBlock` shrinks.
 */
/*:zh
 ## 各个块

 `convBlock` 就是书中的 `conv_block`，顺序为批量规范化、ReLU、卷积
 （ResNet 的作者后来发现这种“预激活”顺序效果更好）。`DenseBlock` 依次运行其中的各个块，
 并把每个块的输出与它的输入连结起来。`transitionBlock` 负责压缩。
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
/*:zh
 ## 网络

 先是起始部分，然后是四个稠密块，每块 4 个卷积层，每层增加 32 个通道
 （第一个稠密块之后为 64 + 4 × 32 = 192 个通道），稠密块之间用过渡层把通道数减半。
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
/*:zh
 ## 运行本课
 */
public let denseNetLesson = Lesson(
    name: "densenet", title: "DenseNet",
    summary: Localized("DenseNet (2017): dense blocks concatenate every layer's output; transition blocks shrink",
        zh: "DenseNet（2017）：稠密块连结每一层的输出；过渡层负责压缩"),
    inClass: LessonSettings(epochs: 2, batchSize: 64, lr: 0.1, trainSize: 6000, testSize: 1000, resize: 96),
    book: LessonSettings(epochs: 10, batchSize: 256, lr: 0.1, resize: 96),
    inClassNote: Localized("In class: 6,000 training and 1,000 test images for 2 epochs in batches of 64, about two minutes on "
        + "two cores; the book trains on all 60,000 for 10 epochs.",
        zh: "课堂上：用 6,000 张训练图像和 1,000 张测试图像训练 2 轮，批量大小为 64，在两个核心上大约需要两分钟；"
            + "书中则用全部 60,000 张图像训练 10 轮。"),
    network: LessonNetwork("DenseNet", year: 2017, idea: Localized("dense concatenation", zh: "稠密连结"), make: { denseNet() })
) { nb in

/*:
 ### Checking the blocks

 As in the book: a dense block of 2 convolutions with growth 10 takes 3 channels to
 3 + 2 × 10 = 23; a transition block takes them to 10 and halves the size.
 */
/*:zh
 ### 检查各个块

 和书中一样：一个含 2 个卷积层、增长率为 10 的稠密块，把 3 个通道变成 3 + 2 × 10 = 23 个；
 过渡层再把通道数变为 10，并把尺寸减半。
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
/*:zh
 75.8 万个参数，约为 ResNet-18 的 1,120 万个参数的十五分之一：每一层只增加 32 个通道。

 ## 训练
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 The first convolution's 64 kernels of 7×7, one per output channel (the input has one channel).
 */
/*:zh
 ## 看看网络内部

 第一个卷积层的 64 个 7×7 卷积核，每个输出通道一个（输入只有一个通道）。
 */
    try nb.show(Filters(net, firstOnly: true))

/*:
 One test image through the network. After each dense block the channels have grown by
 4 × 32 = 128, and the first maps of each picture are the block's input, carried through
 unchanged: concatenation keeps them. In step mode (`--step`, or the class page), "inside the
 block" at a dense block shows it grow: each convolution's 32 new maps, then the
 concatenation with everything before.
 */
/*:zh
 把一张测试图像送进网络。每经过一个稠密块，通道数就增加 4 × 32 = 128 个；
 每幅图中最前面的那些特征图就是这个块的输入，原样传了过来：连结把它们保留了下来。
 在逐步模式下（`--step`，或者课堂页面），在稠密块处查看“inside the block”（块内部），
 可以看到它如何一步步增长：每个卷积层新产生的 32 个特征图，以及它们与之前所有特征图的连结。
 */
    try nb.show(FeatureMaps(net, on: data))

/*:
 And the predictions on the first test images.
 */
/*:zh
 最后是网络对前几张测试图像的预测。
 */
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 `--image photo.jpg` (with `--checkpoint output/densenet/densenet.safetensors`) classifies a
 photo of your own. A picture shows a layer's first 32 channels; after a dense block those are
 its input's, passed on unchanged, because the block appends its new channels after them.
 */
/*:zh
 ## 用你自己的图像

 `--image photo.jpg`（配合 `--checkpoint output/densenet/densenet.safetensors`）对你自己的一张照片
 进行分类。每幅图显示某一层的前 32 个通道；在稠密块之后，这些通道就是该块的输入通道，
 原样传了下来，因为稠密块把新的通道追加在它们后面。
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
/*:zh
 ## 动手试一试

 1. 把增长率改为 16 或 64。参数量、速度和准确率分别会怎样变化？
 2. 去掉过渡层中的汇聚层（保留 1×1 卷积层）。乘加运算次数会怎样变化？为什么？
 3. 连结会保留之前所有的特征，内存开销是 DenseNet 众所周知的代价。在 `lesson compare` 中
    把它的激活值内存（每个网络的前向传播为反向传播保留下来的数据，包括连结的结果）与 ResNet 的比较一下。
 */
}
