/*:
 # The chapter side by side

 Eight networks in eight lessons, from LeNet's 62 thousand parameters to AlexNet's 46.8 million
 (full-width VGG-11 has 129 million; its lesson trains a version with a quarter of the channels,
 43.1 million). What
 did each design buy, and at what cost? This lesson builds every network of the chapter, counts
 its parameters and arithmetic, measures its speed on this machine right now, and collects the
 accuracy and training time of each lesson's last run (from `output/<lesson>/metrics.json`).
 */
/*:zh
 # 本章网络对比

 八节课，八个网络：参数量从 LeNet 的 6.2 万到 AlexNet 的 4,680 万不等
 （全宽度的 VGG-11 有 1.29 亿个参数；VGG 那一课训练的是通道数只有四分之一的版本，有 4,310 万个参数）。
 每种设计换来了什么，又付出了什么代价？本课构建本章的每一个网络，统计它的参数量和计算量，
 当场测量它在这台机器上的速度，并收集每节课最近一次运行的准确率和训练时间
 （来自 `output/<lesson>/metrics.json`）。
 */
import Localization
import NN
import Notebook

/*:
 ## The networks

 Each lesson names its network; each is measured at the size the book trains it at: 28×28 for
 the LeNets, 224×224 for AlexNet, VGG and NiN, 96×96 for the rest (in class, NiN trains at 96
 and GoogLeNet at 64). VGG is the narrow version that its lesson trains.
 */
/*:zh
 ## 各个网络

 每节课都指明了自己的网络；每个网络都按书中训练它时的输入尺寸来测量：LeNet 系列为 28×28，
 AlexNet、VGG 和 NiN 为 224×224，其余为 96×96（课堂上 NiN 用 96 训练，GoogLeNet 用 64）。
 VGG 用的是它那一课所训练的窄版本。
 */
public let compareLesson = Lesson(
    name: "compare", title: "The chapter compared",
    summary: Localized("Every network side by side: parameters, arithmetic, memory, speed here, accuracy of the last runs",
        zh: "所有网络并排比较：参数量、计算量、内存、在本机上的速度，以及最近几次运行的准确率"),
    inClass: LessonSettings(epochs: 1, batchSize: 16, lr: 0.01),
    book: LessonSettings(epochs: 1, batchSize: 16, lr: 0.01),
    usesData: false
) { nb in

/*:
 ## Measured here

 Speeds come from a few training and inference steps on a batch of 16, so they are rough; the
 `bench` executable measures properly. "Last run" needs the lesson to have been run (`swift run
 lesson all` runs every lesson with its in-class preset, then this one).
 */
/*:zh
 ## 本机实测

 速度来自在批量大小为 16 的数据上执行的几步训练和推理，因此只是粗略的数字；
 要准确测量，请用 `bench` 可执行程序。“Last run”（最近一次运行）一栏要求相应的课已经运行过
 （`swift run lesson all` 会用课堂预设运行每一课，最后运行本课）。
 */
    try nb.compareNetworks(allLessons)

/*:
 ## Reading the table

 - Parameters and arithmetic are not the same cost: AlexNet and VGG keep most of their
   parameters in dense layers that do little arithmetic; NiN, GoogLeNet, ResNet and DenseNet
   replaced those with global average pooling.
 - Activation memory, not parameters, is what limits the batch size in training: DenseNet's
   concatenations keep every feature map alive.
 - Accuracies from in-class runs reflect minutes of training on a few thousand images. In the
   book's full runs the later networks end within a few points of each other in test accuracy,
   while ResNet and DenseNet fit their training images far more closely; differences that
   small need the full data and all ten epochs to show.

 ## Things to try

 1. Run a lesson with `--full` overnight and come back to this table.
 2. Measure with `--threads 1`: which networks gain most from the second core?
 */
/*:zh
 ## 如何解读这张表

 - 参数量和计算量不是同一种开销：AlexNet 和 VGG 的大部分参数都在全连接层里，而这些层的计算量并不大；
   NiN、GoogLeNet、ResNet 和 DenseNet 则用全局平均汇聚层取代了这些全连接层。
 - 训练时限制批量大小的是激活值占用的内存，而不是参数：DenseNet 的连结让每一个特征图都一直保留在内存中。
 - 课堂运行得到的准确率只反映了在几千张图像上训练几分钟的结果。
   在书中的完整训练里，后面几个网络的测试准确率彼此只差几个百分点，
   而 ResNet 和 DenseNet 对训练图像拟合得紧密得多；这么小的差别，要用完整的数据训练满十轮才看得出来。

 ## 动手试一试

 1. 用 `--full` 运行某一课，让它跑上一整夜，再回来看这张表。
 2. 用 `--threads 1` 测量：哪些网络从第二个核心中获益最多？
 */
}
