/*:
 # The chapter side by side

 Eight networks in eight lessons, from LeNet's 62 thousand parameters to AlexNet's 46.8 million
 (full-width VGG-11 has 129 million; its lesson trains a version with a quarter of the channels,
 43.1 million). What
 did each design buy, and at what cost? This lesson builds every network of the chapter, counts
 its parameters and arithmetic, measures its speed on this machine right now, and collects the
 accuracy and training time of each lesson's last run (from `output/<lesson>/metrics.json`).
 */
import NN
import Notebook

/*:
 ## The networks

 Each lesson names its network; each is measured at the size the book trains it at: 28×28 for
 the LeNets, 224×224 for AlexNet, VGG and NiN, 96×96 for the rest (in class, NiN trains at 96
 and GoogLeNet at 64). VGG is the narrow version that its lesson trains.
 */
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
    try nb.compareNetworks(allLessons)

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
