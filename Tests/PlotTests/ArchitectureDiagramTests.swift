import Foundation
import Testing
@testable import Plot

/// Diagrams shaped like the ones `Pictures.architecture` draws for the lessons' networks.
enum Networks {
    typealias Node = ArchitectureDiagram.Node
    static func conv(_ i: Int, _ o: Int, _ k: Int, stride: Int = 1, pad: Int = 0, _ shape: String) -> Node {
        .layer("Conv2d", detail: "\(i)→\(o), \(k)×\(k)" + (stride > 1 ? ", stride \(stride)" : "") + (pad > 0 ? ", pad \(pad)" : ""), shape: shape)
    }
    static func pool(_ k: Int, stride: Int, pad: Int = 0, kind: String = "MaxPool2d", _ shape: String) -> Node {
        .layer(kind, detail: "\(k)×\(k), stride \(stride)" + (pad > 0 ? ", pad \(pad)" : ""), shape: shape)
    }
    static func thin(_ kind: String, _ shape: String) -> Node { .layer(kind, detail: "", shape: shape) }
    static func linear(_ i: Int, _ o: Int) -> Node { .layer("Linear", detail: "\(i)→\(o)", shape: "[1, \(o)]") }
    static func norm(_ c: Int, _ shape: String) -> Node { .layer("BatchNorm2d", detail: "\(c) channels", shape: shape) }

    static var lenet: ArchitectureDiagram {
        var d = ArchitectureDiagram(title: "LeNet: layer by layer", input: "[1, 1, 28, 28]")
        d.nodes = [
            conv(1, 6, 5, pad: 2, "[1, 6, 28, 28]"), thin("Sigmoid", "[1, 6, 28, 28]"), pool(2, stride: 2, kind: "AvgPool2d", "[1, 6, 14, 14]"),
            conv(6, 16, 5, "[1, 16, 10, 10]"), thin("Sigmoid", "[1, 16, 10, 10]"), pool(2, stride: 2, kind: "AvgPool2d", "[1, 16, 5, 5]"),
            thin("Flatten", "[1, 400]"), linear(400, 120), thin("Sigmoid", "[1, 120]"), linear(120, 84), thin("Sigmoid", "[1, 84]"),
            linear(84, 10),
        ]
        return d
    }

    static var alexnet: ArchitectureDiagram {
        var d = ArchitectureDiagram(title: "AlexNet: layer by layer", input: "[1, 1, 224, 224]")
        d.nodes = [
            conv(1, 96, 11, stride: 4, pad: 1, "[1, 96, 54, 54]"), thin("ReLU", "[1, 96, 54, 54]"), pool(3, stride: 2, "[1, 96, 26, 26]"),
            conv(96, 256, 5, pad: 2, "[1, 256, 26, 26]"), thin("ReLU", "[1, 256, 26, 26]"), pool(3, stride: 2, "[1, 256, 12, 12]"),
            conv(256, 384, 3, pad: 1, "[1, 384, 12, 12]"), thin("ReLU", "[1, 384, 12, 12]"),
            conv(384, 384, 3, pad: 1, "[1, 384, 12, 12]"), thin("ReLU", "[1, 384, 12, 12]"),
            conv(384, 256, 3, pad: 1, "[1, 256, 12, 12]"), thin("ReLU", "[1, 256, 12, 12]"), pool(3, stride: 2, "[1, 256, 5, 5]"),
            thin("Flatten", "[1, 6400]"), linear(6400, 4096), thin("ReLU", "[1, 4096]"), thin("Dropout", "[1, 4096]"),
            linear(4096, 4096), thin("ReLU", "[1, 4096]"), thin("Dropout", "[1, 4096]"), linear(4096, 10),
        ]
        return d
    }

