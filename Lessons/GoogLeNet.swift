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
/*:zh
 # GoogLeNet：并行的路径，连结在一起

 卷积核该选多大，1×1、3×3 还是 5×5？2014 年，Google 的 Christian Szegedy 团队给出的回答是：
 全都要，并排放在一起。他们的网络 GoogLeNet（名字是向 LeNet 致敬）赢得了当年的 ImageNet 挑战赛，
 参数量却只有 AlexNet 的十二分之一。

 它的基本构件是 **Inception 块**：把同一个输入送进四条路径，再把各路径的输出沿通道维连结起来：

 1. 一个 1×1 卷积层；
 2. 一个先减少通道数的 1×1 卷积层，再接一个 3×3 卷积层；
 3. 一个 1×1 降维卷积层，再接一个 5×5 卷积层；
 4. 一个 3×3 最大汇聚层（步幅为 1，因此尺寸不变），再接一个 1×1 卷积层。

 每条路径都保持高和宽不变，所以它们的输出可以叠在一起。让这一切算得起的正是那些 1×1 降维：
 代价高昂的 3×3 和 5×5 卷积核只需处理较少的通道。九个这样的块，分成若干阶段、阶段之间用最大汇聚层隔开，
 就构成了整个网络。

 *本书的实现与原论文的不同之处：* 输入为单通道，输出 10 个类别，输入尺寸为 96×96 而非 224×224，
 并且没有辅助分类器和局部响应归一化（后来证明两者都是不必要的）。
 */
import Datasets
import Localization
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
/*:zh
 ## Inception 块

 `c1` 到 `c4` 是四条路径的输出通道数（路径 2 和 3 各给出两个数：降维层的和卷积层的）。
 属性名沿用本书英文版的叫法（`b2_1` 是路径 2 的第一层），这样检查点里的张量名就与英文版 PyTorch 代码一致；
 中文版把它们叫作 `p1_1` … `p4_2`，用这些名字保存的检查点同样可以加载。`forward` 与书中的代码逐行对应。
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
/*:zh
 ## 网络

 和书中一样，网络分为 `b1` 到 `b5` 五个阶段。前两个阶段是由普通卷积层构成的起始部分（stem）；
 之后依次是两个、五个和两个 Inception 块，阶段之间用汇聚层隔开；最后是全局平均汇聚层和一个全连接层。
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
/*:zh
 ## 运行本课
 */
