/*:
 # The chapter side by side

 Eight networks in eight lessons, from LeNet's 62 thousand parameters to VGG's 130 million. What
 did each design buy, and at what cost? This lesson builds every network of the chapter, counts
 its parameters and arithmetic, measures its speed on this machine right now, and collects the
 accuracy and training time of each lesson's last run (from `output/<lesson>/metrics.json`).
 */
import NN
import Notebook

/*:
 ## The networks

 Each at the size its lesson trains it: 28×28 for the LeNets, 224×224 for AlexNet, VGG and NiN
 (their book settings; NiN trains at 96 in class), 96×96 for the rest. VGG is the narrow
 version that the lesson trains.
 */
public let chapterNetworks = [
    ChapterNetwork("LeNet", year: 1998, idea: "convolutions + pooling, then dense", lesson: "lenet", inputSize: 28, make: leNet),
    ChapterNetwork("AlexNet", year: 2012, idea: "bigger, ReLU, dropout", lesson: "alexnet", inputSize: 224, make: alexNet),
    ChapterNetwork("VGG-11 / 4", year: 2014, idea: "repeated blocks of 3×3 convs", lesson: "vgg", inputSize: 224,
                   make: { vgg(vgg11Architecture.map { ($0.0, $0.1 / 4) }) }),
    ChapterNetwork("NiN", year: 2013, idea: "1×1 convs, global average pool", lesson: "nin", inputSize: 224, make: nin),
    ChapterNetwork("GoogLeNet", year: 2014, idea: "parallel paths, concatenated", lesson: "googlenet", inputSize: 96, make: googLeNet),
    ChapterNetwork("BN-LeNet", year: 2015, idea: "batch normalization", lesson: "batchnorm", inputSize: 28, make: batchNormLeNet),
    ChapterNetwork("ResNet-18", year: 2015, idea: "residual connections", lesson: "resnet", inputSize: 96, make: resNet18),
    ChapterNetwork("DenseNet", year: 2017, idea: "dense concatenation", lesson: "densenet", inputSize: 96, make: denseNet),
]

public let compareLesson = Lesson(
    name: "compare", title: "The chapter compared",
    summary: "Every network side by side: parameters, arithmetic, memory, speed here, accuracy of the last runs",
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
    try nb.compareNetworks(chapterNetworks)

/*:
 ## Reading the table

 - Parameters and arithmetic are not the same cost: AlexNet and VGG keep most of their
   parameters in dense layers that do little arithmetic; NiN, GoogLeNet, ResNet and DenseNet
   replaced those with global average pooling.
 - Activation memory, not parameters, is what limits the batch size in training: DenseNet's
   concatenations keep every feature map alive.
 - Accuracies from in-class runs reflect minutes of training on a few thousand images; the
   ranking of the book's full runs (ResNet and DenseNet ahead) needs the full data.

 ## Things to try

 1. Run a lesson with `--full` overnight and come back to this table.
 2. Measure with `--threads 1`: which networks gain most from the second core?
 */
}
