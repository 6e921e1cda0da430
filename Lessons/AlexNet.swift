/*:
 # AlexNet: deep learning wins ImageNet

 In 2012 Alex Krizhevsky, Ilya Sutskever and Geoffrey Hinton entered a convolutional network in
 the ImageNet challenge (1.2 million photos, 1,000 classes) and won by a margin nobody expected:
 a top-5 error of 15.3 %, against 26.2 % for the best entry built on hand-designed features.
 After that year, computer vision was deep learning.

 Architecturally AlexNet is LeNet made much bigger: five convolutional layers instead of two,
 dense layers of 4,096 units instead of 120, and 11×11 kernels with stride 4 at the bottom to
 shrink a 224×224 photo quickly. What made it trainable was everything around the shape:

 - **ReLU** instead of sigmoid: its gradient does not vanish for large inputs, so a deep stack
   trains faster and is less sensitive to how its weights start.
 - **Dropout** in the dense layers, which hold most of the paper's 60 million parameters and
   would otherwise memorize the training set. (This 1-channel, 10-class version has 46.8
   million.)
 - **Max pooling** with overlapping 3×3 windows, and data augmentation (flips, crops, colour).
 - **GPUs**: the network was split across two 3 GB cards, trained for about a week.

 *Where the book's version departs from the paper:* one input channel and 10 classes for
 Fashion-MNIST (the images upsampled from 28×28 to 224×224), a single stream instead of the two
 GPU halves, and no local response normalization (a layer later work showed unnecessary).
 */
/*:zh
 # AlexNet：深度学习赢下 ImageNet

 2012 年，Alex Krizhevsky、Ilya Sutskever 和 Geoffrey Hinton 带着一个卷积网络参加了 ImageNet 挑战赛
 （120 万张照片，1,000 个类别），并以谁也没想到的优势夺冠：
 top-5 错误率为 15.3 %，而基于手工设计特征的最好参赛方案是 26.2 %。
 从那一年起，计算机视觉就成了深度学习的天下。

 从结构上看，AlexNet 就是放大了许多倍的 LeNet：卷积层从两个增加到五个，
 全连接层从 120 个单元扩大到 4,096 个，最底层用步幅为 4 的 11×11 卷积核，把 224×224 的照片迅速缩小。
 真正让它训练得起来的，是结构之外的种种改进：

 - **ReLU** 取代 sigmoid：输入很大时它的梯度不会消失，
   因此很深的网络训练得更快，对权重的初始值也不那么敏感。
 - 全连接层中使用**暂退法**（dropout）：论文中 6,000 万个参数大多集中在全连接层，
   不加暂退法它们就会把训练集背下来。（本课这个单通道、10 个类别的版本有 4,680 万个参数。）
 - 窗口为 3×3、相互重叠的**最大汇聚层**，以及数据增广（翻转、裁剪、颜色变换）。
 - **GPU**：网络被拆分到两块 3 GB 显存的显卡上，训练了大约一周。

 *本书版本与原论文的不同之处：* 为了适配 Fashion-MNIST，输入只有一个通道，输出只有 10 个类别
 （图像从 28×28 上采样到 224×224）；只用一条通路，而不是分在两块 GPU 上的两半；
 也没有局部响应归一化（后来的研究表明这一层并无必要）。
 */
import Datasets
import Localization
import NN
import Notebook
import Tensors

/*:
 ## The network

 Read it in three parts: a wide first layer that sees 11×11 patches with stride 4, then four
 more convolutions (a 5×5, then three 3×3 in a row) with max pooling after the first layer, after
 the 5×5 and after the last 3×3, and a classifier of two 4,096-unit dense layers with dropout. The convolutions' padding keeps the size within each stage; only the first
 convolution and the pooling layers shrink the image, from 224 to 54, 26, 12 and finally 5.
 */
/*:zh
 ## 网络

 可以把它分成三部分来读：第一层很宽，以步幅 4 观察 11×11 的图像块；
 接着是另外四个卷积层（一个 5×5，然后连续三个 3×3），
 在第一层之后、5×5 卷积层之后和最后一个 3×3 卷积层之后各有一个最大汇聚层；
 最后是由两个 4,096 单元、带暂退法的全连接层组成的分类器。卷积层的填充使每一段内部的尺寸保持不变；
 只有第一个卷积层和各汇聚层会缩小图像：从 224 依次变为 54、26、12，最后是 5。
 */
public func alexNet() -> Sequential {
    Sequential {
        Conv2d(1, 96, kernelSize: 11, stride: 4, padding: 1); ReLU()
        MaxPool2d(kernelSize: 3, stride: 2)
        Conv2d(96, 256, kernelSize: 5, padding: 2); ReLU()
        MaxPool2d(kernelSize: 3, stride: 2)
        Conv2d(256, 384, kernelSize: 3, padding: 1); ReLU()
        Conv2d(384, 384, kernelSize: 3, padding: 1); ReLU()
        Conv2d(384, 256, kernelSize: 3, padding: 1); ReLU()
        MaxPool2d(kernelSize: 3, stride: 2)
        Flatten()
        Linear(6400, 4096); ReLU(); Dropout(0.5)
        Linear(4096, 4096); ReLU(); Dropout(0.5)
        Linear(4096, 10)
    }
}

/*:
 ## Running the lesson
 */
/*:zh
 ## 运行本课
 */
