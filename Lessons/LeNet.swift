/*:
 # LeNet: the first convolutional network to earn its keep

 In 1989 Yann LeCun and his colleagues at AT&T Bell Labs trained a network by backpropagation
 to read handwritten ZIP codes; its 1998 descendant, LeNet-5, read the amounts on millions of
 bank cheques. It was the first convolutional network used at scale, and every network in this
 chapter is its descendant.

 LeNet has two parts:

 - a **convolutional encoder**: two blocks, each a 5×5 convolution, a sigmoid and a 2×2 average
   pooling. The convolutions look for small local patterns (edges, strokes); pooling halves the
   resolution, so the next block sees larger patterns and cares less about exactly where they are.
 - a **dense classifier**: three fully connected layers (120, 84 and 10 units) that turn the
   encoder's 16 feature maps into one score per class.

 Why sigmoid and average pooling, when today's networks use ReLU and max pooling? Because that
 is what 1989 had: smooth squashing functions were the norm until ReLU took over around 2011,
 and "subsampling" by averaging was the natural way to shrink an image.

 *Where the book's version departs from the paper:* the logistic sigmoid where LeNet-5 used a
 scaled hyperbolic tangent (1.7159 · tanh(2x/3)), full connections between all channels (the
 paper hand-picked which of the 6 maps feed each of the 16), plain average pooling (the paper's
 had trainable weights), and a softmax classifier instead of the paper's Euclidean radial basis function (RBF) output units.
 We train it on Fashion-MNIST, 28×28 photos of clothing, which is harder than digits.
 */
/*:zh
 # LeNet：第一个真正派上用场的卷积网络

 1989 年，AT&T 贝尔实验室的 Yann LeCun 和同事用反向传播训练了一个网络，
 让它识别手写的邮政编码；它在 1998 年的后继者 LeNet-5 读过数以百万计的银行支票上的金额。
 这是第一个被大规模投入实际使用的卷积网络，本章中的每一个网络都由它演变而来。

 LeNet 由两部分组成：

 - **卷积编码器**：两个块，每块依次是一个 5×5 卷积层、一个 sigmoid 和一个 2×2 平均汇聚层。
   卷积层寻找小的局部模式（边缘、笔画）；汇聚层把分辨率减半，
   于是下一个块看到的是更大的模式，也不再那么在意这些模式的确切位置。
 - **全连接分类器**：三个全连接层（分别有 120、84 和 10 个单元），
   把编码器输出的 16 个特征图变成每个类别一个得分。

 如今的网络用的都是 ReLU 和最大汇聚层，LeNet 为什么用 sigmoid 和平均汇聚层？
 因为 1989 年能用的就是这些：在 ReLU 于 2011 年前后占据主流之前，平滑的“挤压”函数一直是标准做法；
 而用取平均的办法做“下采样”（subsampling），是缩小图像最自然的方式。

 *本书版本与原论文的不同之处：* 激活函数用 logistic sigmoid，而 LeNet-5 用的是缩放过的双曲正切
 （1.7159 · tanh(2x/3)）；所有通道之间全部相连（原论文手工指定了 16 个特征图中的每一个由 6 个特征图中的哪几个输入）；
 用普通的平均汇聚（原论文的汇聚层带有可训练的权重）；输出端用 softmax 分类器，而不是原论文的欧氏径向基函数（RBF）输出单元。
 我们在 Fashion-MNIST 上训练它，这是一个 28×28 服装照片的数据集，比手写数字更难。
 */
import Datasets
import Localization
import NN
import Notebook
import Tensors

/*:
 ## The network

 The first convolution pads its 28×28 input by 2 on every side, so its 5×5 kernels produce a
 28×28 output, as the paper's 32×32 inputs did. The second convolution has no padding:
 14×14 shrinks to 10×10. `Flatten` turns the 16×5×5 maps into 400 numbers for the dense layers.
 */
