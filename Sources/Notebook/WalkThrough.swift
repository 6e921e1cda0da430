import Datasets
import NN
import Tensors

/// One test image through a network, a top-level layer at a time, with a picture of what each
/// layer made of it. In step or class mode the teacher sets the pace (`Pacer`), and at each step
/// may pick another test image (the walk so far is redone with it) or look inside the block just
/// passed: its branches and how they meet, as `forward` runs them (`Dataflow`).
///
/// Two styles: the walk-through's `step-<n>-<layer>.png`, a picture after every layer; and the
/// trained network's `feature-maps-<layer>.png`, after every block (a convolution is shown after
/// the activation that follows it).
final class WalkThrough: WalkThroughExplorer {
    enum Style { case steps, featureMaps }

    /// What goes through the network.
    enum Source {
        /// Test images at the network's size, from `index`; the teacher may pick others.
        case testImages(DataLoader, index: Int)
        /// A photo of one's own, prepared at the network's size (`--image`).
        case yourImage(Tensor, name: String)
        /// Random pixels, when there is no data set.
        case randomPixels
    }

    let run: LessonRun
    let net: any Layer
    let layers: [any Layer]
    let style: Style
    /// Test images at the network's size; nil for random pixels or your own image.
    let images: DataLoader?
    /// Your own image and its file's name, walked instead of a test image until the teacher picks one.
    private var yourImage: (input: Tensor, name: String)?
    let sheet: PictureSheet
    private(set) var imageIndex: Int
    /// What each layer took (and, after the last, what the network gave), for the layers passed.
    private var values: [Tensor] = []
    private var passed = 0
    /// Pictures' names: "" for the first image, "-image-7" after the teacher picked image 7.
    private var suffix = ""

    init(run: LessonRun, net: any Layer, style: Style, source: Source, line: Int) {
        (self.run, self.style) = (run, style)
        switch source {
        case let .testImages(loader, index): (images, imageIndex) = (loader, index)
        case let .yourImage(input, name): (images, imageIndex, yourImage, suffix) = (nil, 0, (input, name), "-your-image")
        case .randomPixels: (images, imageIndex) = (nil, 0)
        }
        layers = (net as? Sequential)?.layers ?? [net]
        sheet = PictureSheet(run: run, line: line)
        self.net = net
    }

    /// Walks the whole network, waiting for the teacher before each layer in step or class mode.
    func walk(input shape: Shape) throws {
        try start(input: shape)
        for i in layers.indices {
            if let pacer = run.pacer {
                let what = "through layer \(i), \(layers[i].displayName)"
                run.log.waiting(what)
                defer { run.log.waiting(nil) }
                try pacer.wait(what, explorer: self)
            }
            try pass(i)
        }
    }

    // MARK: The teacher's questions

    func answer(_ request: WalkThroughRequest) throws {
        switch request {
        case .image(let index):
            guard let images, (0..<images.exampleCount).contains(index) else {
                sheet.say(images == nil ? "This walk-through uses \(inputName); there are no test images to pick here."
                    : "There is no test image \(index): pick one from 0 to \(images!.exampleCount - 1).")
                return
            }
            try restart(with: index)
        case .nextOfClass(let label):
            guard let images, FashionMNIST.classNames.indices.contains(label) else { return }
            let labels = images.data.labels
            let candidates = Array((imageIndex + 1)..<labels.count) + Array(0..<imageIndex)
            guard let next = candidates.first(where: { Int(labels[$0]) == label }) else {
                sheet.say("No other test image of class \(FashionMNIST.classNames[label]).")
                return
            }
            try restart(with: next)
        case .insideBlock:
            try showInside()
        }
    }

    /// The walk so far again, with test image `index`.
    private func restart(with index: Int) throws {
        imageIndex = index
        suffix = "-image-\(index)"
        let steps = passed
        values = []
        passed = 0
        sheet.say("The walk so far again, with test image \(index) (\(className)).")
        try start(input: Shape([1, 1, images!.imageHeight, images!.imageWidth]))
        for i in 0..<steps { try pass(i) }
    }

    // MARK: Steps

    private var trueClass: Int? { images.map { Int($0.data.labels[imageIndex]) } }

    private var className: String { trueClass.map { FashionMNIST.classNames[$0] } ?? yourImage?.name ?? "random pixels" }

    /// The input in words: "test image 7 (Coat)", "your image shoe.jpg", "random pixels".
    var inputName: String {
        if let yourImage { return "your image \(yourImage.name)" }
        return images == nil ? "random pixels" : "test image \(imageIndex) (\(className))"
    }

