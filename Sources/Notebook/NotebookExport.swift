import Files
import Foundation
import Localization

/// A lesson run as a notebook a student can open later: the cells shown, each code cell with its
/// outputs, written as Jupyter's `.ipynb` (nbformat 4.5) and as one self-contained `.html` page.
public struct NotebookExport {
    let title: String
    let lessonName: String
    /// The lesson's file, as the record names it: `Lessons/LeNet.swift`.
    var sourceName: String = ""
    /// The language the run spoke, named in the page's `lang` and the notebook's metadata.
    var language = Language.en
    let cells: [LiterateSource.Cell]
    /// Outputs by cell index; `nil` when the lesson's source was not available.
    let outputs: [(cell: Int?, output: CellOutput)]

    /// Each cell with the outputs it made. Outputs that belong to no code cell (no source, or a
    /// prose cell) follow the last code cell before them, or a code cell of their own.
    func grouped() -> [(cell: LiterateSource.Cell, outputs: [CellOutput])] {
        var result: [(cell: LiterateSource.Cell, outputs: [CellOutput])] = cells.map { ($0, []) }
        var orphans: [CellOutput] = []
        for (index, output) in outputs {
            let target = index.flatMap { i in (0..<min(i + 1, cells.count)).reversed().first { cells[$0].kind == .code } }
            if let target { result[target].outputs.append(output) } else { orphans.append(output) }
        }
        if !orphans.isEmpty {
            result.append((LiterateSource.Cell(kind: .code, text: "// Outputs of the run that belong to no cell shown.",
                                               lines: 0...0), orphans))
        }
        return result
    }

    // MARK: ipynb

    /// What the record is, said first in the notebook and on the page.
    var recordNote: String {
        let file = sourceName.isEmpty ? "" : Localized(" (the lesson's file: `\(sourceName)`)", zh: "（课程文件：`\(sourceName)`）").text(in: language)
        let command = "`swift run lesson \(lessonName)" + (language == .en ? "" : " --lang \(language.rawValue)") + "`"
        return Localized("This is the record of a run of \(command)\(file): its Swift code ran there, with Convbook, not in "
                         + "Jupyter; there is no Jupyter kernel for it. Read it here; to run it, run the lesson.",
                         zh: "这是 \(command) 一次运行的记录\(file)：其中的 Swift 代码由 Convbook 运行，而不是在 Jupyter 中；"
                         + "Jupyter 没有运行它的内核。请在这里阅读；要运行它，请运行这节课。").text(in: language)
    }

    func ipynb() throws -> Data {
        // Cells are not numbered: Jupyter did not run them.
        var notebookCells: [[String: Any]] = [
            ["cell_type": "markdown", "id": "record", "metadata": [String: Any](), "source": Self.lines("*\(recordNote)*")],
        ]
        for (i, (cell, outputs)) in grouped().enumerated() {
            let source = Self.lines(cell.text)
            switch cell.kind {
            case .prose:
                notebookCells.append(["cell_type": "markdown", "id": "cell-\(i)", "metadata": [String: Any](), "source": source])
            case .code:
                notebookCells.append([
                    "cell_type": "code", "id": "cell-\(i)", "metadata": [String: Any](), "source": source,
                    "execution_count": NSNull(), "outputs": try outputs.map(Self.jupyterOutput),
                ])
            }
        }
        let notebook: [String: Any] = [
            "nbformat": 4, "nbformat_minor": 5,
            "metadata": [
                "kernelspec": ["name": "swift", "display_name": "Swift", "language": "swift"],
                "language_info": ["name": "swift", "file_extension": ".swift", "mimetype": "text/x-swift"],
                "language": language.tag,
                "convbook": ["lesson": lessonName, "note": "Written by `swift run lesson \(lessonName)`; the code runs there, not in Jupyter."],
            ],
            "cells": notebookCells,
        ]
        return try JSONSerialization.data(withJSONObject: notebook, options: [.prettyPrinted, .sortedKeys])
    }