/*:zh
 ## 网络

 第一个卷积层在 28×28 输入的每一边各填充 2 个像素，因此它的 5×5 卷积核输出的仍是 28×28，
 和原论文中 32×32 的输入得到的输出一样大。第二个卷积层不加填充：14×14 缩小为 10×10。
 `Flatten` 把 16×5×5 的特征图展平成 400 个数，交给全连接层。
 */
public func leNet() -> Sequential {
    Sequential {
        Conv2d(1, 6, kernelSize: 5, padding: 2); Sigmoid()
        AvgPool2d(kernelSize: 2, stride: 2)
        Conv2d(6, 16, kernelSize: 5); Sigmoid()
        AvgPool2d(kernelSize: 2, stride: 2)
        Flatten()
        Linear(16 * 5 * 5, 120); Sigmoid()
        Linear(120, 84); Sigmoid()
        Linear(84, 10)
    }
}

/*:
 ## Running the lesson

 The code below is what `swift run lesson lenet` runs; `nb` is the notebook it writes to.
 */
/*:zh
 ## 运行本课

 下面就是 `swift run lesson lenet` 所运行的代码；`nb` 是它写入结果的笔记本。
 */
public let leNetLesson = Lesson(
    name: "lenet", title: "LeNet",
    summary: Localized("LeNet (1989/1998): two conv blocks and three dense layers; sigmoid, average pooling",
        zh: "LeNet（1989/1998）：两个卷积块加三个全连接层；sigmoid 激活函数，平均汇聚层"),
    inClass: LessonSettings(epochs: 10, batchSize: 256, lr: 0.9),
    book: LessonSettings(epochs: 10, batchSize: 256, lr: 0.9),
    network: LessonNetwork("LeNet", year: 1998,
        idea: Localized("convolutions + pooling, then dense", zh: "先卷积 + 汇聚，再全连接"), make: { leNet() })
) { nb in
    let net = leNet()

/*:
 ### Shapes, layer by layer

 Pass one 28×28 image through the network and watch its shape change (random pixels for the
 table; in step mode, test image 0 of Fashion-MNIST, with its feature maps). Convolutions
 change the number of channels and (without padding) shrink the image; pooling halves height
 and width; `Flatten` makes one long vector; the dense layers end at 10 class scores.
 */
/*:zh
 ### 逐层查看形状

 让一张 28×28 的图像穿过网络，观察它的形状如何变化（表格用的是随机像素；
 在逐步模式下用的是 Fashion-MNIST 的第 0 张测试图像，并显示它的特征图）。
 卷积层改变通道数，（不加填充时）还会缩小图像；汇聚层把高和宽减半；
 `Flatten` 把它变成一个长向量；全连接层最后输出 10 个类别得分。
 */
    try nb.walkThrough(net, input: [1, 1, 28, 28])

/*:
 Almost all the parameters sit in the dense layers (the first alone has 400 × 120 weights),
 while almost all the arithmetic happens in the convolutions, which reuse their few weights at
 every position of the image.

 ## Training

 We train with minibatch stochastic gradient descent on the cross-entropy loss, starting from
 Xavier-initialized weights. The learning rate of 0.9 looks enormous; sigmoid networks need it,
 because the sigmoid's gradient is at most 1/4 and shrinks further with every layer it passes.
 */
/*:zh
 几乎所有参数都集中在全连接层（仅第一个全连接层就有 400 × 120 个权重），
 而几乎所有计算都发生在卷积层：卷积层只有很少的权重，却在图像的每个位置上反复使用它们。

 ## 训练

 我们从 Xavier 初始化的权重出发，用小批量随机梯度下降最小化交叉熵损失。
 0.9 的学习率看起来大得惊人，但 sigmoid 网络就需要这么大：
 sigmoid 的梯度最大只有 1/4，梯度每反向穿过一层都会再缩小一些。
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 The first layer's six 5×5 kernels are small enough to read: blue weights subtract, red ones
 add. Trained kernels usually look like edge and stroke detectors at different angles; the
 second layer's 16×6 kernels combine the first layer's maps.
 */
/*:zh
 ## 看看网络内部

 第一层的六个 5×5 卷积核小到可以直接看懂：蓝色的权重起减的作用，红色的起加的作用。
 训练好的卷积核通常像是不同角度的边缘和笔画检测器；
 第二层的 16×6 个卷积核则把第一层输出的特征图组合起来。
 */
    try nb.show(Filters(net))

/*:
 Now follow one test image through the network. After the first block the six maps are
 still recognisably the garment, each highlighting different edges; after the second, the 16
 maps of 5×5 are too coarse to look like anything, yet they are all the dense layers get.
 */
/*:zh
 现在跟着一张测试图像走一遍网络。经过第一个块后，六个特征图仍然看得出是那件衣服，
 每个特征图突出的边缘各不相同；经过第二个块后，16 个 5×5 的特征图已经粗糙得看不出任何东西，
 可全连接层能拿到的就只有这些。
 */
    try nb.show(FeatureMaps(net, on: data))

/*:
 Finally the predictions on the first test images. Which classes does LeNet confuse? The
 confusion matrix under the training cell counts every test image: shirts are its weakest class,
 most often taken for T-shirts and pullovers, and coats for pullovers. At 28×28 pixels these
 garments differ in a collar or a sleeve's length, a few pixels that the 5×5 maps after the
 second pooling have all but averaged away.
 */
/*:zh
 最后看看网络对前几张测试图像的预测。LeNet 会把哪些类别弄混？
 训练单元下方的混淆矩阵统计了每一张测试图像：Shirt（衬衫）是它最弱的类别，
 最常被认成 T-shirt/top（T 恤）和 Pullover（套头衫），Coat（外套）则常被认成 Pullover。
 在 28×28 像素下，这几类衣服的区别只在于一个领子或袖子的长短，只有寥寥几个像素，
 而第二个汇聚层之后 5×5 的特征图几乎已经把它们平均掉了。
 */
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 Photograph a garment on a plain background and run the lesson with `--image photo.jpg` (add
 `--checkpoint output/lenet/lenet.safetensors` to skip training). The photo is trimmed, scaled
 to 28 pixels and inverted as Fashion-MNIST's product photos were, then classified and followed
 through the layers. A photo unlike the data set's (a busy background, a garment seen from the
 side) shows how narrow 60,000 catalogue images are.
 */