    static var vgg: ArchitectureDiagram {
        var d = ArchitectureDiagram(title: "VGG-11 (a quarter of the channels): layer by layer", input: "[1, 1, 224, 224]")
        var side = 224, channels = 1
        for (convs, out) in [(1, 16), (1, 32), (2, 64), (2, 128), (2, 128)] {
            var layers: [Node] = []
            for _ in 0..<convs {
                layers += [conv(channels, out, 3, pad: 1, "[1, \(out), \(side), \(side)]"), thin("ReLU", "[1, \(out), \(side), \(side)]")]
                channels = out
            }
            side /= 2
            layers.append(pool(2, stride: 2, "[1, \(out), \(side), \(side)]"))
            d.nodes.append(.block("Sequential", layers, shape: "[1, \(out), \(side), \(side)]"))
        }
        d.nodes += [thin("Flatten", "[1, 6272]"), linear(6272, 4096), thin("ReLU", "[1, 4096]"), thin("Dropout", "[1, 4096]"),
                    linear(4096, 4096), thin("ReLU", "[1, 4096]"), thin("Dropout", "[1, 4096]"), linear(4096, 10)]
        return d
    }

    static func inception(_ c: Int, _ c1: Int, _ c2: (Int, Int), _ c3: (Int, Int), _ c4: Int, side: Int) -> Node {
        let s = { (ch: Int) in "[1, \(ch), \(side), \(side)]" }
        return .branches("Inception(\(c), \(c1), (\(c2.0), \(c2.1)), (\(c3.0), \(c3.1)), \(c4))", [
            [conv(c, c1, 1, s(c1))],
            [conv(c, c2.0, 1, s(c2.0)), conv(c2.0, c2.1, 3, pad: 1, s(c2.1))],
            [conv(c, c3.0, 1, s(c3.0)), conv(c3.0, c3.1, 5, pad: 2, s(c3.1))],
            [.layer("MaxPool2d", detail: "3×3, stride 1, pad 1", shape: s(c)), conv(c, c4, 1, s(c4))],
        ], merge: "ReLU each, concatenate channels", shape: s(c1 + c2.1 + c3.1 + c4))
    }

    static var googlenet: ArchitectureDiagram {
        var d = ArchitectureDiagram(title: "GoogLeNet: layer by layer", input: "[1, 1, 96, 96]")
        d.nodes = [
            .block("Sequential", [conv(1, 64, 7, stride: 2, pad: 3, "[1, 64, 48, 48]"), thin("ReLU", "[1, 64, 48, 48]"),
                                  pool(3, stride: 2, pad: 1, "[1, 64, 24, 24]")], shape: "[1, 64, 24, 24]"),
            .block("Sequential", [conv(64, 64, 1, "[1, 64, 24, 24]"), thin("ReLU", "[1, 64, 24, 24]"), conv(64, 192, 3, pad: 1, "[1, 192, 24, 24]"),
                                  thin("ReLU", "[1, 192, 24, 24]"), pool(3, stride: 2, pad: 1, "[1, 192, 12, 12]")], shape: "[1, 192, 12, 12]"),
            .block("Sequential", [inception(192, 64, (96, 128), (16, 32), 32, side: 12), inception(256, 128, (128, 192), (32, 96), 64, side: 12),
                                  pool(3, stride: 2, pad: 1, "[1, 480, 6, 6]")], shape: "[1, 480, 6, 6]"),
            .block("Sequential", [inception(480, 192, (96, 208), (16, 48), 64, side: 6), inception(512, 160, (112, 224), (24, 64), 64, side: 6),
                                  inception(512, 128, (128, 256), (24, 64), 64, side: 6), inception(512, 112, (144, 288), (32, 64), 64, side: 6),
                                  inception(528, 256, (160, 320), (32, 128), 128, side: 6), pool(3, stride: 2, pad: 1, "[1, 832, 3, 3]")],
                   shape: "[1, 832, 3, 3]"),
            .block("Sequential", [inception(832, 256, (160, 320), (32, 128), 128, side: 3), inception(832, 384, (192, 384), (48, 128), 128, side: 3),
                                  .layer("AdaptiveAvgPool2d", detail: "to 1×1", shape: "[1, 1024, 1, 1]"), thin("Flatten", "[1, 1024]")],
                   shape: "[1, 1024]"),
            linear(1024, 10),
        ]
        return d
    }

