/*:
 # Batch normalization

 In 2015 Sergey Ioffe and Christian Szegedy proposed a simple layer: normalize each layer's
 inputs over the minibatch. Their reason was that every layer's input keeps changing as the
 layers below learn (the scale and offset of what they pass up drift), so each layer chases a
 moving target; they called this *internal covariate shift*. Later work questioned that
 explanation (the book calls it contested), but not the result.

 A **batch normalization** layer takes, for each channel, the mean μ and variance σ² of its
 values over the minibatch (for images, over every position too), standardizes them,
 x̂ = (x − μ) / √(σ² + ε), and then lets the network undo this if it wants: y = γ·x̂ + β, with γ
 and β learned per channel. During training it keeps running averages of μ and σ²; at test time
 it uses those, so a prediction does not depend on which other images share its batch.

 In practice it lets networks train faster, with larger learning rates, and less sensitive to
 initialization. Why it works is still argued about; that it works is not, and every network
 after this point in the chapter uses it.

 This lesson puts it into LeNet, as the book does: a batch-norm layer after every convolution and
 every dense layer but the last, before the sigmoid.
 */
/*:zh
 # 批量规范化

 2015 年，Sergey Ioffe 和 Christian Szegedy 提出了一种简单的层：在小批量上对每一层的输入做规范化。
 他们的理由是：随着下面各层的学习，每一层的输入都在不断变化（下层传上来的数值，其尺度和偏移都在漂移），
 于是每一层都在追逐一个移动的目标；他们把这种现象称为*内部协变量偏移*（internal covariate shift）。
 后来的研究对这一解释提出了质疑（本书称其存在争议），但并没有质疑它的效果。

 **批量规范化**层对每个通道，在小批量上（对图像而言，还要遍及所有位置）计算取值的均值 μ 和方差 σ²，
 据此做标准化，x̂ = (x − μ) / √(σ² + ε)，然后再允许网络在需要时把这一步撤销：y = γ·x̂ + β，
 其中 γ 和 β 是逐通道学习的参数。训练时，它维护 μ 和 σ² 的移动平均；测试时就用这些平均值，
 这样一来，一个预测结果就不会取决于同一批次里恰好还有哪些其他图像。

 在实践中，它让网络训练得更快，能使用更大的学习率，对初始化也不那么敏感。它为什么有效，至今仍有争论；
 它确实有效，这一点则毫无争议，本章此后的每个网络都用到了它。

 本课像书中那样把它加入 LeNet：在每个卷积层之后、以及除最后一层之外的每个全连接层之后，
 都加一个批量规范化层，位置在 sigmoid 之前。
 */
import Datasets
import Foundation
import Localization
import NN
import Notebook
import Tensors

/*:
 ## The network

 LeNet with `BatchNorm2d` after each convolution (normalizing each of its channels over the
 batch and all positions) and `BatchNorm1d` after the first two dense layers. The first
 convolution has no padding here, so the images shrink to 24, 12, 8 and 4, and the first dense
 layer sees 16 × 4 × 4 = 256 numbers.
 */
/*:zh
 ## 网络

 在 LeNet 的每个卷积层之后加上 `BatchNorm2d`（在整个批量和所有位置上对每个通道分别做规范化），
 在前两个全连接层之后加上 `BatchNorm1d`。这里第一个卷积层不加填充，因此图像依次缩小为 24、12、8 和 4，
 第一个全连接层看到的是 16 × 4 × 4 = 256 个数。
 */
public func batchNormLeNet() -> Sequential {
    Sequential {
        Conv2d(1, 6, kernelSize: 5); BatchNorm2d(6); Sigmoid()
        AvgPool2d(kernelSize: 2, stride: 2)
        Conv2d(6, 16, kernelSize: 5); BatchNorm2d(16); Sigmoid()
        AvgPool2d(kernelSize: 2, stride: 2)
        Flatten()
        Linear(16 * 4 * 4, 120); BatchNorm1d(120); Sigmoid()
        Linear(120, 84); BatchNorm1d(84); Sigmoid()
        Linear(84, 10)
    }
}

/*:
 ## Running the lesson

 The book trains it with a learning rate of 1.0, even larger than LeNet's 0.9, for 10 epochs.
 */
/*:zh
 ## 运行本课

 书中用 1.0 的学习率训练它 10 个迭代周期，这比 LeNet 的 0.9 还要大。
 */