    static func jupyterOutput(_ output: CellOutput) throws -> [String: Any] {
        switch output {
        case .text(let text):
            return ["output_type": "stream", "name": "stdout", "text": lines(text + "\n")]
        case .error(let text):
            return ["output_type": "stream", "name": "stderr", "text": lines(text + "\n")]
        case .image(let picture):
            return ["output_type": "display_data", "metadata": [String: Any](),
                    "data": ["image/png": try pngBase64(picture.path), "text/plain": [(picture.path as NSString).lastPathComponent]]]
        }
    }

    /// Lines with their newlines, as nbformat stores multi-line strings.
    static func lines(_ text: String) -> [String] {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) + "\n" }
        if let last = parts.last {
            parts[parts.count - 1] = String(last.dropLast())
            if parts[parts.count - 1].isEmpty { parts.removeLast() }
        }
        return parts
    }

    static func pngBase64(_ path: String) throws -> String {
        try ReadableFile.contents(of: path).base64EncodedString()
    }

    // MARK: HTML

    /// The lesson's headings (levels 1 and 2), linked: a table of contents.
    var contents: String {
        let headings = cells.filter { $0.kind == .prose }.flatMap { Markdown.parse($0.text) }.compactMap { block -> (Int, String)? in
            if case let .heading(level, inlines) = block, level <= 2 { return (level, Markdown.plainText(inlines)) }
            return nil
        }
        guard headings.count > 2 else { return "" }
        return "<nav class=\"contents\"><strong>\(Localized("Contents", zh: "目录").text(in: language))</strong><ul>"
            + headings.map { "<li class=\"level\($0.0)\"><a href=\"#\(Self.anchor($0.1))\">\(Self.escape($0.1))</a></li>" }.joined()
            + "</ul></nav>\n"
    }

    /// A heading's id: its words, lower case, joined by hyphens.
    static func anchor(_ text: String) -> String {
        text.lowercased().split { !$0.isLetter && !$0.isNumber }.joined(separator: "-")
    }

    func html() throws -> String {
        var body = ""
        for (cell, outputs) in grouped() {
            switch cell.kind {
            case .prose:
                body += "<section class=\"prose\">\n" + Self.cellHTML(cell) + "</section>\n"
            case .code:
                body += "<section class=\"cell\">\n" + Self.cellHTML(cell)
                for output in outputs {
                    body += try Self.outputHTML(output) { "data:image/png;base64,\(try Self.pngBase64($0.path))" }
                }
                body += "</section>\n"
            }
        }
        return """
        <!doctype html>
        <html lang="\(language.tag)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Self.escape(title)) · Convbook</title>
        <style>\(Self.style)</style>
        </head>
        <body>
        <main>
        <p class="banner">Convbook · <code>swift run lesson \(Self.escape(lessonName))</code>\(sourceName.isEmpty ? "" : " · <code>\(Self.escape(sourceName))</code>")</p>
        <p class="record">\(Self.html(Markdown.inline(recordNote)))</p>
        \(contents)\(body)</main>
        <script>\(Self.zoomScript(in: language))</script>
        </body>
        </html>

        """
    }

    public static let style = """

    body { margin: 0; background: #fafafa; color: #1d1d1f; font: 17px/1.6 Georgia, "DejaVu Serif", "Noto Serif CJK SC", "WenQuanYi Micro Hei", serif; }
    main { max-width: 860px; margin: 0 auto; padding: 24px 28px 80px; background: #fff; }
    .banner { font: 13px/1.4 system-ui, "DejaVu Sans", sans-serif; color: #777; margin: 0 0 8px; }
    h1, h2, h3 { font-family: system-ui, "DejaVu Sans", sans-serif; line-height: 1.25; }
    h1 { font-size: 2em; margin: 0.4em 0; } h2 { font-size: 1.45em; margin-top: 1.6em; } h3 { font-size: 1.15em; }
    code { font: 0.88em/1.45 "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #f2f2f4; padding: 0 3px; border-radius: 3px; }
    pre { margin: 0; overflow-x: auto; }
    .cell { margin: 18px 0; }
    .code { background: #f6f8fa; border: 1px solid #e1e4e8; border-radius: 6px; padding: 10px 12px; }
    .code code { background: none; padding: 0; font-size: 14px; }
    .ln { display: inline-block; width: 2.6em; margin-right: 10px; color: #a0a6ad; text-align: right; user-select: none; }
    .k { color: #a626a4; } .t { color: #b26b00; } .n { color: #0b7285; } .s { color: #2b8a3e; } .c { color: #868e96; font-style: italic; }
    .output { font: 13.5px/1.45 "DejaVu Sans Mono", Menlo, Consolas, monospace; padding: 8px 12px; border-left: 3px solid #d0d7de; margin-top: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
    .record { font: italic 14px/1.5 system-ui, "DejaVu Sans", sans-serif; color: #555; }
    .contents { font: 14px/1.5 system-ui, "DejaVu Sans", sans-serif; background: #f6f8fa; border-radius: 6px; padding: 8px 16px; }
    .contents ul { margin: 4px 0; padding-left: 18px; } .contents .level2 { margin-left: 14px; }
    .error { color: #c92a2a; border-left-color: #c92a2a; }
    figure { margin: 10px 0; position: relative; display: inline-block; max-width: 100%; }
    figure img { max-width: 100%; height: auto; border: 1px solid #eee; display: block; }
    figcaption { font: 12px system-ui, "DejaVu Sans", sans-serif; color: #888; display: flex; align-items: center;
                 justify-content: space-between; gap: 8px; margin-top: 3px; }
    figure .zoom { font: 14px/1 system-ui, "DejaVu Sans", sans-serif; padding: 3px 7px;
                   border: 1px solid #c7ccd1; border-radius: 5px; background: #fff; color: #333; cursor: zoom-in; opacity: .7; }
    figure:hover .zoom, figure .zoom:focus { opacity: 1; }
    #zoom { position: fixed; inset: 0; z-index: 100; background: rgba(20,24,28,.93); overflow: auto; display: flex;
            cursor: zoom-out; }
    #zoom[hidden] { display: none; }
    #zoom img { margin: auto; max-width: 98vw; max-height: 96vh; background: #fff; cursor: zoom-in; }
    #zoom.natural img { max-width: none; max-height: none; cursor: zoom-out; }
    #zoom .hint { position: fixed; bottom: 8px; left: 0; right: 0; text-align: center; color: #cbd2d9;
                  font: 13px system-ui, "DejaVu Sans", sans-serif; pointer-events: none; }

    """

    /// Any picture full size: its ⤢ button opens it over the page, fitted to the screen; a click
    /// on it shows it pixel for pixel (scroll to pan), a click beside it or Escape closes it.
    /// The exported page and the class page share it.
    public static func zoomScript(in language: Language) -> String {
        let hint = Localized("Click the picture: pixel for pixel · click beside it or Esc: close",
                             zh: "点击图片：按原始像素显示 · 点击图片旁边或按 Esc：关闭").text(in: language)
        return """
    (() => {
      const zoom = document.createElement("div");
      zoom.id = "zoom";
      zoom.hidden = true;
      zoom.innerHTML = '<img alt=""><div class="hint">\(hint)</div>';
      document.body.append(zoom);
      const image = zoom.querySelector("img");
      const close = () => { zoom.hidden = true; zoom.classList.remove("natural"); };
      document.addEventListener("click", (event) => {
        const button = event.target.closest && event.target.closest("figure .zoom");
        if (!button) return;
        event.stopPropagation();
        event.preventDefault();
        const shown = button.closest("figure").querySelector("img");
        image.src = shown.src;
        image.alt = shown.alt;
        zoom.hidden = false;
      }, true);
      zoom.addEventListener("click", (event) => {
        if (event.target === image) zoom.classList.toggle("natural");
        else close();
      });
      document.addEventListener("keydown", (event) => {
        if (!zoom.hidden && event.key === "Escape") { event.stopPropagation(); close(); }
      }, true);
    })();
    """
    }

    /// A cell as HTML: prose from its Markdown, code highlighted with its line numbers. The class
    /// page shows cells with the same HTML.
    public static func cellHTML(_ cell: LiterateSource.Cell) -> String {
        switch cell.kind {
        case .prose:
            return html(Markdown.parse(cell.text))
        case .code:
            var body = "<pre class=\"code\"><code>"
            let numbers = cell.lines.lowerBound > 0
            for (offset, line) in cell.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if numbers { body += "<span class=\"ln\">\(cell.lines.lowerBound + offset)</span>" }
                body += highlighted(String(line)) + "\n"
            }
            return body + "</code></pre>\n"
        }
    }

    /// An output as HTML; a picture's `src` comes from `source` (inline data here, a URL on the
    /// class page).
    public static func outputHTML(_ output: CellOutput, source: (PictureOutput) throws -> String) rethrows -> String {
        switch output {
        case .text(let text): return "<pre class=\"output\">\(escape(text))</pre>\n"
        case .error(let text): return "<pre class=\"output error\">\(escape(text))</pre>\n"
        case .image(let picture):
            let name = escape((picture.path as NSString).lastPathComponent)
            // The full-size button sits in the caption line, under the picture, where it covers no title.
            return "<figure><img src=\"\(escape(try source(picture)))\" alt=\"\(name)\">"
                + "<figcaption><span>\(name)</span><button class=\"zoom\" title=\"\(localized("Show full size", zh: "查看原尺寸"))\" "
                + "aria-label=\"\(localized("Show \(name) full size", zh: "查看 \(name) 的原尺寸"))\">⤢</button></figcaption></figure>\n"
        }
    }

    static func highlighted(_ line: String) -> String {
        SwiftHighlighter.tokens(line).map { token in
            let text = escape(token.text)
            switch token.kind {
            case .plain: return text
            case .keyword: return "<span class=\"k\">\(text)</span>"
            case .type: return "<span class=\"t\">\(text)</span>"
            case .number: return "<span class=\"n\">\(text)</span>"
            case .string: return "<span class=\"s\">\(text)</span>"
            case .comment: return "<span class=\"c\">\(text)</span>"
            }
        }.joined()
    }

    static func html(_ blocks: [Markdown.Block]) -> String {
        blocks.map { block in
            switch block {
            case let .heading(level, inlines):
                return "<h\(level) id=\"\(anchor(Markdown.plainText(inlines)))\">\(html(inlines))</h\(level)>\n"
            case let .paragraph(inlines): return "<p>\(html(inlines))</p>\n"
            case let .list(ordered, start, items):
                let tag = ordered ? "ol" : "ul"
                let open = ordered && start != 1 ? "<ol start=\"\(start)\">" : "<\(tag)>"
                return open + items.map { "<li>\(html($0))</li>" }.joined() + "</\(tag)>\n"
            case let .code(text): return "<pre class=\"code\"><code>\(escape(text))</code></pre>\n"
            }
        }.joined()
    }

    static func html(_ inlines: [Markdown.Inline]) -> String {
        inlines.map { piece in
            switch piece {
            case .text(let s): return escape(s)
            case .code(let s): return "<code>\(escape(s))</code>"
            case .strong(let inner): return "<strong>\(html(inner))</strong>"
            case .emphasis(let inner): return "<em>\(html(inner))</em>"
            case .link(let inner, let url): return "<a href=\"\(escape(url))\">\(html(inner))</a>"
            }
        }.joined()
    }

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
