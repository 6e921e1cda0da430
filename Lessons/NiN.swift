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
import Datasets
import NN
import Notebook
import Tensors

/*:
 ## The blocks

 `ninBlock` is the book's `nin_block`: one ordinary convolution, then two 1×1 convolutions,
 each followed by ReLU.
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
public let ninLesson = Lesson(
    name: "nin", title: "NiN",
    summary: "Network in Network (2013): 1×1 convolutions and global average pooling instead of dense layers",
    inClass: LessonSettings(epochs: 4, batchSize: 32, lr: 0.1, trainSize: 8000, testSize: 1000, resize: 96),
    book: LessonSettings(epochs: 10, batchSize: 128, lr: 0.1, resize: 224),
    inClassNote: "In class: 96×96 images (NiN accepts any size), 8,000 training and 1,000 test images for 4 epochs "
        + "in batches of 32, about 3 minutes on two cores; the book trains on all 60,000 at 224×224 for 10 epochs.",
    network: LessonNetwork("NiN", year: 2013, idea: "1×1 convs, global average pool", make: { nin() })
) { nb in
    let net = nin()

/*:
 ### Shapes, layer by layer

 On the book's 224×224 input, the blocks shrink the image to 54, 26, 12 and 5 while the channels
 go to 96, 256, 384 and finally 10.
 */
    try nb.walkThrough(net, input: [1, 1, 224, 224], depth: 2)

/*:
 About 2 million parameters against AlexNet's 46.8 million, for a similar amount of arithmetic:
 the dense layers were where AlexNet's parameters were.

 ## Training

 NiN is slow to get going: expect the loss to sit near 2.30 (random guessing) for an epoch or
 two before it falls.
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
    try nb.show(Filters(net, firstOnly: true))
    try nb.show(FeatureMaps(net, on: data))
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 With `--image photo.jpg` (and `--checkpoint output/nin/nin.safetensors`) your own photo goes
 through NiN. Its last block has one channel per class, so its 1×1 maps, drawn as bars, are
 the network's ten votes for your photo before softmax.
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
}
