/*:
 # NiN: 1×1 convolutions and no dense layers

 LeNet, AlexNet and VGG all end the same way: flatten the last feature maps and feed them to
 large dense layers, which hold most of the parameters and lose where things were. In 2013 Min
 Lin, Qiang Chen and Shuicheng Yan proposed a *Network in Network* that does without them.

 Its first idea is the **1×1 convolution**. A convolution with a 1×1 kernel mixes the channels
 at each pixel and nothing else: it is a dense layer applied at every position with shared
 weights. Two of them after an ordinary convolution, each with ReLU, make a small multilayer
 perceptron that slides over the image: the "network in the network".

 Its second idea is **global average pooling**. The last block outputs one channel per class;
 averaging each channel over the whole image gives the class scores directly. No dense layer
 (the final `Flatten` only turns the 10 × 1 × 1 scores into a row of 10), far fewer
 parameters, and the network takes a range of input sizes: any from 67×67 up.

 *Where the book's version departs from the paper:* the book sizes its blocks like AlexNet's
 (96, 256 and 384 channels with 11×11, 5×5 and 3×3 kernels) and uses one input channel and 10
 classes. Like the paper, it uses dropout (here before the last block).
 */
/*:zh
 # NiN：1×1 卷积，不用全连接层

 LeNet、AlexNet 和 VGG 的收尾方式如出一辙：把最后的特征图展平，再送进几个很大的全连接层。
 模型的大部分参数都在这些层里，而且一经展平，特征原本位于图中何处也就无从知晓了。
 2013 年，Min Lin、Qiang Chen 和 Shuicheng Yan 提出了*网络中的网络*（Network in Network），
 把这些全连接层整个舍弃。

 它的第一个想法是 **1×1 卷积**。1×1 的卷积核只在每个像素上混合各个通道，此外什么也不做：
 这相当于在每个位置上应用同一个全连接层，权重在各位置间共享。在一个普通卷积层之后接两个这样的卷积层，
 每层后面各跟一个 ReLU，就得到一个在图像上滑动的小型多层感知机，这正是所谓的“网络中的网络”。

 它的第二个想法是**全局平均汇聚**。最后一个块为每个类别输出一个通道；把每个通道在整幅图像上取平均，
 直接就得到各类别的得分。这样一来，网络不再需要全连接层（最后的 `Flatten` 只是把 10 × 1 × 1
 的得分排成一行 10 个数），参数少得多，而且能接受一定范围内的各种输入尺寸：只要不小于 67×67 即可。

 *本书的实现与原论文的不同之处：* 书中各块的规模仿照 AlexNet（96、256 和 384 个通道，
 卷积核分别为 11×11、5×5 和 3×3），输入为单通道，输出 10 个类别。与原论文一样，它也使用了
 暂退法（dropout），这里放在最后一个块之前。
 */
import Datasets
import Localization
import NN
import Notebook
import Tensors

/*:
 ## The blocks

 `ninBlock` is the book's `nin_block`: one ordinary convolution, then two 1×1 convolutions,
 each followed by ReLU.
 */
/*:zh
 ## NiN 块

 `ninBlock` 就是书中的 `nin_block`：先是一个普通卷积层，再接两个 1×1 卷积层，
 每个卷积层后面都跟着 ReLU。
 */
public func ninBlock(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int, padding: Int) -> Sequential {
    Sequential(name: "nin_block") {
        Conv2d(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding); ReLU()
        Conv2d(outChannels, outChannels, kernelSize: 1); ReLU()
        Conv2d(outChannels, outChannels, kernelSize: 1); ReLU()
    }
}

/*:
 The last block has 10 output channels, one per class; `AdaptiveAvgPool2d(1)` averages each
 to a single number, and `Flatten` turns [N, 10, 1, 1] into the [N, 10] scores.
 */
/*:zh
 最后一个块有 10 个输出通道，每个类别一个；`AdaptiveAvgPool2d(1)` 把每个通道平均成一个数，
 再由 `Flatten` 把 [N, 10, 1, 1] 变成 [N, 10] 的得分。
 */
public func nin() -> Sequential {
    Sequential {
        ninBlock(1, 96, kernelSize: 11, stride: 4, padding: 0)
        MaxPool2d(kernelSize: 3, stride: 2)
        ninBlock(96, 256, kernelSize: 5, stride: 1, padding: 2)
        MaxPool2d(kernelSize: 3, stride: 2)
        ninBlock(256, 384, kernelSize: 3, stride: 1, padding: 1)
        MaxPool2d(kernelSize: 3, stride: 2)
        Dropout(0.5)
        ninBlock(384, 10, kernelSize: 3, stride: 1, padding: 1)
        AdaptiveAvgPool2d(1)
        Flatten()
    }
}

/*:
 ## Running the lesson

 Because NiN has no dense layer, its input size is free. In class we train at 96×96 instead of
 224×224: 108 million multiply-adds per image instead of 762 million, about seven times less.
 */
