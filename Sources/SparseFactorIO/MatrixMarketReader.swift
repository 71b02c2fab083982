import SparseFactorCore
import Foundation

/// Reads Matrix Market files (`.mtx`) into a dense matrix.
///
/// Supported: `matrix coordinate` and `matrix array`; fields `real`, `double`, `integer` and `pattern`
/// (every listed entry is 1); symmetries `general`, `symmetric` and `skew-symmetric`.
/// Coordinate entries are 1-based; an entry listed twice is summed (as scipy's `mmread` does).
/// Complex and Hermitian matrices are refused with a clear message.
///
/// ```swift
/// let a = try MatrixMarketReader.read(url: URL(fileURLWithPath: "bcsstk01.mtx"))
/// ```
public enum MatrixMarketReader {
    enum Layout { case coordinate, array }
    enum Field { case real, integer, pattern }
    enum Symmetry { case general, symmetric, skewSymmetric }

    /// The dense matrix stored in `url` (gzip-compressed files are accepted).
    public static func read(url: URL) throws -> Matrix<Double> {
        try parse(TextLines(url: url))
    }

    /// The square matrix stored in `url` in sparse form, never dense (for matrix-free fits of large files).
    public static func readSparse(url: URL) throws -> SparseMatrix {
        try parseSparse(TextLines(url: url))
    }

    /// The square matrix stored in `data` in sparse form; `name` names it in error messages.
    public static func readSparse(data: Data, name: String = "Matrix Market data") throws -> SparseMatrix {
        try parseSparse(TextLines(data: data, name: name))
    }

    /// The dense matrix stored in `data`; `name` names it in error messages.
    public static func read(data: Data, name: String = "Matrix Market data") throws -> Matrix<Double> {
        try parse(TextLines(data: data, name: name))
    }

    /// What a file holds: a coordinate file's entries (0-based, each symmetric entry listed twice, in
    /// file order), or an array file's dense matrix.
    enum Content {
        case coordinate(rows: Int, columns: Int, entries: [(row: Int, column: Int, value: Double)])
        case array(Matrix<Double>)
    }

    static func parse(_ text: TextLines) throws -> Matrix<Double> {
        switch try parseContent(text) {
        case .array(let m): return m
        case .coordinate(let rows, let columns, let entries):
            try checkDenseAllocation(rows: rows, columns: columns, what: text.name)
            var out = try Matrix<Double>(rows: rows, columns: columns)
            for e in entries { out[e.row, e.column] += e.value }
            return out
        }
    }

    static func parseSparse(_ text: TextLines) throws -> SparseMatrix {
        switch try parseContent(text) {
        case .array(let m):
            guard m.rows == m.columns else { throw SparseFactorError.shapeMismatch(expected: "\(text.name): a square matrix", got: "\(m.rows)×\(m.columns)") }
            return try SparseMatrix(dense: m)
        case .coordinate(let rows, let columns, let entries):
            guard rows == columns else { throw SparseFactorError.shapeMismatch(expected: "\(text.name): a square matrix", got: "\(rows)×\(columns)") }
            return try SparseMatrix(size: rows, entries: entries, duplicates: .sum)
        }
    }

    static func parseContent(_ text: TextLines) throws -> Content {
        guard let bannerLine = text.lines.first(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
            throw SparseFactorError.io("\(text.name): the file is empty, expected a Matrix Market banner \"%%MatrixMarket matrix …\"")
        }
        let banner = bannerLine.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        guard banner.count >= 5, banner[0] == "%%matrixmarket" else {
            throw SparseFactorError.io("\(text.name): expected the banner \"%%MatrixMarket matrix <coordinate|array> <field> <symmetry>\", got \"\(bannerLine.prefix(80))\"")
        }
        guard banner[1] == "matrix" else {
            throw SparseFactorError.io("\(text.name): only Matrix Market objects of type \"matrix\" are supported, got \"\(banner[1])\"")
        }
        let layout: Layout
        switch banner[2] {
        case "coordinate": layout = .coordinate
        case "array": layout = .array
        default: throw SparseFactorError.io("\(text.name): expected the format \"coordinate\" or \"array\", got \"\(banner[2])\"")
        }
        let field: Field
        switch banner[3] {
        case "real", "double": field = .real
        case "integer": field = .integer
        case "pattern": field = .pattern
        case "complex": throw SparseFactorError.io("\(text.name): complex matrices are not supported (expected real, integer or pattern)")
        default: throw SparseFactorError.io("\(text.name): expected the field real, integer or pattern, got \"\(banner[3])\"")
        }
        let symmetry: Symmetry
        switch banner[4] {
        case "general": symmetry = .general
        case "symmetric": symmetry = .symmetric
        case "skew-symmetric": symmetry = .skewSymmetric
        case "hermitian": throw SparseFactorError.io("\(text.name): Hermitian matrices are complex and not supported")
        default: throw SparseFactorError.io("\(text.name): expected the symmetry general, symmetric or skew-symmetric, got \"\(banner[4])\"")
        }
        if layout == .array && field == .pattern {
            throw SparseFactorError.io("\(text.name): the array format cannot have the pattern field")
        }

        let lines = text.content(commentPrefixes: ["%"])
        guard let sizeLine = lines.first else {
            throw SparseFactorError.io("\(text.name): the file ends after its banner, expected a size line")
        }
        let expectedSizeFields = layout == .coordinate ? 3 : 2
        guard sizeLine.fields.count == expectedSizeFields else {
            throw text.error(sizeLine.number, "expected the size line \(layout == .coordinate ? "\"rows columns entries\"" : "\"rows columns\""), got \"\(sizeLine.text.prefix(80))\"")
        }
        let rows = try text.integer(sizeLine.fields[0], line: sizeLine.number, what: "the number of rows")
        let columns = try text.integer(sizeLine.fields[1], line: sizeLine.number, what: "the number of columns")
        guard rows > 0, columns > 0 else {
            throw SparseFactorError.io("\(text.name): the matrix is empty (\(rows)×\(columns)), expected at least 1×1")
        }
        if symmetry != .general && rows != columns {
            throw text.error(sizeLine.number, "a \(banner[4]) matrix must be square, got \(rows)×\(columns)")
        }
        let entries = lines.dropFirst()