public let googLeNetLesson = Lesson(
    name: "googlenet", title: "GoogLeNet",
    summary: Localized("GoogLeNet (2014): Inception blocks, four parallel paths concatenated on channels",
        zh: "GoogLeNet（2014）：Inception 块，四条并行路径的输出在通道维上连结"),
    inClass: LessonSettings(epochs: 4, batchSize: 32, lr: 0.1, trainSize: 4000, testSize: 1000, resize: 64),
    book: LessonSettings(epochs: 10, batchSize: 128, lr: 0.1, resize: 96),
    inClassNote: Localized("In class: 64×64 images (global average pooling takes any size), 4,000 training and 1,000 test images "
        + "for 4 epochs in batches of 32, about 3 minutes on two cores; the book trains on all 60,000 at 96×96 for 10 epochs.",
        zh: "课堂设置：64×64 的图像（全局平均汇聚层可以接受任意尺寸），4,000 张训练图像和 1,000 张测试图像，批量大小为 32，"
            + "训练 4 个迭代周期，在两个核心上约需 3 分钟；书中则在 96×96 下用全部 60,000 张图像训练 10 个迭代周期。"),
    network: LessonNetwork("GoogLeNet", year: 2014,
        idea: Localized("parallel paths, concatenated", zh: "并行路径，输出连结"), make: { googLeNet() })
) { nb in
    let net = googLeNet()

/*:
 ### Shapes, stage by stage

 At 96×96 the stem takes the image to 24×24 with 64 channels, then 12×12 with 192. Each
 Inception stage ends with pooling; by the last, 1,024 channels of 3×3 are averaged to 1,024
 numbers.
 */
/*:zh
 ### 逐阶段查看形状

 在 96×96 的输入下，起始部分先把图像变成 64 个通道的 24×24，再变成 192 个通道的 12×12。
 每个 Inception 阶段都以汇聚层结束；到了最后，1,024 个 3×3 的通道被平均成 1,024 个数。
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
/*:zh
 架构图画出了每个 Inception 块的四条路径，以及每条路径贡献的通道数：第一个块中是
 64 + 128 + 32 + 32 = 256。

 ## 训练

 GoogLeNet 有 22 层深，又没有批量规范化，在真正开始学习之前，它的损失会在随机猜测的水平（2.30）
 停留一阵：在课堂上，前一两个迭代周期看起来可能毫无动静。
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 The first convolution's 64 kernels of 7×7, one per output channel (the input has one channel):
 after a few minutes of training they have barely left their random start; a full run turns
 them into edge detectors.
 */
/*:zh
 ## 看看网络内部

 第一个卷积层的 64 个 7×7 卷积核，每个输出通道一个（输入只有一个通道）：训练几分钟之后，
 它们几乎还停留在随机初始值附近；完整训练之后，它们会变成边缘检测器。
 */
    try nb.show(Filters(net, firstOnly: true))

/*:
 One test image stage by stage (at the in-class 64×64): 16×16 after `b1` (64 channels), 8×8
 after `b2` (192), 4×4 after `b3` (480) and 2×2 after `b4` (832); `b5` ends in global average
 pooling, so its 1,024 numbers get no picture of maps. In step mode (`--step`, or the class page), "inside the
 block" at a stage shows each Inception block's four paths and their concatenation on the
 image itself: the 1×1 path keeps fine detail, the pooled path the strongest responses.
 */
/*:zh
 一张测试图像逐阶段的变化（在课堂使用的 64×64 下）：经过 `b1` 后是 16×16（64 个通道），
 经过 `b2` 后是 8×8（192 个），经过 `b3` 后是 4×4（480 个），经过 `b4` 后是 2×2（832 个）；
 `b5` 以全局平均汇聚层结束，所以它输出的 1,024 个数不再画成特征图。在单步模式（`--step`，或课堂页面）下，在某个阶段打开
 “inside the block”（块内部），就能看到每个 Inception 块的四条路径及其连结结果，直接画在图像上：
 1×1 路径保留了细节，汇聚路径保留了最强的响应。
 */
    try nb.show(FeatureMaps(net, on: data))

/*:
 And the predictions on the first test images: after four short epochs, expect many mistakes
 between shirts, pullovers and coats.
 */
/*:zh
 以及对前几张测试图像的预测：只训练了四个短短的迭代周期，Shirt（衬衫）、Pullover（套头衫）和
 Coat（外套）之间难免会有不少误判。
 */
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 `--image photo.jpg` (with `--checkpoint output/googlenet/googlenet.safetensors` to skip
 training) runs a photo of your own through the five stages. In class mode, step into an
 Inception block with your photo to see which of the four paths responds to it.
 */
/*:zh
 ## 用你自己的图像

 `--image photo.jpg`（配合 `--checkpoint output/googlenet/googlenet.safetensors` 可跳过训练）
 会让你自己的一张照片依次经过五个阶段。在课堂模式下，带着你的照片单步进入一个 Inception 块，
 看看四条路径中哪一条对它有响应。
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
/*:zh
 ## 动手试一试

 1. 从 `forward` 中去掉路径 3（5×5 那条），并相应修改下一个块的输入通道数。准确率会有变化吗？
    （架构图也会随之改变：它是根据 `forward` 实际做的计算画出来的。）
 2. 去掉路径 2 和路径 3 中的 1×1 降维层（直接对输入做卷积）。表中的参数量和乘加运算次数会怎样变化？
 3. 用书中的尺寸 `--resize 96` 训练：这个网络在任何尺寸下都能工作（为什么？）。
    它慢了多少，又好了多少？
 */
}