/*:zh
 ## 运行本课

 NiN 没有全连接层，所以输入尺寸可以自由选择。课堂上我们用 96×96 而不是 224×224 来训练：
 每张图像的乘加运算从 7.62 亿次降到 1.08 亿次，大约只有原来的七分之一。
 */
public let ninLesson = Lesson(
    name: "nin", title: "NiN",
    summary: Localized("Network in Network (2013): 1×1 convolutions and global average pooling instead of dense layers",
        zh: "网络中的网络（2013）：用 1×1 卷积和全局平均汇聚层取代全连接层"),
    inClass: LessonSettings(epochs: 4, batchSize: 32, lr: 0.1, trainSize: 8000, testSize: 1000, resize: 96),
    book: LessonSettings(epochs: 10, batchSize: 128, lr: 0.1, resize: 224),
    inClassNote: Localized("In class: 96×96 images (NiN accepts any size from 67×67), 8,000 training and 1,000 test images for 4 epochs "
        + "in batches of 32, about 3 minutes on two cores; the book trains on all 60,000 at 224×224 for 10 epochs.",
        zh: "课堂设置：96×96 的图像（NiN 接受 67×67 及以上的任意尺寸），8,000 张训练图像和 1,000 张测试图像，批量大小为 32，"
            + "训练 4 个迭代周期，在两个核心上约需 3 分钟；书中则在 224×224 下用全部 60,000 张图像训练 10 个迭代周期。"),
    network: LessonNetwork("NiN", year: 2013,
        idea: Localized("1×1 convs, global average pool", zh: "1×1 卷积，全局平均汇聚"), make: { nin() })
) { nb in
    let net = nin()

/*:
 ### Shapes, layer by layer

 On the book's 224×224 input, the first block and the three max poolings shrink the image to
 54, 26, 12 and 5 while the channels go to 96, 256, 384 and finally 10.
 */
/*:zh
 ### 逐层查看形状

 在书中 224×224 的输入上，第一个块和三个最大汇聚层把图像依次缩小到 54、26、12 和 5，通道数则依次变为 96、256、384，
 最后是 10。
 */
    try nb.walkThrough(net, input: [1, 1, 224, 224], depth: 2)

/*:
 About 2 million parameters against AlexNet's 46.8 million, for a similar amount of arithmetic:
 the dense layers were where AlexNet's parameters were.

 ## Training

 NiN is slow to get going: expect the loss to sit near 2.30 (random guessing) for an epoch or
 two before it falls.
 */
/*:zh
 参数约 200 万个，而 AlexNet 有 4,680 万个，两者的计算量却相差不多：AlexNet 的参数原本就集中在
 全连接层里。

 ## 训练

 NiN 起步很慢：损失会先在 2.30 附近（相当于随机猜测）停留一两个迭代周期，然后才开始下降。
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 At 224×224 the last block's ten maps are 5×5: the evidence for each class at each position,
 before averaging, and the true class's channel is brightest where the garment is (run with
 `--resize 224` to see it). At the in-class 96×96 they are 1×1 already, one number each: the
 class scores themselves, before softmax.
 */
/*:zh
 ## 看看网络内部

 在 224×224 下，最后一个块输出的十张特征图都是 5×5：它们是取平均之前，每个类别在每个位置上的证据；
 真实类别对应的通道在衣物所在之处最亮（用 `--resize 224` 运行即可看到）。而在课堂使用的 96×96 下，
 它们已经是 1×1，每张只剩一个数：这就是 softmax 之前的类别得分本身。
 */
    try nb.show(Filters(net, firstOnly: true))
    try nb.show(FeatureMaps(net, on: data))
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 With `--image photo.jpg` (and `--checkpoint output/nin/nin.safetensors`) your own photo goes
 through NiN. Its last block has one channel per class, so its 1×1 maps, drawn as bars, are
 the network's ten votes for your photo before softmax.
 */
/*:zh
 ## 用你自己的图像

 加上 `--image photo.jpg`（以及 `--checkpoint output/nin/nin.safetensors`），你自己的照片就会
 送进 NiN。它的最后一个块每个类别对应一个通道，因此把这些 1×1 的特征图画成柱状图，
 就是网络在 softmax 之前为你的照片投出的十张票。
 */
    try nb.show(YourImage(net, on: data))

/*:
 ## Things to try

 1. Run at the book's size with `--resize 224`: how much slower is an epoch, and is it more
    accurate?
 2. Remove the two 1×1 convolutions from `ninBlock`. How many parameters does that save, and
    what happens to the accuracy?
 3. NiN is known to be touchy at the start of training. Try `--lr 0.05` and `--lr 0.2`.
 */
/*:zh
 ## 动手试一试

 1. 用 `--resize 224` 按书中的尺寸运行：每个迭代周期慢了多少？准确率是否更高？
 2. 去掉 `ninBlock` 中的两个 1×1 卷积层。这能省下多少参数？准确率又会怎样？
 3. NiN 在训练初期出了名地难以驾驭。试试 `--lr 0.05` 和 `--lr 0.2`。
 */
}
