import SparseFactorCore
import Foundation

/// Reads NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Accepted data types: `float64`, `float32`, the signed and unsigned integers of 1–8 bytes and `bool`,
/// little- or big-endian (integers and booleans are converted to `Double`; integers beyond 2^53 are
/// rounded). Arrays must be 2-D, or 1-D (read as one column). `fortran_order: True` arrays are read
/// correctly (column-major data). Any other dtype (complex, float16, strings, objects, structured
/// records) is refused with a message that names it.
///
/// ```swift
/// let a = try NpyReader.read(url: URL(fileURLWithPath: "matrix.npy"))
/// ```
public enum NpyReader {
    /// The array in `url` as a dense matrix (gzip-compressed files are accepted).
    public static func read(url: URL) throws -> Matrix<Double> {
        try read(data: FileInput.bytes(url), name: url.path)
    }

    /// The array in `url` converted to `Scalar`.
    public static func read<Scalar: KernelScalar>(url: URL, as type: Scalar.Type) throws -> Matrix<Scalar> {
        let m = try read(url: url)
        return try Matrix(rows: m.rows, columns: m.columns, values: m.values.map { Scalar($0) })
    }

    /// The array in `data`; `name` names it in error messages.
    public static func read(data: Data, name: String = "npy data") throws -> Matrix<Double> {
        let bytes = [UInt8](data)
        let layout = try NpyLayout.parse(bytes, name: name, complete: true)!
        let (rows, columns, dtype, dataStart, dict) = (layout.rows, layout.columns, layout.dtype, layout.dataStart, layout.header)
        let count = rows * columns
        let available = bytes.count - dataStart
        guard available == layout.dataBytes else {
            throw SparseFactorError.io("\(name): \(available - layout.dataBytes) unexpected bytes after the \(rows)×\(columns) \(dtype.description) array (corrupt header?)")
        }
        var values = [Double](repeating: 0, count: count)
        if dtype.kind == .float && dtype.size == 8 && !dtype.bigEndian && !dict.fortranOrder {
            // The common case, a plain copy of little-endian doubles.
            bytes.withUnsafeBytes { raw in
                for index in 0..<count {
                    values[index] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + index * 8, as: UInt64.self)))
                }
            }
        } else {
            for index in 0..<count {
                let v = dtype.decode(bytes, at: dataStart + index * dtype.size)
                // Fortran order: element (r, c) is stored at c * rows + r.
                let target = dict.fortranOrder ? (index % rows) * columns + index / rows : index
                values[target] = v
            }
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw SparseFactorError.nonFinite("\(name): entry (\(bad / columns), \(bad % columns)) is \(values[bad]), finite numbers are required")
        }
        return try Matrix(rows: rows, columns: columns, values: values)
    }
}

/// Where a `.npy` file's data starts and how large it is, from its first bytes.
struct NpyLayout {
    var header: NpyHeader
    var dtype: NpyDType
    var rows: Int
    var columns: Int
    var dataStart: Int
    /// rows · columns · the element size.
    var dataBytes: Int
    /// The whole file's size.
    var fileBytes: Int { dataStart + dataBytes }

    /// The layout of the file starting with `bytes`. With `complete` false, `bytes` may be only the
    /// beginning of the file: nil when it is too short to tell (a decompressor calls this as output
    /// arrives, to bound it by the file's own size). Throws as soon as the bytes cannot be a `.npy` file,
    /// or announce an array that would not fit in memory.
    static func parse(_ bytes: [UInt8], name: String, complete: Bool) throws -> NpyLayout? {
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard bytes.starts(with: magic.prefix(bytes.count)) else {
            throw SparseFactorError.io("\(name): not a .npy file (expected the magic \\x93NUMPY at the start)")
        }
        guard bytes.count >= 10 else {
            if complete { throw SparseFactorError.io("\(name): not a .npy file (expected the magic \\x93NUMPY at the start)") }
            return nil
        }
        let major = bytes[6]
        let headerLengthSize: Int
        switch major {
        case 1: headerLengthSize = 2
        case 2, 3: headerLengthSize = 4
        default: throw SparseFactorError.io("\(name): unsupported .npy format version \(major).\(bytes[7]) (expected 1.0, 2.0 or 3.0)")
        }
        guard bytes.count >= 8 + headerLengthSize else {
            if complete { throw SparseFactorError.io("\(name): truncated .npy header") }
            return nil
        }
        var headerLength = 0
        for k in 0..<headerLengthSize { headerLength |= Int(bytes[8 + k]) << (8 * k) }
        let dataStart = 8 + headerLengthSize + headerLength
        guard bytes.count >= dataStart else {
            if complete {
                throw SparseFactorError.io("\(name): truncated .npy header (it announces \(headerLength) bytes, the file has \(bytes.count - 8 - headerLengthSize))")
            }
            return nil
        }
        guard let text = String(bytes: bytes[(8 + headerLengthSize)..<dataStart], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw SparseFactorError.io("\(name): the .npy header is not valid text")
        }
        let header = try NpyHeader.parse(text, name: name)
        let dtype = try NpyDType(descr: header.descr, name: name)
        let (rows, columns): (Int, Int)
        switch header.shape.count {
        case 1: (rows, columns) = (header.shape[0], 1)
        case 2: (rows, columns) = (header.shape[0], header.shape[1])
        default:
            throw SparseFactorError.io("\(name): expected a 2-D array (or a 1-D vector), got shape (\(header.shape.map(String.init).joined(separator: ", ")))")
        }
        guard rows > 0, columns > 0 else { throw SparseFactorError.io("\(name): the array is empty (shape \(rows)×\(columns))") }
        try checkDenseAllocation(rows: rows, columns: columns, what: name)
        let dataBytes = rows * columns * dtype.size   // checked just above: rows·columns doubles fit in memory
        let available = bytes.count - dataStart
        if complete && available < dataBytes {
            throw SparseFactorError.io("\(name): truncated data: a \(rows)×\(columns) \(dtype.description) array needs \(dataBytes) bytes, the file has \(available)")
        }
        return NpyLayout(header: header, dtype: dtype, rows: rows, columns: columns, dataStart: dataStart, dataBytes: dataBytes)
    }
}