public let batchNormLesson = Lesson(
    name: "batchnorm", title: "LeNet with batch normalization",
    summary: Localized("Batch normalization (2015): LeNet with normalized layer inputs trains much faster",
        zh: "批量规范化（2015）：对各层输入做规范化之后，LeNet 训练得快得多"),
    inClass: LessonSettings(epochs: 10, batchSize: 256, lr: 1.0),
    book: LessonSettings(epochs: 10, batchSize: 256, lr: 1.0),
    network: LessonNetwork("BN-LeNet", year: 2015,
        idea: Localized("batch normalization", zh: "批量规范化"), make: { batchNormLeNet() })
) { nb in
    let net = batchNormLeNet()
    try nb.walkThrough(net, input: [1, 1, 28, 28])

/*:
 Batch norm adds only 2 learned numbers per channel (γ and β): 452 in all for the 226 channels
 of its four layers, plus the running statistics, which are not learned by gradient descent.

 ## Training
 */
/*:zh
 批量规范化每个通道只增加 2 个可学习的数（γ 和 β）：四个批量规范化层共有 226 个通道，合计 452 个；
 另外还有移动统计量，但它们不是通过梯度下降学出来的。

 ## 训练
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 Compare with plain LeNet: where it sat on a plateau at loss 2.3 for the first epochs, this one
 starts learning at once. The picture puts the two runs side by side (run `lenet` first if it
 has not been run).
 */
/*:zh
 和普通的 LeNet 比一比：它在最初几个迭代周期里一直停在损失 2.3 的平台上，而这个网络一开始就在学习。
 图中把两次训练并排展示（如果还没运行过 `lenet`，请先运行它）。
 */
    try nb.compareTraining(with: leNetLesson)

/*:
 ## What batch norm learned

 The first batch-norm layer's γ (scale) and β (shift) for the 6 channels of the first
 convolution. With γ = 1 and β = 0 the layer would pass standardized values straight on; the
 learned values show how far the network chose to move from that.
 */
/*:zh
 ## 批量规范化学到了什么

 下面是第一个批量规范化层为第一个卷积层的 6 个通道学到的 γ（缩放）和 β（平移）。若 γ = 1、β = 0，
 这一层就只是把标准化后的值原样向后传递；学到的值表明，网络选择离这个起点走了多远。
 */
    let first = net.layers[1] as! BatchNorm
    let format = { (t: Tensor) in t.scalars.map { String(format: "%.3f", $0) }.joined(separator: "  ") }
    try nb.say("gamma: \(format(first.weight))\nbeta:  \(format(first.bias))")

/*:
 ## Looking inside

 One test image through the trained network. After each convolution batch norm standardizes
 every channel, and then its γ and β (printed above) choose where on the sigmoid the channel
 lands. Trained, they are large: many values are pushed far into the sigmoid's flat ends, so the
 maps come out high-contrast, almost two-valued. Compare them with plain LeNet's `feature-maps`
 pictures.
 */
/*:zh
 ## 看看网络内部

 一张测试图像经过训练好的网络。每个卷积层之后，批量规范化先把每个通道标准化，
 再由该通道的 γ 和 β（上面打印出来了）决定它落在 sigmoid 的哪一段。
 训练之后它们都不小：许多值被推到 sigmoid 平坦的两端，于是特征图对比强烈，几乎只剩两种取值。
 把它们和普通 LeNet 的 `feature-maps` 图比较一下。
 */
    try nb.show(FeatureMaps(net, on: data))

/*:
 And the predictions on the first test images: after the same ten epochs, fewer red frames than
 plain LeNet's.
 */
/*:zh
 以及对前几张测试图像的预测：同样训练十个迭代周期，红框比普通 LeNet 的少。
 */
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 `--image photo.jpg` (with `--checkpoint output/batchnorm/batchnorm.safetensors`) classifies
 a photo of your own. Preparing it evens out the lighting first (the photo is divided by its
 background's colour), and in evaluation mode each batch norm layer then normalizes with the
 running statistics of the training images, not your photo's own: one fixed shift and scale for
 every input, typical or not.
 */
/*:zh
 ## 用你自己的图像

 `--image photo.jpg`（配合 `--checkpoint output/batchnorm/batchnorm.safetensors`）会对你自己的一张照片分类。
 预处理会先抹平光照的差别（照片被除以它背景的颜色）；在评估模式下，
 每个批量规范化层再用训练图像的移动统计量做规范化，而不是用你这张照片自己的统计量：
 无论输入典型与否，平移和缩放都是同一套固定的数值。
 */
    try nb.show(YourImage(net, on: data))

/*:
 ## Things to try

 1. Lower the learning rate tenfold, `--lr 0.1` (this lesson uses 1.0, plain LeNet 0.9). Is batch norm still
    ahead?
 2. Train with `--batch-size 16`. The statistics of a small batch are noisy: what happens?
 3. Move each `BatchNorm` after its `Sigmoid` instead of before. The original paper put it
    before the non-linearity; does it matter here?
 */
/*:zh
 ## 动手试一试

 1. 把学习率降为十分之一，`--lr 0.1`（本课用的是 1.0，普通 LeNet 用的是 0.9）。批量规范化还能领先吗？
 2. 用 `--batch-size 16` 训练。小批量的统计量噪声很大：会发生什么？
 3. 把每个 `BatchNorm` 从对应的 `Sigmoid` 之前移到之后。原论文把它放在非线性激活函数之前；
    在这里这样做有区别吗？
 */
}