/*:zh
 ## 你自己的图像

 在素净的背景前拍一件衣服，然后用 `--image photo.jpg` 运行本课
 （加上 `--checkpoint output/lenet/lenet.safetensors` 可以跳过训练）。
 照片会像 Fashion-MNIST 的商品照片当初那样被裁边、缩放到 28 像素并反色，
 然后交给网络分类，并逐层展示它的变化。
 如果照片和数据集里的不一样（背景杂乱，或者从侧面拍的衣服），
 你就会看到 60,000 张商品目录图片覆盖的范围有多窄。
 */
    try nb.show(YourImage(net, on: data))

/*:
 ## Things to try

 1. Run `swift run lesson lenet --lr 0.1`. How far does the loss get in 10 epochs? Sigmoid
    networks learn slowly with small steps.
 2. In this file, replace every `Sigmoid()` with `ReLU()` and run with `--lr 0.1`. Does the
    test accuracy rise faster?
 3. Train on fewer examples with `--train-size 2000`. The gap between training and test
    accuracy is overfitting: how large is it?
 */
/*:zh
 ## 动手试一试

 1. 运行 `swift run lesson lenet --lr 0.1`。10 个迭代周期里损失能降到多少？
    步子小的时候，sigmoid 网络学得很慢。
 2. 在本文件中把所有 `Sigmoid()` 换成 `ReLU()`，再用 `--lr 0.1` 运行。
    测试准确率是否上升得更快？
 3. 用 `--train-size 2000` 在更少的样本上训练。训练准确率和测试准确率之间的差距就是过拟合：
    这个差距有多大？
 */
}