/// The element type of a `.npy` array, from its `descr` string (for example `<f8`).
struct NpyDType: CustomStringConvertible {
    enum Kind { case float, signed, unsigned, bool }
    let kind: Kind
    let size: Int
    let bigEndian: Bool
    let descr: String

    init(descr: String, name: String) throws {
        self.descr = descr
        let chars = Array(descr)
        guard chars.count >= 3, "<>|=".contains(chars[0]), let size = Int(String(chars[2...])) else {
            throw SparseFactorError.io("\(name): unsupported dtype '\(descr)' (expected float64 '<f8' or float32 '<f4')")
        }
        bigEndian = chars[0] == ">"
        self.size = size
        switch (chars[1], size) {
        case ("f", 4), ("f", 8): kind = .float
        case ("i", 1), ("i", 2), ("i", 4), ("i", 8): kind = .signed
        case ("u", 1), ("u", 2), ("u", 4), ("u", 8): kind = .unsigned
        case ("b", 1): kind = .bool
        default:
            // The size comes from the file: name its bits only when they can be counted.
            let (bits, overflow) = size.multipliedReportingOverflow(by: 8)
            let width = overflow || size < 0 ? " of \(size) bytes" : "\(bits)"
            let what: String
            switch chars[1] {
            case "f": what = "float\(width)"
            case "c": what = "complex\(width)"
            case "U", "S": what = "string"
            case "O": what = "Python object"
            case "M", "m": what = "datetime"
            default: what = "'\(descr)'"
            }
            throw SparseFactorError.io("\(name): unsupported dtype \(what) ('\(descr)'); expected float64 '<f8' or float32 '<f4' (or an integer or bool type)")
        }
    }

    var description: String {
        switch kind {
        case .float: return "float\(size * 8)"
        case .signed: return "int\(size * 8)"
        case .unsigned: return "uint\(size * 8)"
        case .bool: return "bool"
        }
    }

    func decode(_ bytes: [UInt8], at offset: Int) -> Double {
        var raw: UInt64 = 0
        for k in 0..<size {
            raw |= UInt64(bytes[offset + (bigEndian ? size - 1 - k : k)]) << (8 * UInt64(k))
        }
        switch (kind, size) {
        case (.float, 4): return Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
        case (.float, _): return Double(bitPattern: raw)
        case (.signed, 1): return Double(Int8(truncatingIfNeeded: raw))
        case (.signed, 2): return Double(Int16(truncatingIfNeeded: raw))
        case (.signed, 4): return Double(Int32(truncatingIfNeeded: raw))
        case (.signed, _): return Double(Int64(bitPattern: raw))
        case (.unsigned, _): return Double(raw)
        case (.bool, _): return raw == 0 ? 0 : 1
        }
    }
}

/// The Python dict literal of a `.npy` header: `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
struct NpyHeader {
    var descr = ""
    var fortranOrder = false
    var shape: [Int] = []

