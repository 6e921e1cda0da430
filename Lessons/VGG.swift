/*:
 # VGG: networks built from blocks

 AlexNet's layers were each designed by hand: an 11×11 kernel here, a 5×5 there, pooling where
 it seemed right. In 2014 Karen Simonyan and Andrew Zisserman of Oxford's Visual Geometry Group
 asked a simpler question: what if a network were just the same small block, repeated? Their
 answer, VGG, came second in that year's ImageNet challenge and changed how networks are
 described: not layer by layer, but block by block.

 A **VGG block** is a few 3×3 convolutions with padding 1 (each keeps the size, each followed by
 ReLU), then a 2×2 max pooling with stride 2 that halves height and width. Two stacked 3×3
 convolutions see a 5×5 patch, three see 7×7, with fewer parameters than one large kernel and
 more non-linearities between them; so VGG goes deep and narrow rather than shallow and wide.
 The paper's variants differ mainly in how many convolutions each of five blocks holds: VGG-11
 has 1, 1, 2, 2, 2 (8 convolutions and 3 dense layers).

 *Where the book's version departs from the paper:* one input channel, 10 classes, Fashion-MNIST
 upsampled to 224×224, and for training, every block's channel count divided by 4, because
 full-width VGG-11 costs about eight times AlexNet's arithmetic.
 */
/*:zh
 # VGG：使用块的网络

 AlexNet 的每一层都是手工设计的：这里一个 11×11 的卷积核，那里一个 5×5 的，
 觉得合适的地方再放一个汇聚层。2014 年，牛津大学视觉几何组（Visual Geometry Group）的
 Karen Simonyan 和 Andrew Zisserman 提出了一个更简单的问题：如果网络只是把同一个小块重复若干次，会怎样？
 他们给出的答案 VGG 在当年的 ImageNet 挑战赛中获得第二名，也改变了人们描述网络的方式：
 不再逐层描述，而是逐块描述。

 一个 **VGG 块** 由几个填充为 1 的 3×3 卷积层组成（每个都保持尺寸不变，后面各跟一个 ReLU），
 最后是一个步幅为 2 的 2×2 最大汇聚层，把高和宽减半。两个堆叠的 3×3 卷积层能看到 5×5 的区域，
 三个能看到 7×7 的区域，参数却比一个大卷积核少，层与层之间还多了几次非线性变换；
 所以 VGG 走的是又深又窄的路线，而不是又浅又宽。
 论文中的各个变体主要在五个块各含几个卷积层上有所不同：VGG-11 是 1、1、2、2、2
 （共 8 个卷积层和 3 个全连接层）。

 *本书版本与原论文的不同之处：* 输入只有一个通道，输出 10 个类别，Fashion-MNIST 的图像上采样到 224×224；
 训练时，每个块的通道数都除以 4，因为全宽的 VGG-11 的计算量约为 AlexNet 的八倍。
 */
import Datasets
import Localization
import NN
import Notebook
import Tensors

/*:
 ## The blocks

 `vggBlock` is the book's `vgg_block`: `convs` convolutions from `inChannels` to `outChannels`,
 then the pooling. A loop builds the layers, so the block is a `Sequential` made from an array.
 */
/*:zh
 ## 块

 `vggBlock` 就是书中的 `vgg_block`：`convs` 个卷积层，把 `inChannels` 个通道变成 `outChannels` 个，
 最后接汇聚层。各层由一个循环构造，所以这个块是用数组构造的 `Sequential`。
 */
public func vggBlock(convs: Int, inChannels: Int, outChannels: Int) -> Sequential {
    var layers: [any Layer] = []
    var channels = inChannels
    for _ in 0..<convs {
        layers.append(Conv2d(channels, outChannels, kernelSize: 3, padding: 1))
        layers.append(ReLU())
        channels = outChannels
    }
    layers.append(MaxPool2d(kernelSize: 2, stride: 2))
    return Sequential(layers, name: "vgg_block")
}

/*:
 `convArch` lists (convolutions, output channels) per block, as the book's `conv_arch`. Five
 halvings take 224 to 7, so the classifier's first layer sees `channels × 7 × 7` numbers.
 */
/*:zh
 `convArch` 和书中的 `conv_arch` 一样，列出每个块的（卷积层数，输出通道数）。
 五次减半把 224 变成 7，所以分类器的第一层接收 `channels × 7 × 7` 个数。
 */
public let vgg11Architecture = [(1, 64), (1, 128), (2, 256), (2, 512), (2, 512)]

public func vgg(_ convArch: [(convs: Int, channels: Int)]) -> Sequential {
    var blocks: [any Layer] = []
    var channels = 1
    for (convs, outChannels) in convArch {
        blocks.append(vggBlock(convs: convs, inChannels: channels, outChannels: outChannels))
        channels = outChannels
    }
    return Sequential {
        blocks
        Flatten()
        Linear(channels * 7 * 7, 4096); ReLU(); Dropout(0.5)
        Linear(4096, 4096); ReLU(); Dropout(0.5)
        Linear(4096, 10)
    }
}

/*:
 VGG-11 itself is too slow to train in class (7.5 billion multiply-adds per image), so we keep
 its shape and divide every block's channels by 4, as the book's `small_conv_arch` does: the
 convolutions' arithmetic falls about sixteenfold (fourfold in the first, whose input has one
 channel).
 */