    static func residual(_ i: Int, _ o: Int, side: Int, downsample: Bool) -> Node {
        let s = "[1, \(o), \(side), \(side)]"
        let first = downsample ? conv(i, o, 3, stride: 2, pad: 1, s) : conv(i, o, 3, pad: 1, s)
        let shortcut: [Node] = downsample ? [conv(i, o, 1, stride: 2, s)] : [thin("identity", "")]
        return .branches(downsample ? "Residual(\(i), \(o), use1x1Conv, strides: 2)" : "Residual(\(i), \(o))",
                         [[first, norm(o, s), conv(o, o, 3, pad: 1, s), norm(o, s)], shortcut], merge: "add, ReLU", shape: s)
    }

    static var resnet: ArchitectureDiagram {
        var d = ArchitectureDiagram(title: "ResNet-18: layer by layer", input: "[1, 1, 224, 224]")
        d.nodes = [.block("Sequential", [conv(1, 64, 7, stride: 2, pad: 3, "[1, 64, 112, 112]"), norm(64, "[1, 64, 112, 112]"),
                                         thin("ReLU", "[1, 64, 112, 112]"), pool(3, stride: 2, pad: 1, "[1, 64, 56, 56]")],
                          shape: "[1, 64, 56, 56]")]
        d.nodes.append(.block("Sequential", [residual(64, 64, side: 56, downsample: false), residual(64, 64, side: 56, downsample: false)],
                              shape: "[1, 64, 56, 56]"))
        for (i, o, side) in [(64, 128, 28), (128, 256, 14), (256, 512, 7)] {
            d.nodes.append(.block("Sequential", [residual(i, o, side: side, downsample: true), residual(o, o, side: side, downsample: false)],
                                  shape: "[1, \(o), \(side), \(side)]"))
        }
        d.nodes += [.layer("AdaptiveAvgPool2d", detail: "to 1×1", shape: "[1, 512, 1, 1]"), thin("Flatten", "[1, 512]"), linear(512, 10)]
        return d
    }

    static var densenet: ArchitectureDiagram {
        var d = ArchitectureDiagram(title: "DenseNet: layer by layer", input: "[1, 1, 96, 96]")
        d.nodes = [.block("Sequential", [conv(1, 64, 7, stride: 2, pad: 3, "[1, 64, 48, 48]"), norm(64, "[1, 64, 48, 48]"),
                                         thin("ReLU", "[1, 64, 48, 48]"), pool(3, stride: 2, pad: 1, "[1, 64, 24, 24]")],
                          shape: "[1, 64, 24, 24]")]
        var channels = 64, side = 24
        for block in 0..<4 {
            var convs: [Node] = []
            for _ in 0..<4 {
                let s = "[1, \(channels + 32), \(side), \(side)]"
                convs.append(.branches("conv block, then concatenate", [
                    [norm(channels, "[1, \(channels), \(side), \(side)]"), thin("ReLU", "[1, \(channels), \(side), \(side)]"),
                     conv(channels, 32, 3, pad: 1, "[1, 32, \(side), \(side)]")],
                    [thin("identity", "")],
                ], merge: "concatenate channels", shape: s))
                channels += 32
            }
            d.nodes.append(.block("DenseBlock(4, \(channels - 128), 32)", convs, shape: "[1, \(channels), \(side), \(side)]"))
            if block < 3 {
                let half = channels / 2
                side /= 2
                d.nodes.append(.block("Sequential", [norm(channels, "[1, \(channels), \(side * 2), \(side * 2)]"),
                                                     thin("ReLU", "[1, \(channels), \(side * 2), \(side * 2)]"),
                                                     conv(channels, half, 1, "[1, \(half), \(side * 2), \(side * 2)]"),
                                                     pool(2, stride: 2, kind: "AvgPool2d", "[1, \(half), \(side), \(side)]")],
                                      shape: "[1, \(half), \(side), \(side)]"))
                channels = half
            }
        }
        d.nodes += [norm(channels, "[1, \(channels), 3, 3]"), thin("ReLU", "[1, \(channels), 3, 3]"),
                    .layer("AdaptiveAvgPool2d", detail: "to 1×1", shape: "[1, \(channels), 1, 1]"), thin("Flatten", "[1, \(channels)]"),
                    linear(channels, 10)]
        return d
    }