public let alexNetLesson = Lesson(
    name: "alexnet", title: "AlexNet",
    summary: Localized("AlexNet (2012): LeNet scaled up, with ReLU, dropout and max pooling; 224×224 inputs",
        zh: "AlexNet（2012）：放大版的 LeNet，使用 ReLU、暂退法和最大汇聚层；输入为 224×224"),
    inClass: LessonSettings(epochs: 2, batchSize: 64, lr: 0.05, trainSize: 2000, testSize: 1000, resize: 224),
    book: LessonSettings(epochs: 10, batchSize: 128, lr: 0.01, resize: 224),
    inClassNote: Localized("In class: 2,000 training and 1,000 test images for 2 epochs, in batches of 64 with lr 0.05 (more, "
        + "larger steps for the little data), about 3 minutes on two cores; the book's run takes about 6 hours here.",
        zh: "课堂版：用 2,000 张训练图像和 1,000 张测试图像训练 2 个迭代周期，批量大小 64，学习率 0.05"
        + "（数据少，所以步数更多、步子更大），在两个核上约需 3 分钟；按书中设置运行，在这里约需 6 小时。"),
    network: LessonNetwork("AlexNet", year: 2012,
        idea: Localized("bigger, ReLU, dropout", zh: "更大，ReLU，暂退法"), make: { alexNet() })
) { nb in
    let net = alexNet()

/*:
 ### Shapes, layer by layer

 A 224×224 input leaves the first convolution as 96 maps of 54×54: ⌊(224 + 2·1 − 11) / 4⌋ + 1 = 54.
 Watch where the 6,400 inputs of the first dense layer come from: 256 channels of 5×5.
 */
/*:zh
 ### 逐层查看形状

 一张 224×224 的输入经过第一个卷积层后，变成 96 个 54×54 的特征图：⌊(224 + 2·1 − 11) / 4⌋ + 1 = 54。
 注意第一个全连接层的 6,400 个输入从何而来：256 个通道，每个 5×5。
 */
    try nb.walkThrough(net, input: [1, 1, 224, 224])

/*:
 The table makes AlexNet's imbalance plain: the convolutions do nearly all the arithmetic, the
 dense layers hold nearly all the parameters (the first one alone, 6,400 × 4,096 = 26 million).

 ## Training

 The same loop as LeNet's, with a much smaller learning rate: ReLU networks do not need the
 large steps that sigmoid ones did. Each image now costs over 2,000 times LeNet's arithmetic, so
 in class we train on a few thousand images only; expect well above chance (10 %), not the
 book's 88 %.
 */
/*:zh
 这张表把 AlexNet 的不平衡暴露无遗：几乎所有计算都由卷积层完成，
 几乎所有参数却都在全连接层（仅第一个全连接层就有 6,400 × 4,096 = 2,600 万个）。

 ## 训练

 训练循环与 LeNet 的相同，只是学习率小得多：ReLU 网络不需要 sigmoid 网络那样的大步长。
 现在每张图像的计算量是 LeNet 的 2,000 多倍，所以课堂上只用几千张图像训练；
 结果应当明显高于随机猜测（10 %），但达不到书中的 88 %。
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 The 96 first-layer kernels of 11×11 are AlexNet's famous picture. Trained on ImageNet they
 become oriented edges and colour blobs; on a few thousand upsampled clothes images, in a few
 minutes, expect only the beginnings of such structure.
 */
/*:zh
 ## 看看网络内部

 第一层的 96 个 11×11 卷积核就是 AlexNet 那张著名的图。在 ImageNet 上训练后，
 它们会变成各种方向的边缘和色块；而在几千张上采样的服装图像上只训练几分钟，
 只能指望看到这类结构的一点雏形。
 */
    try nb.show(Filters(net, firstOnly: true))

/*:
 One test image through the convolutional stages: 96, then 256 and 384 channels of shrinking
 maps. (Only the first 32 channels of each are drawn.)
 */
/*:zh
 一张测试图像穿过各个卷积阶段：先是 96 个通道，然后是 256 个、384 个通道，特征图越来越小。
 （每一层只画出前 32 个通道。）
 */
    try nb.show(FeatureMaps(net, on: data))
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 The same photo test as in LeNet's lesson: `--image photo.jpg`, with `--checkpoint
 output/alexnet/alexnet.safetensors` to skip training. AlexNet gets it at 224×224, upscaled from
 the 28×28 image as the data set is: eight times the side, no more detail. Does the deeper
 network agree with LeNet about your photo?
 */
/*:zh
 ## 你自己的图像

 和 LeNet 那一课一样的照片测试：`--image photo.jpg`，
 加上 `--checkpoint output/alexnet/alexnet.safetensors` 可以跳过训练。
 AlexNet 看到的是 224×224 的图像，它和数据集里的图像一样由 28×28 放大而来：
 边长是原来的八倍，细节却一点也没有增加。
 更深的网络对你的照片的判断和 LeNet 一致吗？
 */
    try nb.show(YourImage(net, on: data))

/*:
 ## Things to try

 1. `swift run lesson alexnet --train-size 6000 --epochs 3`: three times the images for one
    more epoch, four and a half times the training time. How much does accuracy gain?
 2. Set both `Dropout(0.5)` to `Dropout(0)` in this file. Does training accuracy pull away from
    test accuracy sooner?
 3. Why must the input stay near 224×224 here? Try `--resize 160` and read the error: which layer
    fails, and which number in the network would have to change?
 */
/*:zh
 ## 动手试一试

 1. `swift run lesson alexnet --train-size 6000 --epochs 3`：图像多到三倍，再多训练一轮，
    训练时间变成四倍半。准确率能提高多少？
 2. 在本文件中把两个 `Dropout(0.5)` 都改成 `Dropout(0)`。训练准确率是否更早地与测试准确率拉开差距？
 3. 为什么这里的输入必须保持在 224×224 附近？试试 `--resize 160` 并读一读报错信息：
    是哪一层出错？网络中的哪个数字需要改？
 */
}
