extension Kernels {
    /// Writes the transpose of the `rows` × `columns` matrix `a` (row-major) to `b` (`columns` ×
    /// `rows`). A block of 16 × 16 at a time, so that the reads and the writes each stay on 16
    /// cache lines; the blocks' rows are shared among the threads.
    package static func transpose(_ a: UnsafePointer<Float>, rows: Int, columns: Int, into b: UnsafeMutablePointer<Float>,
                                  threads: Int = Parallel.threadCount) {
        let side = 16
        let rowBlocks = (rows + side - 1) / side
        Parallel.forRanges(rowBlocks, threads: threads, grain: max(1, elementwiseGrain / (side * max(columns, 1)))) { blocks in
            for first in stride(from: blocks.lowerBound * side, to: min(rows, blocks.upperBound * side), by: side) {
                let lastRow = min(rows, first + side)
                for firstColumn in stride(from: 0, to: columns, by: side) {
                    let lastColumn = min(columns, firstColumn + side)
                    for r in first..<lastRow {
                        for c in firstColumn..<lastColumn { b[c * rows + r] = a[r * columns + c] }
                    }
                }
            }
        }
    }
}
