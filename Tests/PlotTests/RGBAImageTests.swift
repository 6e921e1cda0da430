import Files
import Foundation
import Testing
import TestSupport
@testable import Plot

@Suite struct RGBAImageTests {
    /// The bytes decide, not the name: a JPEG called .png is read as a JPEG, and the reverse.
    @Test func picksTheDecoderByTheFirstBytes() throws {
        let folder = TemporaryFolder()
        let jpeg = try JPEGFixture.bytes("420-17x13.jpg"), png = try JPEGFixture.bytes("420-17x13.png")
        let misnamedJPEG = try RGBAImage(file: folder.write("photo.png", jpeg))
        let misnamedPNG = try RGBAImage(file: folder.write("photo.jpg", png))
        #expect(misnamedJPEG.format == .jpeg && misnamedPNG.format == .png)
        #expect(misnamedJPEG.rgba == (try JPEGImage(data: Data(jpeg))).rgba)
        #expect(misnamedPNG.rgba == (try PNGImage(data: Data(png))).rgba)
        #expect((misnamedJPEG.width, misnamedJPEG.height) == (17, 13))
    }

    @Test func otherFormatsAreNamedByTheirBytes() throws {
        let folder = TemporaryFolder()
        let gif = folder.write("x.gif", Array("GIF89a".utf8) + [1, 0, 1, 0])
        #expect(throws: ImageFileError(file: gif, problem: "is not a PNG or JPEG image (it starts with bytes 47 49 46 38)")) {
            try RGBAImage(file: gif)
        }
        #expect("\(ImageFileError(file: "x.gif", problem: "is not a PNG or JPEG image (it starts with bytes 47 49 46 38)"))"
                == "x.gif is not a PNG or JPEG image (it starts with bytes 47 49 46 38)")
        let empty = folder.write("empty.jpg", [])
        #expect(throws: ImageFileError(file: empty, problem: "is empty, not a PNG or JPEG image")) { try RGBAImage(file: empty) }
        let cut = folder.write("cut.jpg", [0xFF, 0xD8])
        #expect(throws: ImageFileError(file: cut, problem: "is cut short: the file ends inside its headers; copy or download it again")) {
            try RGBAImage(file: cut)
        }
    }

    @Test func unreadableFilesAndBrokenPNGsSaySo() throws {
        #expect(throws: FileError(path: "/nonexistent/shoe.jpg", problem: "does not exist")) {
            try RGBAImage(file: "/nonexistent/shoe.jpg")
        }
        let folder = TemporaryFolder()
        let png = try JPEGFixture.bytes("420-17x13.png")
        let broken = folder.write("broken.png", Array(png.prefix(40)))
        #expect(throws: PNGImage.Failure.self) { try RGBAImage(file: broken) }
    }
}
