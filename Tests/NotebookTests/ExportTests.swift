import Foundation
import Testing
import TestSupport
@testable import Notebook
@testable import Plot

@Suite struct ExportTests {
    func export(_ folder: TemporaryFolder) throws -> NotebookExport {
        let canvas = try Canvas(width: 20, height: 10)
        let picture = folder.path + "/p.png"
        try canvas.writePNG(to: URL(fileURLWithPath: picture))
        let source = try LiterateSource(text: """
        /*:
         # Title
         Some *prose* with `code` & <angle brackets>.
         */
        let a = 1
        //: More prose.
        let b = 2
        """, file: "t.swift")
        return NotebookExport(title: "T", lessonName: "t", cells: source.cells,
                              outputs: [(1, .text("a is 1")), (1, .image(path: picture)), (3, .error("error: boom"))])
    }

    @Test func ipynbHasTheShapeOfNbformat45() throws {
        let folder = TemporaryFolder()
        let data = try export(folder).ipynb()
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["nbformat"] as? Int == 4 && json["nbformat_minor"] as? Int == 5)
        let metadata = try #require(json["metadata"] as? [String: Any])
        #expect((metadata["kernelspec"] as? [String: Any])?["language"] as? String == "swift")
        let all = try #require(json["cells"] as? [[String: Any]])
        // First, what the notebook is: a record of a run, not something Jupyter can run.
        #expect((all[0]["source"] as? [String])?.first?.contains("This is the record of a run of `swift run lesson t`") == true)
        let cells = Array(all.dropFirst())
        #expect(cells.map { $0["cell_type"] as? String } == ["markdown", "code", "markdown", "code"])
        let ids = all.compactMap { $0["id"] as? String }
        #expect(Set(ids).count == 5)
        #expect(cells.filter { $0["cell_type"] as? String == "code" }.allSatisfy { $0["execution_count"] is NSNull },
                "not numbered: Jupyter did not run them")
        #expect(cells[0]["source"] as? [String] == ["# Title\n", "Some *prose* with `code` & <angle brackets>."])
        let outputs = try #require(cells[1]["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["output_type"] as? String } == ["stream", "display_data"])
        let png = try #require((outputs[1]["data"] as? [String: Any])?["image/png"] as? String)
        #expect(try PNGImage(data: try #require(Data(base64Encoded: png))).width == 20)
        let error = try #require((cells[3]["outputs"] as? [[String: Any]])?.first)
        #expect(error["name"] as? String == "stderr")
    }

    @Test func htmlIsSelfContainedAndEscaped() throws {
        let folder = TemporaryFolder()
        let html = try export(folder).html()
        #expect(html.contains("<h1 id=\"title\">Title</h1>"))
        #expect(html.contains("This is the record of a run of <code>swift run lesson t</code>"))
        #expect(html.contains("<em>prose</em> with <code>code</code> &amp; &lt;angle brackets&gt;"))
        #expect(html.contains("data:image/png;base64,"))
        // Nothing is fetched from elsewhere: every src is inline data, no stylesheets or scripts
        // from files; the one script (the full-size view) is inline.
        let sources = html.components(separatedBy: "src=\"").dropFirst()
        #expect(!sources.isEmpty && sources.allSatisfy { $0.hasPrefix("data:") })
        #expect(!html.contains("<link") && !html.contains("<script src") && !html.contains("url("))
        #expect(html.components(separatedBy: "<script>").count == 2 && html.contains(NotebookExport.zoomScript(in: .en)))
        #expect(html.components(separatedBy: "<button class=\"zoom\"").count - 1 == sources.count)
        #expect(html.contains("class=\"output error\""))
    }
}
