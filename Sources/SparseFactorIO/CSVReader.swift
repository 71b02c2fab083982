import SparseFactorCore
import Foundation

/// A numeric data table: one row per sample, one column per feature, with optional column names.
///
/// ```swift
/// let table = try CSVReader.readTable(url: URL(fileURLWithPath: "digits.csv"))
/// print(table.values.rows, table.values.columns, table.columnNames ?? [])
/// ```
public struct DataTable: Equatable, Sendable {
    /// Column names from the header line, if the file had one.
    public var columnNames: [String]?
    /// The numbers: `values[sample, feature]`.
    public var values: Matrix<Double>

    public init(columnNames: [String]? = nil, values: Matrix<Double>) throws {
        if let names = columnNames, names.count != values.columns {
            throw SparseFactorError.shapeMismatch(expected: "\(values.columns) column names", got: "\(names.count)")
        }
        self.columnNames = columnNames
        self.values = values
    }

    /// The table restricted to the given columns (in the given order), for example to drop a label column.
    public func selectingColumns(_ indices: [Int]) throws -> DataTable {
        guard !indices.isEmpty else { throw SparseFactorError.invalidArgument("select at least one column") }
        for c in indices where !(0..<values.columns).contains(c) {
            throw SparseFactorError.invalidArgument("column \(c) is outside the table's \(values.columns) columns")
        }
        var out = try Matrix<Double>(rows: values.rows, columns: indices.count)
        for r in 0..<values.rows { for (k, c) in indices.enumerated() { out[r, k] = values[r, c] } }
        return try DataTable(columnNames: columnNames.map { names in indices.map { names[$0] } }, values: out)
    }
}

/// Reads numeric CSV files: fields separated by commas, semicolons, tabs or blanks (detected from the
/// first data line), an optional header line (a first line none of whose fields is a number), and comment lines
/// starting with `#`. Every row must have the same number of fields, every field a finite number.
///
/// ```swift
/// let x = try CSVReader.read(url: URL(fileURLWithPath: "matrix.csv"))   // dense, possibly non-square
/// ```
public enum CSVReader {
    /// The file's numbers as a dense matrix (one row per line).
    public static func read(url: URL) throws -> Matrix<Double> {
        try readTable(url: url).values
    }

    /// The file as a data table (column names from the header line, if any).
    public static func readTable(url: URL) throws -> DataTable {
        try parse(TextLines(url: url))
    }

    /// The table in `data`; `name` names it in error messages.
    public static func readTable(data: Data, name: String = "CSV data") throws -> DataTable {
        try parse(TextLines(data: data, name: name))
    }

    static func separator(of line: Substring) -> FieldSeparator {
        if line.contains(",") { return .character(",") }
        if line.contains(";") { return .character(";") }
        if line.contains("\t") { return .character("\t") }
        return .whitespace
    }

    static func parse(_ text: TextLines) throws -> DataTable {
        guard let firstLine = text.content(commentPrefixes: ["#"]).first else {
            throw SparseFactorError.io("\(text.name): the file has no data rows (it is empty or only comments)")
        }
        let separator = separator(of: firstLine.text)
        var lines = text.content(commentPrefixes: ["#"], separator: separator)
        var names: [String]? = nil
        let first = lines[0]
        // A header has no numeric field: a first line mixing names and numbers is more likely a corrupt row.
        if first.fields.allSatisfy({ Double($0) == nil }) {
            names = first.fields.map { field in
                var name = String(field)
                if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
                return name
            }
            lines.removeFirst()
        }
        guard let widthLine = lines.first else {
            throw SparseFactorError.io("\(text.name): the file has a header line but no data rows")
        }
        let columns = widthLine.fields.count
        if let names, names.count != columns {
            throw text.error(widthLine.number, "the header names \(names.count) columns but the first row has \(columns) fields")
        }
        try checkDenseAllocation(rows: lines.count, columns: columns, what: text.name)
        var values = [Double]()
        values.reserveCapacity(lines.count * columns)
        for line in lines {
            guard line.fields.count == columns else {
                throw text.error(line.number, "expected \(columns) fields like the first row, got \(line.fields.count)")
            }
            for (c, field) in line.fields.enumerated() {
                if field.isEmpty { throw text.error(line.number, "field \(c + 1) is empty, expected a number") }
                values.append(try text.number(field, line: line.number, what: "field \(c + 1)"))
            }
        }
        return try DataTable(columnNames: names, values: Matrix(rows: lines.count, columns: columns, values: values))
    }
}