    private func start(input shape: Shape) throws {
        let x = yourImage?.input ?? images.map { $0.batch([imageIndex]).images }
            ?? Tensor.uniform(shape, 0, 1, using: RandomGenerator(seed: 0))
        values = [x]
        switch style {
        case .steps:
            run.log.append(.text("Stepping through the network with \(inputName), \(x.shape): Enter passes it through the next layer."),
                           line: sheet.line)
        case .featureMaps:
            let picture = Pictures.featureMaps(x, title: "Input: \(inputName), \(x.shape)",
                                               note: "The image every picture below starts from.", colormap: .gray)
            try sheet.page("feature-maps-input\(suffix).png") { try picture.render(scale: $0) }
        }
    }

    private func pass(_ i: Int) throws {
        let layer = layers[i]
        let y = try net.evaluating { try noGrad { try layer(values[i]) } }
        values.append(y)
        passed = i + 1
        if y.shape == values[i].shape && y.scalars == values[i].scalars {
            // A second picture of the same numbers would only suggest that something happened.
            let why = layer is Dropout ? "outside training dropout passes every value through" : "its output equals its input here"
            if style == .steps || y.shape.rank == 4 {
                run.log.append(.text("\(layer.displayName) output shape: \(y.shape); no picture: \(why)."), line: sheet.line)
            }
            return
        }
        switch style {
        case .steps:
            run.log.append(.text("\(layer.displayName) output shape: \(y.shape)"), line: sheet.line)
            let title = "Step \(i + 1): after layer \(i), \(layer.description), \(y.shape)"
            let note = "The sample after \(i + 1) of \(layers.count) layers: \(inputName)."
            let isLast = i == layers.count - 1
            let picture = Pictures.activation(y, title: title, note: note, classNames: isLast ? FashionMNIST.classNames : nil,
                                              trueClass: isLast ? trueClass : nil)
            try sheet.page("step-\(i + 1)-\(layer.displayName.lowercased())\(suffix).png", picture.render)
        case .featureMaps:
            guard y.shape.rank == 4 else { return }
            let nextIsActivation = i + 1 < layers.count && (layers[i + 1] is ReLU || layers[i + 1] is Sigmoid)
            if nextIsActivation { return }
            let after = i > 0 && (layer is ReLU || layer is Sigmoid) ? " after \(layers[i - 1].displayName) \(layers[i - 1].hyperparameters)" : ""
            let picture = Pictures.activation(y, title: "Layer \(i): \(layer.displayName)\(after), output \(y.shape)",
                                              note: "The input: \(inputName).")
            try sheet.page("feature-maps-\(i)-\(layer.displayName.lowercased())\(suffix).png", picture.render)
        }
    }

    /// Inside the layer just passed: a picture after each step of its `forward`, named by
    /// branch; and inside each block among those steps, one level further (so a stage of
    /// GoogLeNet shows each Inception block's four paths and their concatenation).
    private func showInside() throws {
        guard passed > 0 else { sheet.say("No layer passed yet: go on first."); return }
        let index = passed - 1, layer = layers[index]
        guard !layer.namedChildren.isEmpty else {
            sheet.say("Layer \(index), \(layer.displayName), is a single layer: there is nothing inside it to show.")
            return
        }
        let (_, trace) = try net.evaluating { try noGrad { try LayerTracer.traceSteps { try layer(values[index]) } } }
        guard let call = trace.calls.last else { return }
        let prefix = style == .steps ? "step-\(index + 1)" : "feature-maps-\(index)"
        var pictures = 0
        func show(_ call: LayerTracer.Call, named title: String, depth: Int) throws {
            let steps = trace.ownSteps(of: call)
            var labelled: [(label: String, step: LayerTracer.Step)] = []
            switch Dataflow(steps, input: call.input, output: call.output) {
            case let .branches(branches, merge)?:
                for (b, branch) in branches.enumerated() {
                    if branch.isEmpty { sheet.say("In \(title), path \(b + 1) is the block's input itself (the shortcut).") }
                    for step in branch { labelled.append(("path \(b + 1): \(Dataflow.name(of: step, in: trace))", step)) }
                }
                for step in merge { labelled.append(("the paths joined: \(Dataflow.name(of: step, in: trace))", step)) }
            default:
                for (k, step) in steps.enumerated() { labelled.append(("step \(k + 1): \(Dataflow.name(of: step, in: trace))", step)) }
            }
            sheet.say("Inside \(title): \(labelled.count) steps, as its forward runs them.")
            for item in labelled {
                if item.step.output.shape.rank == 4 {
                    pictures += 1
                    let picture = Pictures.activation(item.step.output, title: "Inside \(title), \(item.label), \(item.step.output.shape)",
                                                      note: "The input: \(inputName).")
                    try sheet.page("\(prefix)-inside-\(pictures)\(suffix).png", picture.render)
                }
                if depth < 2, case .layer(let inner) = item.step.kind, !trace.calls[inner].layer.namedChildren.isEmpty {
                    let innerLayer = trace.calls[inner].layer
                    try show(trace.calls[inner], named: "\(title) > \(innerLayer.description)", depth: depth + 1)
                }
            }
        }
        try show(call, named: "layer \(index) (\(layer.displayName))", depth: 1)
    }
}
