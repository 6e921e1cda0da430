import Foundation
import Localization
import Testing
@testable import Plot

/// Pictures of a Chinese run draw their words in a font that has the glyphs, and say so
/// plainly when no such font is installed.
@Suite struct ChineseTextTests {
    @Test func aChineseFontIsInstalledAndHasTheGlyphs() throws {
        let family = try #require(Fonts.chinese, "\(Fonts.Missing(tried: Fonts.chineseCandidates))")
        #expect(Fonts.firstFamily(drawing: "卷积层、汇聚层：训练损失（测试准确率）", among: [family]) == family)
        #expect(Fonts.family(for: "训练损失 (train loss)") == family)
        #expect(Fonts.family(for: "train loss") == Fonts.latin)
        try Fonts.check(for: .zh)
    }

    @Test func aMissingFontIsAClearErrorNotEmptyBoxes() {
        // fontconfig answers an unknown family with its default font, which has no Chinese glyphs.
        #expect(Fonts.firstFamily(drawing: "卷积", among: ["Convbook No Such Font"]) == nil)
        let message = Fonts.Missing(tried: ["Convbook No Such Font"]).description
        #expect(message.contains(Fonts.chinesePackage) && message.contains("--lang en"))
        #expect(Fonts.firstFamily(drawing: "conv", among: ["Convbook No Such Font"]) != nil)  // Latin text is drawable
    }

    @Test func aChineseTitleIsDrawnWhereTheTitleIs() throws {
        var chart = LineChart(title: "训练损失与准确率", xLabel: "轮")
        chart.xRange = 0...1
        chart.yRange = 0...1
        let blank = try roundTrip(try LineChart(title: "", xLabel: "").render(), name: "chinese-blank")
        let image = try roundTrip(try chart.render(), name: "chinese-title")
        let titleBand = (x: 0..<image.width, y: 0..<40)
        #expect(darkPixels(blank, x: titleBand.x, y: titleBand.y) == 0)
        // Eight characters of 16-pixel type: hundreds of dark pixels.
        #expect(darkPixels(image, x: titleBand.x, y: titleBand.y) > 300)
        // Each character drawn as itself: the title is as wide as the font says eight glyphs are,
        // and they differ from one another (empty boxes would all be alike).
        let canvas = try Canvas(width: 200, height: 40)
        let widths = ["训", "练", "损", "失"].map { canvas.textWidth($0, size: 16) }
        #expect(widths.allSatisfy { $0 > 10 })
        let pictures = try ["训", "失"].map { character -> [UInt8] in
            let c = try Canvas(width: 40, height: 40)
            c.text(character, x: 8, y: 30, size: 24)
            return try PNGImage(data: try c.pngData()).rgba
        }
        #expect(pictures[0] != pictures[1])
    }
}