    static func parse(_ text: String, name: String) throws -> NpyHeader {
        var scanner = Scanner(chars: Array(text), name: name)
        var header = NpyHeader()
        var seen = Set<String>()
        try scanner.expect("{")
        while true {
            scanner.skipBlanks()
            if scanner.peek == "}" { break }
            let key = try scanner.string()
            try scanner.expect(":")
            switch key {
            case "descr":
                scanner.skipBlanks()
                if scanner.peek == "[" { throw SparseFactorError.io("\(name): structured (record) arrays are not supported, expected a plain float64 or float32 array") }
                header.descr = try scanner.string()
            case "fortran_order": header.fortranOrder = try scanner.bool()
            case "shape": header.shape = try scanner.tuple()
            default: throw SparseFactorError.io("\(name): unexpected key '\(key)' in the .npy header")
            }
            seen.insert(key)
            scanner.skipBlanks()
            if scanner.peek == "," { scanner.index += 1; continue }
            scanner.skipBlanks()
            guard scanner.peek == "}" else { throw scanner.failure("expected ',' or '}'") }
        }
        for key in ["descr", "fortran_order", "shape"] where !seen.contains(key) {
            throw SparseFactorError.io("\(name): the .npy header has no '\(key)'")
        }
        return header
    }

    struct Scanner {
        let chars: [Character]
        let name: String
        var index = 0

        var peek: Character? { index < chars.count ? chars[index] : nil }

        func failure(_ what: String) -> SparseFactorError {
            .io("\(name): cannot parse the .npy header at character \(index): \(what) in \"\(String(chars).prefix(120))\"")
        }

        mutating func skipBlanks() { while let c = peek, c == " " || c == "\n" || c == "\t" || c == "\r" { index += 1 } }

        mutating func expect(_ c: Character) throws {
            skipBlanks()
            guard peek == c else { throw failure("expected '\(c)'") }
            index += 1
        }

        mutating func string() throws -> String {
            skipBlanks()
            guard let quote = peek, quote == "'" || quote == "\"" else { throw failure("expected a quoted string") }
            index += 1
            var out = ""
            while let c = peek, c != quote { out.append(c); index += 1 }
            guard peek == quote else { throw failure("unterminated string") }
            index += 1
            return out
        }

        mutating func bool() throws -> Bool {
            skipBlanks()
            for (word, value) in [("True", true), ("False", false)] where chars[index...].starts(with: Array(word)) {
                index += word.count
                return value
            }
            throw failure("expected True or False")
        }

        mutating func tuple() throws -> [Int] {
            try expect("(")
            var out: [Int] = []
            while true {
                skipBlanks()
                if peek == ")" { index += 1; return out }
                var digits = ""
                while let c = peek, c.isASCII, c.isNumber { digits.append(c); index += 1 }
                if peek == "L" { index += 1 }   // Python 2 long suffix
                guard let n = Int(digits) else { throw failure("expected a dimension") }
                out.append(n)
                skipBlanks()
                if peek == "," { index += 1 } else if peek != ")" { throw failure("expected ',' or ')'") }
            }
        }
    }
}

/// Writes `.npy` files (format 1.0, or 2.0 when the header needs it), C order, little-endian,
/// atomically (see ``AtomicFile``).
///
/// ```swift
/// try NpyWriter.write(matrix, to: URL(fileURLWithPath: "a.npy"))                  // float64
/// try NpyWriter.write(matrix, to: URL(fileURLWithPath: "a32.npy"), as: Float.self) // float32
/// ```
public enum NpyWriter {
    /// Writes `matrix` as a 2-D array of its own scalar type (`<f8` for Double, `<f4` for Float).
    public static func write<Scalar: KernelScalar>(_ matrix: Matrix<Scalar>, to url: URL) throws {
        try AtomicFile.write(encode(matrix), to: url)
    }

    /// Writes `matrix` converted to `type` (for example a `Matrix<Double>` as float32).
    public static func write<Scalar: KernelScalar, Target: KernelScalar>(_ matrix: Matrix<Scalar>, to url: URL, as type: Target.Type) throws {
        try write(Matrix<Target>(rows: matrix.rows, columns: matrix.columns, values: matrix.values.map { Target($0) }), to: url)
    }

    /// The `.npy` bytes of `matrix`.
    public static func encode<Scalar: KernelScalar>(_ matrix: Matrix<Scalar>) -> Data {
        let descr = MemoryLayout<Scalar>.size == 4 ? "<f4" : "<f8"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(matrix.rows), \(matrix.columns)), }"
        // Pad with spaces and end with a newline so the data starts on a 64-byte boundary (as numpy does).
        let v1 = header.utf8.count + 1 + 64 <= Int(UInt16.max)   // version 1.0 stores the header length in 2 bytes
        let prefix = v1 ? 10 : 12
        let padding = (64 - (prefix + header.utf8.count + 1) % 64) % 64
        header += String(repeating: " ", count: padding) + "\n"
        let length = header.utf8.count
        var out = ByteWriter(reservingCapacity: prefix + length + matrix.values.count * MemoryLayout<Scalar>.size)
        out.bytes([0x93] + Array("NUMPY".utf8) + [v1 ? 1 : 2, 0])
        if v1 { out.integer(UInt16(length)) } else { out.integer(UInt32(length)) }
        out.bytes(Array(header.utf8))
        out.scalars(matrix.values)
        return out.data
    }
}
