import ArgumentParser
import Foundation
import SparseFactor

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Multiply a saved approximation W1⋯WM (or its transpose) with vectors or a matrix.",
        discussion: """
            FACTORS is a file written by `sparsefactor factorize --save`. INPUT holds an N×C block \
            (.npy, 1-D or 2-D, or .csv; a single CSV row of N numbers is one vector). The product goes to \
            --output (.npy or .csv, written atomically) or, without it, to standard output as CSV.
            """)

    @Argument(help: "The saved factors.") var factors: String
    @Argument(help: "The vectors: an N×C matrix file (.npy or .csv).") var input: String
    @Option(help: "Write the product here (.npy or .csv) instead of printing it.") var output: String?
    @Flag(help: "Multiply with the transpose (W1⋯WM)ᵀ instead.") var transpose = false
    @Option(parsing: .unconditional, help: "Threads of the kernels (default: the OpenMP default). Results do not depend on it.") var threads: Int?

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        if let output { _ = try OutputKind(path: output) }
    }

    func run() throws {
        try runReportingErrors(json: false) {
            let target = try output.map { (url: try checkedSaveTarget($0), kind: try OutputKind(path: $0)) }
            if let threads { Parallelism.threads = threads }
            let chain = try FactorFile.load(from: URL(fileURLWithPath: factors))
            let x = try MatrixReader.read(url: URL(fileURLWithPath: input))
            let n = chain.topology.size
            // A single row of N numbers is one vector: multiply it as a column, give it back as a row.
            let asRow = x.rows != n && x.rows == 1 && x.columns == n
            let block = asRow ? x.transposed : x
            guard block.rows == n else {
                throw SparseFactorError.shapeMismatch(expected: "an input with N = \(n) rows (the factors' size), i.e. N×C vectors",
                                                      got: "\(x.rows)×\(x.columns) in \(input)")
            }
            let y = try transpose ? chain.applyTransposed(block) : chain.apply(block)
            guard y.isFinite else {
                throw SparseFactorError.nonFinite("the product of the factors and \(input) overflows Double (finite input, infinite or NaN result): scale the input down")
            }
            let result = asRow ? y.transposed : y
            switch target {
            case let (url, .npy)?: try NpyWriter.write(result, to: url)
            case let (url, .csv)?: try AtomicFile.write(Data(csvText(result).utf8), to: url)
            case nil: print(csvText(result), terminator: "")
            }
        }
    }

    enum OutputKind {
        case npy, csv

        init(path: String) throws {
            switch URL(fileURLWithPath: path).pathExtension.lowercased() {
            case "npy": self = .npy
            case "csv": self = .csv
            default: throw ValidationError("--output must end in .npy or .csv, got \"\(path)\"")
            }
        }
    }
}

/// The matrix as CSV, one row per line, each number in Swift's shortest exact form.
func csvText(_ m: Matrix<Double>) -> String {
    var text = ""
    text.reserveCapacity(m.values.count * 20)
    for r in 0..<m.rows {
        for c in 0..<m.columns {
            if c > 0 { text += "," }
            text += "\(m[r, c])"
        }
        text += "\n"
    }
    return text
}
