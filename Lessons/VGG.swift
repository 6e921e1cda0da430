/*:
 # VGG: networks built from blocks

 AlexNet's layers were each designed by hand: an 11×11 kernel here, a 5×5 there, pooling where
 it seemed right. In 2014 Karen Simonyan and Andrew Zisserman of Oxford's Visual Geometry Group
 asked a simpler question: what if a network were just the same small block, repeated? Their
 answer, VGG, came second in that year's ImageNet challenge and changed how networks are
 described: not layer by layer, but block by block.

 A **VGG block** is a few 3×3 convolutions with padding 1 (each keeps the size, each followed by
 ReLU), then a 2×2 max pooling with stride 2 that halves height and width. Two stacked 3×3
 convolutions see a 5×5 patch, three see 7×7, with fewer parameters than one large kernel and
 more non-linearities between them; so VGG goes deep and narrow rather than shallow and wide.
 The paper's variants differ only in how many convolutions each of five blocks holds: VGG-11
 has 1, 1, 2, 2, 2 (8 convolutions and 3 dense layers).

 *Where the book's version departs from the paper:* one input channel, 10 classes, Fashion-MNIST
 upsampled to 224×224, and for training, every block's channel count divided by 4, because
 full-width VGG-11 costs about eight times AlexNet's arithmetic.
 */
import Datasets
import NN
import Notebook
import Tensors

/*:
 ## The blocks

 `vggBlock` is the book's `vgg_block`: `convs` convolutions from `inChannels` to `outChannels`,
 then the pooling. A loop builds the layers, so the block is a `Sequential` made from an array.
 */
public func vggBlock(convs: Int, inChannels: Int, outChannels: Int) -> Sequential {
    var layers: [any Layer] = []
    var channels = inChannels
    for _ in 0..<convs {
        layers.append(Conv2d(channels, outChannels, kernelSize: 3, padding: 1))
        layers.append(ReLU())
        channels = outChannels
    }
    layers.append(MaxPool2d(kernelSize: 2, stride: 2))
    return Sequential(layers, name: "vgg_block")
}

/*:
 `convArch` lists (convolutions, output channels) per block, as the book's `conv_arch`. Five
 halvings take 224 to 7, so the classifier's first layer sees `channels × 7 × 7` numbers.
 */
public let vgg11Architecture = [(1, 64), (1, 128), (2, 256), (2, 512), (2, 512)]

public func vgg(_ convArch: [(convs: Int, channels: Int)]) -> Sequential {
    var blocks: [any Layer] = []
    var channels = 1
    for (convs, outChannels) in convArch {
        blocks.append(vggBlock(convs: convs, inChannels: channels, outChannels: outChannels))
        channels = outChannels
    }
    return Sequential {
        blocks
        Flatten()
        Linear(channels * 7 * 7, 4096); ReLU(); Dropout(0.5)
        Linear(4096, 4096); ReLU(); Dropout(0.5)
        Linear(4096, 10)
    }
}

/*:
 VGG-11 itself is too slow to train in class (7.5 billion multiply-adds per image), so we keep
 its shape and divide every block's channels by 4, as the book's `small_conv_arch` does: the
 convolutions' arithmetic falls sixteenfold.
 */
public func smallVGG() -> Sequential { vgg(vgg11Architecture.map { ($0.0, $0.1 / 4) }) }

/*:
 ## Running the lesson
 */
public let vggLesson = Lesson(
    name: "vgg", title: "VGG",
    summary: "VGG (2014): the same block of 3×3 convolutions repeated; VGG-11 with channels / 4",
    inClass: LessonSettings(epochs: 2, batchSize: 64, lr: 0.05, trainSize: 3000, testSize: 1000, resize: 224),
    book: LessonSettings(epochs: 10, batchSize: 128, lr: 0.05, resize: 224),
    inClassNote: "In class: 3,000 training and 1,000 test images for 2 epochs in batches of 64 (more steps for the "
        + "little data), about 3 minutes on two cores; the book's run is 60,000 images for 10 epochs.",
    network: LessonNetwork("VGG-11 / 4", year: 2014, idea: "repeated blocks of 3×3 convs", make: { smallVGG() })
) { nb in

/*:
 ### Shapes, block by block

 The walk-through uses the full-width VGG-11, as the book prints it: each block halves the image
 and (up to 512) doubles the channels.
 */
    try nb.walkThrough(vgg(vgg11Architecture), input: [1, 1, 224, 224])

/*:
 129 million parameters, 7.5 billion multiply-adds per image. For training we use the narrow
 `smallVGG()` from above: the same blocks with a quarter of the channels. `depth: 2` also lists
 the layers inside each `vgg_block`, indented under it, with their own parameters and
 multiply-adds. The convolutions hold 0.6 million of the 43 million parameters yet do 92% of
 the multiply-adds; the dense layers are the other way round.
 */
    let net = smallVGG()
    try nb.walkThrough(net, input: [1, 1, 224, 224], depth: 2)

/*:
 ## Training
 */
    let data = try nb.fashionMNIST()
    try nb.train(net, on: data)

/*:
 ## Looking inside

 The first block's 3×3 kernels, and one image after each block: the maps halve at each step
 while the channels grow.
 */
    try nb.show(Filters(net, firstOnly: true))
    try nb.show(FeatureMaps(net, on: data))
    try nb.show(Predictions(net, on: data))

/*:
 ## Your own image

 `--image photo.jpg` (and `--checkpoint output/vgg/vgg.safetensors` to skip training)
 classifies a photo of your own and shows each block's maps for it. Compare them with the test
 image's above: after which block do they stop looking like those of a garment of its class?
 */
    try nb.show(YourImage(net, on: data))

/*:
 ## Things to try

 1. VGG-16 is `[(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]`. Walk it through with
    `nb.walkThrough(vgg(...), input: [1, 1, 224, 224])`: how many more parameters and
    multiply-adds than VGG-11?
 2. Divide the channels by 8 instead of 4. How much faster is an epoch, and what happens to the
    accuracy?
 3. Replace one block's two 3×3 convolutions by a single 5×5 one. Same field of view: compare the
    parameter counts in the table.
 */
}