/*:zh
 VGG-11 本身太慢，没法在课堂上训练（每张图像 75 亿次乘加运算），
 所以我们保留它的结构，只把每个块的通道数除以 4，和书中的 `small_conv_arch` 一样：
 卷积层的计算量因此降为原来的大约十六分之一（第一个卷积层的输入只有一个通道，只降为四分之一）。
 */
public func smallVGG() -> Sequential { vgg(vgg11Architecture.map { ($0.0, $0.1 / 4) }) }

/*:
 ## Running the lesson
 */
/*:zh
 ## 运行本课
 */
public let vggLesson = Lesson(
    name: "vgg", title: "VGG",
    summary: Localized("VGG (2014): the same block of 3×3 convolutions repeated; VGG-11 with channels / 4",
        zh: "VGG（2014）：重复使用同一种由 3×3 卷积层组成的块；通道数除以 4 的 VGG-11"),
    inClass: LessonSettings(epochs: 2, batchSize: 64, lr: 0.05, trainSize: 3000, testSize: 1000, resize: 224),
    book: LessonSettings(epochs: 10, batchSize: 128, lr: 0.05, resize: 224),
    inClassNote: Localized("In class: 3,000 training and 1,000 test images for 2 epochs in batches of 64 (more steps for the "
        + "little data), about 3 minutes on two cores; the book's run is 60,000 images for 10 epochs.",
        zh: "课堂版：用 3,000 张训练图像和 1,000 张测试图像训练 2 个迭代周期，批量大小 64（数据少，所以步数更多），"
        + "在两个核上约需 3 分钟；书中的设置是用 60,000 张图像训练 10 个迭代周期。"),
    network: LessonNetwork("VGG-11 / 4", year: 2014,
        idea: Localized("repeated blocks of 3×3 convs", zh: "重复的 3×3 卷积块"), make: { smallVGG() })
) { nb in

/*:
 ### Shapes, block by block

 The walk-through uses the full-width VGG-11, as the book prints it: each block halves the image
 and, after the first, doubles the channels up to 512.
 */
/*:zh
 ### 逐块查看形状

 这里逐块展示的是全宽的 VGG-11，和书中打印的一样：每个块把图像的高和宽减半，
 从第二个块起还把通道数翻倍，最多到 512。
 */
    try nb.walkThrough(vgg(vgg11Architecture), input: [1, 1, 224, 224])

/*:
 129 million parameters, 7.5 billion multiply-adds per image. For training we use the narrow
 `smallVGG()` from above: the same blocks with a quarter of the channels. `depth: 2` also lists
 the layers inside each `vgg_block`, indented under it, with their own parameters and
 multiply-adds. The convolutions hold 0.6 million of the 43 million parameters yet do 92% of
 the multiply-adds; the dense layers are the other way round.
 */
/*:zh
 1.29 亿个参数，每张图像 75 亿次乘加运算。训练时我们用上面定义的窄版 `smallVGG()`：
 块的结构相同，通道数只有四分之一。`depth: 2` 还会把每个 `vgg_block` 内部的各层缩进列在它下面，
 并给出各层自己的参数量和乘加运算次数。卷积层只占 4,300 万个参数中的 60 万个，
 却完成了 92% 的乘加运算；全连接层则恰恰相反。
 */
    let net = smallVGG()
    try nb.walkThrough(net, input: [1, 1, 224, 224], depth: 2)

/*:
 ## Training
 */
/*:zh
 ## 训练
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 The first block's 3×3 kernels, and one image after each block: the maps halve at each step
 while the channels grow.
 */
/*:zh
 ## 看看网络内部

 第一个块的 3×3 卷积核，以及一张图像经过每个块之后的样子：
 特征图每经过一步就缩小一半，通道却越来越多。
 */
    try nb.show(Filters(net, firstOnly: true))
    try nb.show(FeatureMaps(net, on: data))
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 `--image photo.jpg` (and `--checkpoint output/vgg/vgg.safetensors` to skip training)
 classifies a photo of your own and shows each block's maps for it. Compare them with the test
 image's above: after which block do they stop looking like those of a garment of its class?
 */
/*:zh
 ## 你自己的图像

 `--image photo.jpg`（加上 `--checkpoint output/vgg/vgg.safetensors` 可以跳过训练）
 会对你自己的一张照片分类，并显示它在每个块之后的特征图。把它们和上面测试图像的特征图比一比：
 从哪个块之后开始，它们不再像同一类衣服的特征图了？
 */
    try nb.show(YourImage(net, on: data))

/*:
 ## Things to try

 1. VGG-16 is `[(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]`. Walk it through with
    `nb.walkThrough(vgg(...), input: [1, 1, 224, 224])`: how many more parameters and
    multiply-adds than VGG-11?
 2. Divide the channels by 8 instead of 4. How much faster is an epoch, and what happens to the
    accuracy?
 3. Replace one block's two 3×3 convolutions by a single 5×5 one. Same field of view: compare the
    parameter counts in the table.
 */
/*:zh
 ## 动手试一试

 1. VGG-16 是 `[(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]`。用
    `nb.walkThrough(vgg(...), input: [1, 1, 224, 224])` 逐层查看它：
    它的参数和乘加运算比 VGG-11 多多少？
 2. 把通道数除以 8 而不是 4。一个迭代周期快了多少？准确率又会怎样？
 3. 把某个块中的两个 3×3 卷积层换成一个 5×5 卷积层。视野相同：在表中比较两者的参数量。
 */
}
