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
import Datasets
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
public let alexNetLesson = Lesson(
    name: "alexnet", title: "AlexNet",
    summary: "AlexNet (2012): LeNet scaled up, with ReLU, dropout and max pooling; 224×224 inputs",
    inClass: LessonSettings(epochs: 2, batchSize: 64, lr: 0.05, trainSize: 2000, testSize: 1000, resize: 224),
    book: LessonSettings(epochs: 10, batchSize: 128, lr: 0.01, resize: 224),
    inClassNote: "In class: 2,000 training and 1,000 test images for 2 epochs, in batches of 64 with lr 0.05 (more, "
        + "larger steps for the little data), about 3 minutes on two cores; the book's run takes about 6 hours here.",
    network: LessonNetwork("AlexNet", year: 2012, idea: "bigger, ReLU, dropout", make: { alexNet() })
) { nb in
    let net = alexNet()

/*:
 ### Shapes, layer by layer

 A 224×224 input leaves the first convolution as 96 maps of 54×54: (224 + 2·1 − 11) / 4 + 1 = 54.
 Watch where the 6,400 inputs of the first dense layer come from: 256 channels of 5×5.
 */
    try nb.walkThrough(net, input: [1, 1, 224, 224])

/*:
 The table makes AlexNet's imbalance plain: the convolutions do nearly all the arithmetic, the
 dense layers hold nearly all the parameters (the first one alone, 6,400 × 4,096 = 26 million).

 ## Training

 The same loop as LeNet's, with a much smaller learning rate: ReLU networks do not need the
 large steps that sigmoid ones did. Each image now costs about 2,000 times LeNet's arithmetic, so
 in class we train on a few thousand images only; expect well above chance (10 %), not the
 book's 88 %.
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 The 96 first-layer kernels of 11×11 are AlexNet's famous picture. Trained on ImageNet they
 become oriented edges and colour blobs; on a few thousand upsampled clothes images, in a few
 minutes, expect only the beginnings of such structure.
 */
    try nb.show(Filters(net, firstOnly: true))

/*:
 One test image through the convolutional stages: 96, then 256 and 384 channels of shrinking
 maps. (Only the first 32 channels of each are drawn.)
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
    try nb.show(YourImage(net, on: data))

/*:
 ## Things to try

 1. `swift run lesson alexnet --train-size 6000 --epochs 3`: how much does accuracy gain for
    three times the training time?
 2. Set both `Dropout(0.5)` to `Dropout(0)` in this file. Does training accuracy pull away from
    test accuracy sooner?
 3. Why must the input stay near 224×224 here? Try `--resize 160` and read the error: which layer
    fails, and which number in the network would have to change?
 */
}
