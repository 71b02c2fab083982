import SparseFactorCore
import Foundation

/// The file formats ``MatrixReader`` knows.
public enum MatrixFileFormat: String, CaseIterable, Sendable {
    /// PNG image, read as grayscale in [0, 1] (``PNGReader``).
    case png
    /// NumPy `.npy` array (``NpyReader``).
    case npy
    /// Matrix Market `.mtx` (``MatrixMarketReader``).
    case matrixMarket = "mtx"
    /// Numeric CSV, a dense matrix or data table (``CSVReader``).
    case csv
    /// Edge list `u v [w]`, undirected: each edge sets `A[u, v]` and `A[v, u]` (``EdgeListReader``).
    case edgeList = "edgelist"
    /// Edge list `u v [w]`, directed: each edge sets only `A[u, v]`. Never guessed; name it explicitly.
    case directedEdgeList = "directed-edgelist"
    /// OFF mesh (``MeshReader``).
    case off
    /// PLY mesh (``MeshReader``).
    case ply
    /// Stanford GraphBase `miles.dat` / networkx `knuth_miles.txt.gz` (``KnuthMilesReader``).
    case knuthMiles = "knuth-miles"
    /// Stanford GraphBase `roget.dat` / networkx `roget_dat.txt.gz` (``RogetReader``).
    case roget

    /// A format from a CLI name: its raw value or an alias (`matrix-market`, `edges`, `edge-list`, `miles`).
    public init(name: String) throws {
        let key = name.lowercased()
        if let f = MatrixFileFormat(rawValue: key) { self = f; return }
        switch key {
        case "matrix-market", "mm": self = .matrixMarket
        case "edges", "edge-list", "txt": self = .edgeList
        case "directed-edges", "directed-edge-list": self = .directedEdgeList
        case "miles", "knuth_miles": self = .knuthMiles
        default:
            throw SparseFactorError.invalidArgument("unknown file format \"\(name)\"; expected one of \(MatrixFileFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// The format of `url` from its extension (a trailing `.gz` is skipped): `.png`, `.npy`, `.mtx`/`.mm`,
    /// `.csv`/`.tsv`, `.txt`/`.dat`/`.edges`/`.edgelist`/`.el`, `.off`, `.ply`. For `.txt` and `.dat`,
    /// `content` (the decompressed file, if given) is looked at to recognize the Knuth miles and Roget files;
    /// other such files are edge lists.
    public static func guess(url: URL, content: Data? = nil) throws -> MatrixFileFormat {
        let ext = FileInput.strippingGzip(url).pathExtension.lowercased()
        switch ext {
        case "png": return .png
        case "npy": return .npy
        case "mtx", "mm": return .matrixMarket
        case "csv", "tsv": return .csv
        case "off": return .off
        case "ply": return .ply
        case "txt", "dat", "edges", "edgelist", "el":
            if let content, let sniffed = sniffStanfordGraphBase(content) { return sniffed }
            return .edgeList
        default:
            throw SparseFactorError.io("\(url.path): cannot tell the format from the extension \"\(ext)\"; expected .png, .npy, .mtx, .csv, .txt/.edges, .off or .ply (optionally .gz), or give the format explicitly")
        }
    }

    /// Recognizes the Stanford GraphBase files by their first data line after the `*` comments.
    static func sniffStanfordGraphBase(_ data: Data) -> MatrixFileFormat? {
        let head = String(decoding: data.prefix(4096), as: UTF8.self)
        guard let line = head.split(separator: "\n").first(where: { !$0.hasPrefix("*") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else { return nil }
        if let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]"), open < close, line[open..<close].contains(",") {
            return .knuthMiles
        }
        if let first = line.first, first.isASCII, first.isNumber, let colon = line.firstIndex(of: ":"),
           line[..<colon].contains(where: { $0.isLetter }) {
            return .roget
        }
        return nil
    }
}

/// Reads a matrix file of any supported format, by its extension or an explicit format.
///
/// ```swift
/// let a = try MatrixReader.read(url: URL(fileURLWithPath: "camera.png"))                       // 512×512 gray
/// let g = try MatrixReader.read(url: URL(fileURLWithPath: "camera.png"), transform: .gradientImage)
/// let w = try MatrixReader.read(url: URL(fileURLWithPath: "WormNet.v3.benchmark.txt"))         // 2445×2445 adjacency
/// ```
public enum MatrixReader {
    /// The file's own matrix (see ``MatrixSource/defaultMatrix()``): an image, an array, a table, a network's
    /// adjacency (undirected for edge lists), a mesh's vertex adjacency, the cities' distance matrix.
    /// It may be non-square. Corrupt or truncated files throw `SparseFactorError.io`; NaN or infinite
    /// entries throw `SparseFactorError.nonFinite`.
    public static func read(url: URL, format: MatrixFileFormat? = nil) throws -> Matrix<Double> {
        try load(url: url, format: format).defaultMatrix()
    }

    /// The square matrix `transform` makes of the file, checked to be factorizable
    /// (square, N ≥ 2, finite, not all zero; see `Matrix.checkFactorizable()`).
    public static func read(url: URL, format: MatrixFileFormat? = nil, transform: MatrixTransform) throws -> Matrix<Double> {
        let m = try transform.apply(to: load(url: url, format: format))
        try m.checkFactorizable()
        return m
    }

    /// What the file holds, before any transform.
    public static func load(url: URL, format: MatrixFileFormat? = nil) throws -> MatrixSource {
        let data = try FileInput.bytes(url)
        return try load(data: data, format: format ?? MatrixFileFormat.guess(url: url, content: data), name: url.path)
    }

    /// What `data` holds in `format` (already decompressed); `name` names it in error messages.
    public static func load(data: Data, format: MatrixFileFormat, name: String = "input") throws -> MatrixSource {
        switch format {
        case .png: return .matrix(try PNGReader.read(data: data, name: name))
        case .npy: return .matrix(try NpyReader.read(data: data, name: name))
        case .matrixMarket: return .matrix(try MatrixMarketReader.read(data: data, name: name))
        case .csv: return .table(try CSVReader.readTable(data: data, name: name))
        case .edgeList: return .graph(try EdgeListReader.readGraph(data: data, name: name))
        case .directedEdgeList: return .graph(try EdgeListReader.readGraph(data: data, name: name, directed: true))
        case .off: return .mesh(try MeshReader.readOFF(data: data, name: name))
        case .ply: return .mesh(try MeshReader.readPLY(data: data, name: name))
        case .knuthMiles: return .cities(try KnuthMilesReader.read(data: data, name: name))
        case .roget: return .graph(try RogetReader.read(data: data, name: name))
        }
    }
}