    static let names = ["lenet", "alexnet", "vgg", "googlenet", "resnet", "densenet"]

    static func diagram(_ name: String) -> ArchitectureDiagram {
        ["lenet": lenet, "alexnet": alexnet, "vgg": vgg, "googlenet": googlenet, "resnet": resnet, "densenet": densenet][name]!
    }
}

@Suite struct ArchitectureDiagramTests {
    @Test(arguments: Networks.names)
    func regionsMatchTheDrawnBoxes(_ name: String) throws {
        let diagram = Networks.diagram(name)
        let (canvas, regions) = try diagram.renderWithRegions()
        let image = try roundTrip(canvas, name: "architecture-\(name)")
        // Every node has a region, in order (a block cut across columns has one for each part).
        #expect(Array(Set(regions.map(\.node))).sorted() == Array(diagram.nodes.indices))
        #expect(regions.map(\.node) == regions.map(\.node).sorted())
        for r in regions {
            let (x, y) = (Int((r.x + r.width / 2) * Double(image.width)), Int((r.y + r.height / 2) * Double(image.height)))
            let p = image[x, y]
            #expect(!(p.red > 250 && p.green > 250 && p.blue > 250), "node \(r.node): the centre of its region is background")
        }
        for (i, a) in regions.enumerated() {
            for b in regions[(i + 1)...] {
                let apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y
                #expect(apart, "regions of nodes \(a.node) and \(b.node) overlap")
            }
        }
    }
}

extension ArchitectureDiagramTests {
    /// How large each diagram shows when fitted whole to a 1280×720 screen (1 is its own size,
    /// where its 12-point text is 12 pixels), at least; the old layout of one column cut at
    /// 1300 pixels gave LeNet 0.96, AlexNet 0.60, VGG 0.63, GoogLeNet 0.43, ResNet 0.56 and
    /// DenseNet 0.38.
    @Test(arguments: zip(Networks.names, [1.9, 1.5, 1.05, 0.6, 0.65, 0.55]))
    func diagramsFillAWideScreen(_ name: String, _ least: Double) throws {
        let diagram = Networks.diagram(name)
        let layout = diagram.layout(try Canvas.probe())
        #expect(layout.fit >= least, "\(name): \(layout.width)×\(layout.height)")
        // Wide-screen in shape once the picture must shrink to fit.
        if layout.fit < 1 {
            let aspect: Double = layout.width / layout.height
            #expect(aspect > 1.4 && aspect < 2.2, "\(layout.width)×\(layout.height)")
        }
    }

    /// Every layer of a wrapped block is still drawn, and the block's box holds its columns.
    @Test func wrappedBlocksKeepEveryLayer() throws {
        let diagram = Networks.resnet
        let layout = diagram.layout(try Canvas.probe())
        func count(_ plan: ArchitectureDiagram.Plan) -> Int {
            switch plan.node {
            case .layer: return 1
            case .block: return plan.columns.joined().map(count).reduce(0, +)
            case .branches: return plan.branches.joined().map(count).reduce(0, +) + 1
            }
        }
        func count(_ node: ArchitectureDiagram.Node) -> Int {
            switch node {
            case .layer: return 1
            case let .block(_, children, _): return children.map(count).reduce(0, +)
            case let .branches(_, branches, _, _): return branches.joined().map(count).reduce(0, +) + 1
            }
        }
        let drawn: Int = layout.columns.joined().map(count).reduce(0, +)
        let given: Int = diagram.nodes.map(count).reduce(0, +)
        #expect(drawn == given + 1, "the input box and every layer")
    }
}
