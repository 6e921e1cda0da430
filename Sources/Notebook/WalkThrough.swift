import Datasets
import Localization
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
                let what = localized("through layer \(i), \(layers[i].displayName)", zh: "送过第 \(i) 层（\(layers[i].displayName)）")
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
                sheet.say(images == nil
                    ? localized("This walk-through uses \(inputName); there are no test images to pick here.",
                                zh: "这次逐层演示用的是\(inputName)，这里没有测试图像可选。")
                    : localized("There is no test image \(index): pick one from 0 to \(images!.exampleCount - 1).",
                                zh: "没有测试图像 \(index)：请从 0 到 \(images!.exampleCount - 1) 中选一张。"))
                return
            }
            try restart(with: index)
        case .nextOfClass(let label):
            guard let images, FashionMNIST.classNames.indices.contains(label) else { return }
            let labels = images.data.labels
            let candidates = Array((imageIndex + 1)..<labels.count) + Array(0..<imageIndex)
            guard let next = candidates.first(where: { Int(labels[$0]) == label }) else {
                sheet.say(localized("No other test image of class \(FashionMNIST.classNames[label]).",
                                    zh: "没有别的类别为 \(FashionMNIST.classNames[label]) 的测试图像。"))
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
        sheet.say(localized("The walk so far again, with test image \(index) (\(className)).",
                            zh: "换成测试图像 \(index)（\(className)），把到目前为止的步骤重走一遍。"))
        try start(input: Shape([1, 1, images!.imageHeight, images!.imageWidth]))
        for i in 0..<steps { try pass(i) }
    }

    // MARK: Steps

    private var trueClass: Int? { images.map { Int($0.data.labels[imageIndex]) } }

    private var className: String { trueClass.map { FashionMNIST.classNames[$0] } ?? yourImage?.name ?? localized("random pixels", zh: "随机像素") }

    /// The input in words: "test image 7 (Coat)", "your image shoe.jpg", "random pixels".
    var inputName: String {
        if let yourImage { return localized("your image \(yourImage.name)", zh: "你的图像 \(yourImage.name)") }
        return images == nil ? localized("random pixels", zh: "随机像素")
            : localized("test image \(imageIndex) (\(className))", zh: "测试图像 \(imageIndex)（\(className)）")
    }

    private func start(input shape: Shape) throws {
        let x = yourImage?.input ?? images.map { $0.batch([imageIndex]).images }
            ?? Tensor.uniform(shape, 0, 1, using: RandomGenerator(seed: 0))
        values = [x]
        switch style {
        case .steps:
            run.log.append(.text(localized("Stepping through the network with \(inputName), \(x.shape): Enter passes it through the next layer.",
                                           zh: joinedParagraph(["用", inputName, "逐层走过网络，形状 \(x.shape)：按 Enter 让它通过下一层。"]))),
                           line: sheet.line)
        case .featureMaps:
            let picture = Pictures.featureMaps(x, title: localized("Input: \(inputName), \(x.shape)", zh: "输入：\(inputName)，\(x.shape)"),
                                               note: localized("The image every picture below starts from.", zh: "下面每张图都从这张图像开始。"),
                                               colormap: .gray)
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
            let why = layer is Dropout ? localized("outside training dropout passes every value through", zh: "不在训练时，暂退法（dropout）让每个值原样通过")
                : localized("its output equals its input here", zh: "这里它的输出等于输入")
            if style == .steps || y.shape.rank == 4 {
                run.log.append(.text(localized("\(layer.displayName) output shape: \(y.shape); no picture: \(why).",
                                               zh: "\(layer.displayName) output shape: \(y.shape)；不画图：\(why)。")), line: sheet.line)
            }
            return
        }
        switch style {
        case .steps:
            run.log.append(.text("\(layer.displayName) output shape: \(y.shape)"), line: sheet.line)
            let title = localized("Step \(i + 1): after layer \(i), \(layer.description), \(y.shape)",
                                  zh: "第 \(i + 1) 步：经过层 \(i)，\(layer.description)，\(y.shape)")
            let note = localized("The sample after \(i + 1) of \(layers.count) layers: \(inputName).",
                                 zh: "样本经过了 \(layers.count) 层中的前 \(i + 1) 层：\(inputName)。")
            let isLast = i == layers.count - 1
            let picture = Pictures.activation(y, title: title, note: note, classNames: isLast ? FashionMNIST.classNames : nil,
                                              trueClass: isLast ? trueClass : nil)
            try sheet.page("step-\(i + 1)-\(layer.displayName.lowercased())\(suffix).png", picture.render)
        case .featureMaps:
            guard y.shape.rank == 4 else { return }
            let nextIsActivation = i + 1 < layers.count && (layers[i + 1] is ReLU || layers[i + 1] is Sigmoid)
            if nextIsActivation { return }
            let before = i > 0 ? "\(layers[i - 1].displayName) \(layers[i - 1].hyperparameters)" : ""
            let after = i > 0 && (layer is ReLU || layer is Sigmoid) ? localized(" after \(before)", zh: "（在 \(before) 之后）") : ""
            let picture = Pictures.activation(y, title: localized("Layer \(i): \(layer.displayName)\(after), output \(y.shape)",
                                                                  zh: "层 \(i)：\(layer.displayName)\(after)，输出 \(y.shape)"),
                                              note: localized("The input: \(inputName).", zh: "输入：\(inputName)。"))
            try sheet.page("feature-maps-\(i)-\(layer.displayName.lowercased())\(suffix).png", picture.render)
        }
    }

    /// Inside the layer just passed: a picture after each step of its `forward`, named by
    /// branch; and inside each block among those steps, one level further (so a stage of
    /// GoogLeNet shows each Inception block's four paths and their concatenation).
    private func showInside() throws {
        guard passed > 0 else { sheet.say(localized("No layer passed yet: go on first.", zh: "还没有经过任何层：请先往下走。")); return }
        let index = passed - 1, layer = layers[index]
        guard !layer.namedChildren.isEmpty else {
            sheet.say(localized("Layer \(index), \(layer.displayName), is a single layer: there is nothing inside it to show.",
                                zh: "层 \(index)（\(layer.displayName)）是单个层：里面没有可展示的东西。"))
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
                    if branch.isEmpty {
                        sheet.say(localized("In \(title), path \(b + 1) is the block's input itself (the shortcut).",
                                            zh: joinedParagraph(["在", title, "中，路径 \(b + 1) 就是块的输入本身（捷径）。"])))
                    }
                    for step in branch {
                        let name = Dataflow.name(of: step, in: trace)
                        labelled.append((localized("path \(b + 1): \(name)", zh: "路径 \(b + 1)：\(name)"), step))
                    }
                }
                for step in merge {
                    let name = Dataflow.name(of: step, in: trace)
                    labelled.append((localized("the paths joined: \(name)", zh: "各路径汇合：\(name)"), step))
                }
            default:
                for (k, step) in steps.enumerated() {
                    let name = Dataflow.name(of: step, in: trace)
                    labelled.append((localized("step \(k + 1): \(name)", zh: "第 \(k + 1) 步：\(name)"), step))
                }
            }
            sheet.say(localized("Inside \(title): \(labelled.count) steps, as its forward runs them.",
                                zh: joinedParagraph([title, "内部：共 \(labelled.count) 步，按它的 forward 执行的顺序。"])))
            for item in labelled {
                if item.step.output.shape.rank == 4 {
                    pictures += 1
                    let picture = Pictures.activation(item.step.output,
                                                      title: localized("Inside \(title), \(item.label), \(item.step.output.shape)",
                                                                       zh: joinedParagraph([title, "内部，\(item.label)，\(item.step.output.shape)"])),
                                                      note: localized("The input: \(inputName).", zh: "输入：\(inputName)。"))
                    try sheet.page("\(prefix)-inside-\(pictures)\(suffix).png", picture.render)
                }
                if depth < 2, case .layer(let inner) = item.step.kind, !trace.calls[inner].layer.namedChildren.isEmpty {
                    let innerLayer = trace.calls[inner].layer
                    try show(trace.calls[inner], named: "\(title) > \(innerLayer.description)", depth: depth + 1)
                }
            }
        }
        try show(call, named: localized("layer \(index) (\(layer.displayName))", zh: "层 \(index)（\(layer.displayName)）"), depth: 1)
    }
}
