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
/*:zh
 # ResNet：学习残差

 给网络多加几层，照理说不该让它变差：新加的层原则上可以学会把输入原封不动地传下去。
 可实际情况是，到 2015 年，单纯堆叠起来的网络一旦超过二十层左右，训练效果反而比浅一些的网络*更差*。
 何恺明、张祥雨、任少卿和孙剑的办法，是让“把输入原样传下去”成为最容易做到的事：
 每个块计算 f(x) = x + g(x)，这样块里的层只需要学习*残差* g，而 g = 0 就是恒等映射。

 一个**残差块**包含两个带批量规范化的 3×3 卷积层，外加一条捷径（shortcut）：
 在最后一个 ReLU 之前，把块的输入加到卷积的输出上。如果这个块要改变通道数，
 或者要把尺寸减半（步幅为 2），就在捷径上加一个 1×1 卷积层，让两边的形状对得上。
 ResNet-18 和 ResNet-34 都由这种块搭成；更深的 ResNet-50、-101 和 -152 则改用计算更省的
 *瓶颈*块（依次为 1×1、3×3、1×1 卷积）。借助瓶颈块，ResNet-152 训练起来毫无困难，
 并赢得了 2015 年的 ImageNet 竞赛；从那以后，几乎每个深度网络里都有残差连接。

 *本书版本与原论文的不同之处*：使用 ResNet-18，单输入通道，10 个类别，Fashion-MNIST 图像放大到 96×96。
 */
import Datasets
import Localization
import NN
import Notebook
import Tensors

/*:
 ## The residual block

 The book's `Residual`: `conv1` (with the stride) and `conv2` on the main path, `conv3` the
 optional 1×1 shortcut. `forward` is the book's line for line.
 */
/*:zh
 ## 残差块

 书中的 `Residual`：主路径上是 `conv1`（步幅设在这里）和 `conv2`，`conv3` 是可选的 1×1 捷径。
 `forward` 与书中的代码逐行对应。
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
/*:zh
 ## 网络

 `resnetBlock` 就是书中的 `resnet_block`：由 `residuals` 个残差块组成的一个阶段，
 其中第一个块把尺寸减半并改变通道数（第一个阶段除外，因为它前面的最大汇聚层已经把尺寸减半了）。
 接下来是 ResNet-18：开头部分（stem）与 GoogLeNet 相同，只是加上了批量规范化；
 然后是四个阶段，每个阶段两个残差块（通道数依次为 64、128、256、512）；
 最后是全局平均汇聚层和一个全连接层。带权重的层共有 18 = 1 + 4 × 2 × 2 + 1 层。
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
/*:zh
 ## 运行本课
 */