        // Every count is checked against the file before the matrix is allocated, so a short file
        // announcing a huge matrix is refused without touching memory.
        switch layout {
        case .coordinate:
            let count = try text.integer(sizeLine.fields[2], line: sizeLine.number, what: "the number of entries")
            guard count >= 0 else { throw text.error(sizeLine.number, "the number of entries must not be negative, got \(count)") }
            guard entries.count == count else {
                throw SparseFactorError.io("\(text.name): the size line announces \(count) entries but the file has \(entries.count)\(entries.count < count ? " (truncated?)" : "")")
            }
            var out: [(row: Int, column: Int, value: Double)] = []
            out.reserveCapacity(symmetry == .general ? count : 2 * count)
            let valueFields = field == .pattern ? 2 : 3
            for line in entries {
                guard line.fields.count == valueFields else {
                    throw text.error(line.number, "expected \(valueFields) fields (\(field == .pattern ? "row column" : "row column value")), got \(line.fields.count)")
                }
                let row = try text.integer(line.fields[0], line: line.number, what: "the row index")
                let column = try text.integer(line.fields[1], line: line.number, what: "the column index")
                guard (1...rows).contains(row), (1...columns).contains(column) else {
                    throw text.error(line.number, "entry (\(row), \(column)) is outside the \(rows)×\(columns) matrix (indices are 1-based)")
                }
                let (i, j) = (row - 1, column - 1)
                let v = field == .pattern ? 1 : try value(text, line.fields[2], line: line.number, field: field)
                out.append((i, j, v))
                if i != j {
                    switch symmetry {
                    case .general: break
                    case .symmetric: out.append((j, i, v))
                    case .skewSymmetric: out.append((j, i, -v))
                    }
                } else if symmetry == .skewSymmetric && v != 0 {
                    throw text.error(line.number, "a skew-symmetric matrix has a zero diagonal, got \(v) at (\(i + 1), \(i + 1))")
                }
            }
            return .coordinate(rows: rows, columns: columns, entries: out)
        case .array:
            try checkDenseAllocation(rows: rows, columns: columns, what: text.name)
            // Column-major; symmetric files list the lower triangle with the diagonal, skew-symmetric
            // ones without it. rows·columns fits (checkDenseAllocation), so the triangles do too.
            let needed: Int
            switch symmetry {
            case .general: needed = rows * columns
            case .symmetric: needed = rows * (rows + 1) / 2
            case .skewSymmetric: needed = rows * (rows - 1) / 2
            }
            var values: [(line: Int, text: Substring)] = []
            for line in entries {
                for fieldText in line.fields {
                    values.append((line.number, fieldText))
                    guard values.count <= needed else { break }
                }
                guard values.count <= needed else { break }
            }
            guard values.count == needed else {
                let more = values.count > needed ? "more than \(needed)" : "\(values.count)\(values.count < needed ? " (truncated?)" : "")"
                throw SparseFactorError.io("\(text.name): a \(rows)×\(columns) \(banner[4]) array needs \(needed) values, the file has \(more)")
            }
            var out = try Matrix<Double>(rows: rows, columns: columns)
            var next = 0
            for j in 0..<columns {
                let first: Int
                switch symmetry {
                case .general: first = 0
                case .symmetric: first = j
                case .skewSymmetric: first = j + 1
                }
                for i in first..<max(first, rows) {
                    let (lineNumber, fieldText) = values[next]
                    next += 1
                    let v = try value(text, fieldText, line: lineNumber, field: field)
                    out[i, j] = v
                    switch symmetry {
                    case .general: break
                    case .symmetric: out[j, i] = v
                    case .skewSymmetric: out[j, i] = -v
                    }
                }
            }
            return .array(out)
        }
    }

    static func value(_ text: TextLines, _ field: Substring, line: Int, field kind: Field) throws -> Double {
        if kind == .integer {
            guard Int(field) != nil else { throw text.error(line, "expected an integer value, got \"\(field.prefix(40))\"") }
        }
        return try text.number(field, line: line, what: "the value")
    }
}
