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
 had trainable weights), and a softmax classifier instead of the paper's Gaussian output units.
 We train it on Fashion-MNIST, 28×28 photos of clothing, which is harder than digits.
 */
import Datasets
import NN
import Notebook
import Tensors

/*:
 ## The network

 The first convolution pads its 28×28 input by 2 on every side, so its 5×5 kernels produce a
 28×28 output, as the paper's 32×32 inputs did. The second convolution has no padding:
 14×14 shrinks to 10×10. `Flatten` turns the 16×5×5 maps into 400 numbers for the dense layers.
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
public let leNetLesson = Lesson(
    name: "lenet", title: "LeNet",
    summary: "LeNet (1989/1998): two conv blocks and three dense layers; sigmoid, average pooling",
    inClass: LessonSettings(epochs: 10, batchSize: 256, lr: 0.9),
    book: LessonSettings(epochs: 10, batchSize: 256, lr: 0.9),
    network: LessonNetwork("LeNet", year: 1998, idea: "convolutions + pooling, then dense", make: { leNet() })
) { nb in
    let net = leNet()

/*:
 ### Shapes, layer by layer

 Pass one 28×28 image through the network and watch its shape change (random pixels for the
 table; in step mode, test image 0 of Fashion-MNIST, with its feature maps). Convolutions
 change the number of channels and (without padding) shrink the image; pooling halves height
 and width; `Flatten` makes one long vector; the dense layers end at 10 class scores.
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
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 The first layer's six 5×5 kernels are small enough to read: blue weights subtract, red ones
 add. Trained kernels usually look like edge and stroke detectors at different angles; the
 second layer's 16×6 kernels combine the first layer's maps.
 */
    try nb.show(Filters(net))

/*:
 Now follow one test image through the network. After the first block the six maps are
 still recognisably the garment, each highlighting different edges; after the second, the 16
 maps of 5×5 are too coarse to look like anything, yet they are all the dense layers get.
 */
    try nb.show(FeatureMaps(net, on: data))

/*:
 Finally the predictions on the first test images. Which classes does LeNet confuse? The
 confusion matrix under the training cell counts every test image: shirts are its weakest class,
 most often taken for T-shirts and pullovers, and coats for pullovers. At 28×28 pixels these
 garments differ in a collar or a sleeve's length, a few pixels that the 5×5 maps after the
 second pooling have all but averaged away.
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
}