public let resNetLesson = Lesson(
    name: "resnet", title: "ResNet-18",
    summary: Localized("ResNet (2015): residual blocks f(x) = x + g(x) with batch norm; ResNet-18",
        zh: "ResNet（2015）：带批量规范化的残差块 f(x) = x + g(x)；ResNet-18"),
    inClass: LessonSettings(epochs: 2, batchSize: 64, lr: 0.05, trainSize: 3000, testSize: 1000, resize: 96),
    book: LessonSettings(epochs: 10, batchSize: 256, lr: 0.05, resize: 96),
    inClassNote: Localized("In class: 3,000 training and 1,000 test images for 2 epochs in batches of 64 (more steps for the "
        + "little data), a few minutes on two cores; the book trains on all 60,000 for 10 epochs.",
        zh: "课堂上：用 3,000 张训练图像和 1,000 张测试图像训练 2 轮，批量大小为 64（数据少，就用小批量多走几步），"
            + "在两个核心上需要几分钟；书中则用全部 60,000 张图像训练 10 轮。"),
    network: LessonNetwork("ResNet-18", year: 2015, idea: Localized("residual connections", zh: "残差连接"), make: { resNet18() })
) { nb in

/*:
 ### Checking the blocks

 A block without the 1×1 shortcut keeps the shape; with it and stride 2 it changes the channels
 and halves height and width, as the book checks.
 */
/*:zh
 ### 检查残差块

 不带 1×1 捷径的块保持形状不变；带上 1×1 捷径并把步幅设为 2，块就会改变通道数，
 同时把高和宽减半。书中也做了同样的检查。
 */
    let keep = try Residual(3, 3)(Tensor.uniform([4, 3, 6, 6], 0, 1))
    let halve = try Residual(3, 6, use1x1Conv: true, strides: 2)(Tensor.uniform([4, 3, 6, 6], 0, 1))
    try nb.say("Residual(3, 3): [4, 3, 6, 6] → \(keep.shape)\nResidual(3, 6, use1x1Conv, strides: 2): [4, 3, 6, 6] → \(halve.shape)")

/*:
 ### Shapes, stage by stage

 On the book's 224×224 walk-through input: 56, 56, 28, 14 and 7, then one number per channel.
 */
/*:zh
 ### 逐个阶段看形状

 用书中 224×224 的示例输入走一遍：各阶段输出的高和宽依次为 56、56、28、14 和 7，
 最后每个通道只剩一个数。
 */
    let net = resNet18()
    try nb.walkThrough(net, input: [1, 1, 224, 224], depth: 2)

/*:
 ## Training

 At 96×96, as the book trains it.
 */
/*:zh
 ## 训练

 和书中一样，在 96×96 的尺寸上训练。
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 The first convolution's 64 kernels of 7×7, one per output channel (the input has one
 channel): trained briefly in class, they show little structure yet; after a full run, edge and
 blob detectors.
 */
/*:zh
 ## 看看网络内部

 第一个卷积层的 64 个 7×7 卷积核，每个输出通道一个（输入只有一个通道）：课堂上只训练了很短的时间，
 它们还看不出什么结构；完整训练之后，会出现检测边缘和斑块的卷积核。
 */
    try nb.show(Filters(net, firstOnly: true))

/*:
 One test image stage by stage. `b1` quarters the image; `b2` keeps its size and 64 channels;
 from `b3` on, each stage halves the maps and doubles the channels; by the last
 stage the maps are 3×3 at 96×96, and what is left is which channels fire, not where. In step
 mode (`--step`, or the class page), "inside the block" shows a residual block's two paths: the
 branch's convolutions and the shortcut, and their sum.
 */
/*:zh
 把一张测试图像逐个阶段送进网络。`b1` 把图像的高和宽各缩小为四分之一；`b2` 保持尺寸和 64 个通道；
 从 `b3` 起，每经过一个阶段，特征图的高和宽减半，通道数翻倍；
 输入为 96×96 时，到最后一个阶段特征图只剩 3×3，剩下的信息是哪些通道被激活，而不再是在什么位置。
 在逐步模式下（`--step`，或者课堂页面），“inside the block”（块内部）会展示残差块的两条路径：
 分支上的卷积、捷径，以及两者之和。
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

 `--image photo.jpg` (with `--checkpoint output/resnet/resnet.safetensors`) sends a photo of
 your own through ResNet-18. After the global average pooling there are 512 numbers, one per
 channel, drawn as bars: the features the last dense layer weighs to decide.
 */
/*:zh
 ## 用你自己的图像

 `--image photo.jpg`（配合 `--checkpoint output/resnet/resnet.safetensors`）会把你自己的一张照片
 送进 ResNet-18。经过全局平均汇聚层之后剩下 512 个数，每个通道一个，画成条形图：
 这就是最后那个全连接层加权之后据以作出判断的特征。
 */
    try nb.show(YourImage(net, on: data))

/*:
 ## Things to try

 1. Remove the shortcut: return `relu(y)` in `forward`. With only 18 layers the difference is
    small; the paper's was at 34 layers and more.
 2. Make it ResNet-34: stages of 3, 4, 6 and 3 blocks. Compare parameters and multiply-adds.
 3. Train with the book's batch size, `--batch-size 256`: fewer, larger steps on the same data.
 */
/*:zh
 ## 动手试一试

 1. 去掉捷径：在 `forward` 中返回 `relu(y)`。只有 18 层时差别不大；论文中的差距出现在 34 层及更深的网络上。
 2. 改成 ResNet-34：四个阶段分别有 3、4、6 和 3 个块。比较两者的参数量和乘加运算次数。
 3. 用书中的批量大小 `--batch-size 256` 训练：在同样的数据上，步数更少，每一步更大。
 */
}
