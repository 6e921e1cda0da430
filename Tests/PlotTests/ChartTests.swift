import Files
import Foundation
import Testing
import TestSupport
@testable import Plot

@Suite struct ImageGridTests {
    /// A 4×4 tile whose left half is 0 and right half 1, on a fixed 0...1 gray scale: the tile's
    /// centre-left is black and centre-right white.
    @Test func knownTileHasKnownColours() throws {
        var grid = ImageGrid(title: "Halves")
        grid.colormap = .gray
        grid.scaling = .fixed(0...1)
        grid.tileSide = 80
        grid.tiles = [.init(values: [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1], width: 4, height: 4)]
        let canvas = try grid.render()
        let image = try roundTrip(canvas, name: "grid-halves")
        // One tile, centred; the header holds the title only (fixed scales add no note).
        let side = 80.0, header = 36.0 + 8
        let x0 = (canvas.width - side) / 2
        let cy = Int(header + side / 2)
        #expect(isClose(image[Int(x0 + side / 4), cy], .black))
        #expect(isClose(image[Int(x0 + 3 * side / 4), cy], .white))
    }

    @Test func sharedScaleMapsExtremesToTheColourMapEnds() throws {
        var grid = ImageGrid(title: "Two tiles")
        grid.tileSide = 60
        grid.columns = 2
        grid.tiles = [.init(values: [Float](repeating: -2, count: 9), width: 3, height: 3),
                      .init(values: [Float](repeating: 5, count: 9), width: 3, height: 3)]
        let canvas = try grid.render()
        let image = try roundTrip(canvas, name: "grid-shared")
        let header = 36.0 + 17 + 8   // title and the one note about the scale
        let gridWidth = 2 * 60.0 + 10
        let x0 = (canvas.width - gridWidth) / 2
        let cy = Int(header + 30)
        #expect(isClose(image[Int(x0 + 30), cy], Colormap.viridis.color(0)))
        #expect(isClose(image[Int(x0 + 70 + 30), cy], Colormap.viridis.color(1)))
    }

    @Test func captionsNaNAndManyTilesRender() throws {
        var grid = ImageGrid(title: "Predictions")
        grid.colormap = .gray
        grid.scaling = .fixed(0...1)
        for i in 0..<12 {
            let values: [Float] = (0..<784).map { p in Float((p + i * 7) % 28) / 28 }
            let wrong = i % 3 == 0
            grid.tiles.append(ImageGrid.Tile(values: values, width: 28, height: 28, caption: ["true: Ankle boot", "pred: Sneaker"],
                                             captionColor: wrong ? .alarm : .ink, frame: wrong ? .alarm : nil))
        }
        grid.tiles[1].values[5] = .nan
        let image = try roundTrip(try grid.render(scale: 2), name: "grid-predictions")
        #expect(image.width > 600 && inkedPixels(image) > 50_000)
    }

    @Test func emptyGridSaysSo() throws {
        let image = try roundTrip(try ImageGrid(title: "Empty").render(), name: "grid-empty")
        #expect(inkedPixels(image) > 200)
    }
}

@Suite struct DiagramAndBarTests {
    @Test func architectureWithBranchesRenders() throws {
        var d = ArchitectureDiagram(title: "A block with branches", input: "[1, 1, 96, 96]")
        d.nodes = [
            .layer("Conv2d", detail: "1→64, 7×7, stride 2, pad 3", shape: "[1, 64, 48, 48]"),
            .layer("ReLU", detail: "", shape: "[1, 64, 48, 48]"),
            .branches("Inception(192, 64, (96, 128), (16, 32), 32)", [
                [.layer("Conv2d", detail: "1×1", shape: "[1, 64, 12, 12]")],
                [.layer("Conv2d", detail: "1×1", shape: "[1, 96, 12, 12]"), .layer("Conv2d", detail: "3×3", shape: "[1, 128, 12, 12]")],
                [.layer("Conv2d", detail: "1×1", shape: "[1, 16, 12, 12]"), .layer("Conv2d", detail: "5×5", shape: "[1, 32, 12, 12]")],
                [.layer("MaxPool2d", detail: "3×3", shape: "[1, 192, 12, 12]"), .layer("Conv2d", detail: "1×1", shape: "[1, 32, 12, 12]")],
            ], merge: "concatenate channels", shape: "[1, 256, 12, 12]"),
            .block("Sequential", [.layer("Linear", detail: "1024→10", shape: "[1, 10]")], shape: "[1, 10]"),
        ]
        let image = try roundTrip(try d.render(), name: "architecture-branches")
        #expect(image.height > 300 && inkedPixels(image) > 10_000)
    }
}

@Suite struct CanvasFileTests {
    @Test func writtenPNGReadsBackIdentical() throws {
        let folder = TemporaryFolder()
        let canvas = try Canvas(width: 40, height: 30)
        canvas.fill(x: 10, y: 10, width: 20, height: 10, color: Color(hex: 0x336699))
        let url = URL(fileURLWithPath: folder.path + "/box.png")
        try canvas.writePNG(to: url)
        let image = try PNGImage(contentsOf: url)
        #expect(image == (try PNGImage(data: try canvas.pngData())))
        #expect(image.width == 40 && image.height == 30)
        #expect(isClose(image[20, 15], Color(hex: 0x336699), tolerance: 0) && isClose(image[2, 2], .white, tolerance: 0))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["box.png"], "no temporary file left")
    }

    @Test func unwritablePathNamesItAndLeavesNothing() throws {
        let folder = TemporaryFolder()
        let canvas = try Canvas(width: 10, height: 10)
        let target = URL(fileURLWithPath: folder.path + "/missing-folder/x.png")
        #expect(throws: FileError.self) { try canvas.writePNG(to: target) }
        do { try canvas.writePNG(to: target) } catch { #expect("\(error)".contains(target.path)) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func notAPNGIsAClearError() {
        #expect(throws: PNGImage.Failure.self) { try PNGImage(data: Data("hello".utf8), name: "hello.png") }
    }
}
