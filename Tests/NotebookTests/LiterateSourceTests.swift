import Testing
@testable import Notebook

@Suite struct LiterateSourceTests {
    func cells(_ text: String) throws -> [LiterateSource.Cell] { try LiterateSource(text: text, file: "t.swift").cells }

    @Test func proseAndCodeInterleave() throws {
        let text = """
        /*:
         # Title

         Some *prose*.
         */
        import NN

        let a = 1
        //: A line of prose.
        //: Another.
        let b = 2
        /*: One-line block. */
        let c = 3
        """
        let c = try cells(text)
        #expect(c.map(\.kind) == [.prose, .code, .prose, .code, .prose, .code])
        #expect(c[0].text == "# Title\n\nSome *prose*.")
        #expect(c[1].text == "import NN\n\nlet a = 1" && c[1].lines == 6...8)
        #expect(c[2].text == "A line of prose.\nAnother." && c[2].lines == 9...10)
        #expect(c[4].text == "One-line block.")
        #expect(c[5].lines == 13...13)
    }

    @Test func nestedCommentsStayInside() throws {
        let text = """
        /*:
         Prose with /* a nested comment */ inside.
         */
        /* an ordinary comment
           /*: not prose, inside a comment */
        */
        let x = 1
        """
        let c = try cells(text)
        #expect(c.map(\.kind) == [.prose, .code])
        #expect(c[0].text == "Prose with /* a nested comment */ inside.")
        #expect(c[1].text.hasPrefix("/* an ordinary comment") && c[1].text.hasSuffix("let x = 1"))
    }

    @Test func markupAtStartAndEndAndEmptyCells() throws {
        let text = "/*: Start. */\n\n\n/*:\n\n*/\n//: End.\n"
        let c = try cells(text)
        #expect(c.count == 1, "adjacent prose merges; empty blocks and blank code vanish")
        #expect(c[0].text == "Start.\n\nEnd." && c[0].kind == .prose)
        #expect(try cells("").isEmpty)
        #expect(try cells("let only = 1").map(\.kind) == [.code])
    }

    @Test func indentedCellsAreDedentedAndClosingBracketsHidden() throws {
        let text = """
        let lesson = Lesson { nb in
            let net = 1
        /*:
         ## Inside the closure
         */
            try nb.say("hi")
            if true {
                print(2)
            }
        }
        """
        let c = try cells(text)
        #expect(c.map(\.kind) == [.code, .prose, .code])
        #expect(c[2].text == "try nb.say(\"hi\")\nif true {\n    print(2)\n}")
    }

    @Test func unclosedProseIsAnErrorAtItsLine() {
        #expect(throws: LiterateSource.ParseError(file: "t.swift", line: 3, problem: "prose block opened with /*: is never closed with */")) {
            try LiterateSource(text: "let a = 1\n\n/*: never\nclosed", file: "t.swift")
        }
    }

    @Test func linesFindTheirCell() throws {
        let source = try LiterateSource(text: "/*: P */\nlet a = 1\n\nlet b = 2\n//: Q\n\nlet c = 3", file: "t")
        #expect(source.cellIndex(containing: 2) == 1)
        #expect(source.cellIndex(containing: 4) == 1)
        #expect(source.cellIndex(containing: 6) == 1, "a blank line between cells belongs to the code cell before it")
        #expect(source.cellIndex(containing: 7) == 3)
    }
}

@Suite struct MarkdownTests {
    @Test func plainTerminalDropsMarkersAndWraps() {
        let r = MarkdownRenderer(terminal: Terminal(isInteractive: false, useColor: false, width: 30))
        let out = r.render("# Title\n\nSome **bold** and `code` words that wrap across the line.\n\n- one item\n- two")
        #expect(out == """
        Title
        =====

        Some bold and code words that
        wrap across the line.

          • one item
          • two
        """)
    }
}
