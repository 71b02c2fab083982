import SparseFactorCore
import Foundation

/// A 2-D array of unsigned bytes: the `.npy` `|u1` arrays that hold images and labels, kept as
/// bytes (a 60,000×785 image file is 47 MB as bytes, 377 MB as doubles).
///
/// ```swift
/// let m = try ByteMatrix(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])
/// print(m[1, 2])   // 6
/// ```
public struct ByteMatrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    /// rows · columns bytes, row after row.
    public let values: [UInt8]

    /// Checks that `values` holds rows · columns bytes.
    public init(rows: Int, columns: Int, values: [UInt8]) throws {
        guard rows >= 0, columns >= 0, let count = IDXReader.elementCount([rows, columns]), count == values.count else {
            throw SparseFactorError.shapeMismatch(expected: "\(rows)×\(columns) bytes", got: "\(values.count) bytes")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// The byte at row `row`, column `column`.
    public subscript(row: Int, column: Int) -> UInt8 { values[row * columns + column] }
}

extension NpyReader {
    /// The `uint8` (`|u1`, C order) 2-D array in `url`, as bytes (gzip-compressed files are accepted).
    /// Any other dtype, or Fortran order, is refused: use ``read(url:)`` for those.
    ///
    /// ```swift
    /// let images = try NpyReader.readBytes(url: URL(fileURLWithPath: "train.npy"))
    /// ```
    public static func readBytes(url: URL) throws -> ByteMatrix {
        try readBytes(data: FileInput.bytes(url), name: url.path)
    }

    /// The `uint8` 2-D array in `data`; `name` names it in error messages.
    public static func readBytes(data: Data, name: String = "npy data") throws -> ByteMatrix {
        let bytes = [UInt8](data)
        let layout = try NpyLayout.parse(bytes, name: name, complete: true)!
        guard layout.dtype.kind == .unsigned, layout.dtype.size == 1 else {
            throw SparseFactorError.io("\(name): expected a uint8 ('|u1') array, got \(layout.dtype.description) ('\(layout.dtype.descr)')")
        }
        guard !layout.header.fortranOrder else {
            throw SparseFactorError.io("\(name): expected a C-order uint8 array, got fortran_order: True")
        }
        let available = bytes.count - layout.dataStart
        guard available == layout.dataBytes else {
            throw SparseFactorError.io("\(name): \(available - layout.dataBytes) unexpected bytes after the \(layout.rows)×\(layout.columns) uint8 array (corrupt header?)")
        }
        return try ByteMatrix(rows: layout.rows, columns: layout.columns, values: Array(bytes[layout.dataStart...]))
    }
}

extension NpyWriter {
    /// Writes `matrix` atomically as a 2-D `|u1` array (C order, format 1.0), as `numpy.save` would.
    ///
    /// ```swift
    /// try NpyWriter.write(try ByteMatrix(rows: 1, columns: 2, values: [7, 8]), to: URL(fileURLWithPath: "b.npy"))
    /// ```
    public static func write(_ matrix: ByteMatrix, to url: URL) throws {
        try AtomicFile.write(encode(matrix), to: url)
    }

    /// The `.npy` bytes of `matrix`.
    public static func encode(_ matrix: ByteMatrix) -> Data {
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (\(matrix.rows), \(matrix.columns)), }"
        // Padded so the data starts on a 64-byte boundary, as numpy does; this header always fits version 1.0.
        let padding = (64 - (10 + header.utf8.count + 1) % 64) % 64
        header += String(repeating: " ", count: padding) + "\n"
        var out = ByteWriter(reservingCapacity: 10 + header.utf8.count + matrix.values.count)
        out.bytes([0x93] + Array("NUMPY".utf8) + [1, 0])
        out.integer(UInt16(header.utf8.count))
        out.bytes(Array(header.utf8))
        out.bytes(matrix.values)
        return out.data
    }
}
