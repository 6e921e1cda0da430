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
import Datasets
import Foundation
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
public let batchNormLesson = Lesson(
    name: "batchnorm", title: "LeNet with batch normalization",
    summary: "Batch normalization (2015): LeNet with normalized layer inputs trains much faster",
    inClass: LessonSettings(epochs: 10, batchSize: 256, lr: 1.0),
    book: LessonSettings(epochs: 10, batchSize: 256, lr: 1.0),
    network: LessonNetwork("BN-LeNet", year: 2015, idea: "batch normalization", make: { batchNormLeNet() })
) { nb in
    let net = batchNormLeNet()
    try nb.walkThrough(net, input: [1, 1, 28, 28])

/*:
 Batch norm adds only 2 learned numbers per channel (γ and β): 452 in all for the 226 channels
 of its four layers, plus the running statistics, which are not learned by gradient descent.

 ## Training
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 Compare with plain LeNet: where it sat on a plateau at loss 2.3 for the first epochs, this one
 starts learning at once. The picture puts the two runs side by side (run `lenet` first if it
 has not been run).
 */
    try nb.compareTraining(with: leNetLesson)

/*:
 ## What batch norm learned

 The first batch-norm layer's γ (scale) and β (shift) for the 6 channels of the first
 convolution. With γ = 1 and β = 0 the layer would pass standardized values straight on; the
 learned values show how far the network chose to move from that.
 */
    let first = net.layers[1] as! BatchNorm
    let format = { (t: Tensor) in t.scalars.map { String(format: "%.3f", $0) }.joined(separator: "  ") }
    try nb.say("gamma: \(format(first.weight))\nbeta:  \(format(first.bias))")

/*:
 ## Looking inside

 One test image through the trained network. After each convolution the maps pass through batch
 norm before the sigmoid, so they use the sigmoid's steep middle rather than its flat ends:
 compare their contrast with plain LeNet's `feature-maps` pictures.
 */
    try nb.show(FeatureMaps(net, on: data))

/*:
 And the predictions on the first test images: after the same ten epochs, fewer red frames than
 plain LeNet's.
 */
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 `--image photo.jpg` (with `--checkpoint output/batchnorm/batchnorm.safetensors`) classifies
 a photo of your own. In evaluation mode each batch norm layer normalizes with the running
 statistics of the training images, not your photo's own: a photo lit unlike the data set's is
 shifted and scaled as if it were a typical one. Try a dark one.
 */
    try nb.show(YourImage(net, on: data))

/*:
 ## Things to try

 1. Lower the learning rate ninefold, `--lr 0.1` (plain LeNet uses 0.9). Is batch norm still
    ahead?
 2. Train with `--batch-size 16`. The statistics of a small batch are noisy: what happens?
 3. Move each `BatchNorm` after its `Sigmoid` instead of before. The original paper put it
    before the non-linearity; does it matter here?
 */
}
