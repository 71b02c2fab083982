import SparseFactorCore
import Foundation

/// A polygon mesh: vertex positions and faces (each a list of vertex indices, 0-based).
///
/// ```swift
/// let mesh = try MeshReader.read(url: URL(fileURLWithPath: "pig.off"))
/// let a = try mesh.vertexAdjacency()      // N×N, N = number of vertices
/// let l = try mesh.laplacian()            // D − A
/// ```
public struct Mesh: Equatable, Sendable {
    /// Vertex positions (x, y, z).
    public var vertices: [SIMD3<Double>]
    /// Faces as vertex indices, in order around the face.
    public var faces: [[Int]]

    public init(vertices: [SIMD3<Double>], faces: [[Int]]) throws {
        guard !vertices.isEmpty else { throw SparseFactorError.invalidArgument("a mesh needs at least one vertex") }
        for (f, face) in faces.enumerated() {
            guard face.count >= 2 else { throw SparseFactorError.invalidArgument("face \(f) has \(face.count) vertices, expected at least 2") }
            for v in face where !(0..<vertices.count).contains(v) {
                throw SparseFactorError.invalidArgument("face \(f) uses vertex \(v), outside the mesh's \(vertices.count) vertices (0-based)")
            }
        }
        self.vertices = vertices
        self.faces = faces
    }

    /// The symmetric N×N vertex adjacency: `A[i, j] = 1` when `i ≠ j` are consecutive on some face
    /// (mesh edges), 0 otherwise.
    public func vertexAdjacency() throws -> Matrix<Double> {
        let n = vertices.count
        try checkDenseAllocation(rows: n, columns: n, what: "the mesh's vertex adjacency")
        var a = try Matrix<Double>(rows: n, columns: n)
        for face in faces {
            for (k, i) in face.enumerated() {
                let j = face[(k + 1) % face.count]
                if i != j { a[i, j] = 1; a[j, i] = 1 }
            }
        }
        return a
    }

    /// The vertex adjacency in sparse form (never dense): the same entries as ``vertexAdjacency()``.
    public func sparseVertexAdjacency() throws -> SparseMatrix {
        var entries: [(row: Int, column: Int, value: Double)] = []
        for face in faces {
            for (k, i) in face.enumerated() {
                let j = face[(k + 1) % face.count]
                if i != j { entries.append((i, j, 1)); entries.append((j, i, 1)) }
            }
        }
        return try SparseMatrix(size: vertices.count, entries: entries, duplicates: .last)
    }

    /// The combinatorial graph Laplacian `L = D − A` of the vertex adjacency (D: vertex degrees).
    public func laplacian() throws -> Matrix<Double> {
        try vertexAdjacency().laplacian()
    }
}

/// Reads `.off` (Object File Format, also COFF/NOFF/CNOFF headers; extra per-vertex and per-face values are
/// ignored) and `.ply` (ASCII and binary little/big endian; the `vertex` element's x, y, z and the `face`
/// element's `vertex_indices`/`vertex_index` list) meshes.
public enum MeshReader {
    /// The mesh in `url`, by its extension (`.off` or `.ply`, optionally `.gz`).
    public static func read(url: URL) throws -> Mesh {
        switch FileInput.strippingGzip(url).pathExtension.lowercased() {
        case "off": return try readOFF(url: url)
        case "ply": return try readPLY(url: url)
        default: throw SparseFactorError.io("\(url.path): expected a mesh file ending in .off or .ply")
        }
    }

    public static func readOFF(url: URL) throws -> Mesh {
        try parseOFF(TextLines(url: url))
    }

    public static func readOFF(data: Data, name: String = "OFF data") throws -> Mesh {
        try parseOFF(TextLines(data: data, name: name))
    }

    public static func readPLY(url: URL) throws -> Mesh {
        try PLYParser(data: FileInput.bytes(url), name: url.path).mesh()
    }

    public static func readPLY(data: Data, name: String = "PLY data") throws -> Mesh {
        try PLYParser(data: data, name: name).mesh()
    }

    static func parseOFF(_ text: TextLines) throws -> Mesh {
        // Comments may follow data on a line too: cut at '#'.
        let lines = text.content(commentPrefixes: ["#"]).compactMap { line -> TextLine? in
            guard let hash = line.text.firstIndex(of: "#") else { return line }
            let kept = line.text[..<hash]
            let fields = TextLines.split(kept, .whitespace)
            return fields.isEmpty ? nil : TextLine(number: line.number, text: kept, fields: fields)
        }
        guard let first = lines.first else { throw SparseFactorError.io("\(text.name): the file is empty, expected an OFF mesh") }
        var cursor = 0
        var header = first.fields
        if let keyword = header.first, keyword.uppercased().hasSuffix("OFF") {
            // "nOFF" puts a dimension before the counts; the other variants (COFF, NOFF, STOFF, 4OFF…) only add
            // values after x y z, which are ignored.
            guard !keyword.hasPrefix("n") else { throw text.error(first.number, "the nOFF variant (arbitrary dimension) is not supported") }
            header.removeFirst()
            if header.isEmpty {
                cursor = 1
                guard lines.count > 1 else { throw SparseFactorError.io("\(text.name): the file ends after its OFF header, expected \"vertices faces edges\"") }
                header = lines[1].fields
            }
        }
        let countsLine = lines[cursor].number
        cursor += 1
        guard header.count >= 2 else { throw text.error(countsLine, "expected the counts \"vertices faces edges\", got \"\(header.joined(separator: " "))\"") }
        let vertexCount = try text.integer(header[0], line: countsLine, what: "the number of vertices")
        let faceCount = try text.integer(header[1], line: countsLine, what: "the number of faces")
        guard vertexCount >= 1, faceCount >= 0 else {
            throw text.error(countsLine, "expected at least one vertex and a non-negative number of faces, got \(vertexCount) and \(faceCount)")
        }
        // Compared without adding the counts, which come from the file and may be as large as Int.max.
        guard vertexCount <= lines.count - cursor, faceCount <= lines.count - cursor - vertexCount else {
            throw SparseFactorError.io("\(text.name): the header announces \(vertexCount) vertices and \(faceCount) faces but the file has only \(lines.count - cursor) data lines (truncated?)")
        }
        var vertices: [SIMD3<Double>] = []
        vertices.reserveCapacity(vertexCount)
        for line in lines[cursor..<(cursor + vertexCount)] {
            guard line.fields.count >= 3 else { throw text.error(line.number, "expected a vertex \"x y z\", got \"\(line.text.prefix(80))\"") }
            vertices.append(SIMD3(try text.number(line.fields[0], line: line.number, what: "x"),
                                  try text.number(line.fields[1], line: line.number, what: "y"),
                                  try text.number(line.fields[2], line: line.number, what: "z")))
        }
        cursor += vertexCount
        var faces: [[Int]] = []
        faces.reserveCapacity(faceCount)
        for line in lines[cursor..<(cursor + faceCount)] {
            guard let first = line.fields.first else {
                throw text.error(line.number, "expected a face \"k i1 … ik\", got a line of white space only")
            }
            let k = try text.integer(first, line: line.number, what: "the face's vertex count")
            guard k >= 2, k <= line.fields.count - 1 else {
                throw text.error(line.number, "expected a face \"k i1 … ik\" with k ≥ 2, got \"\(line.text.prefix(80))\"")
            }
            var face: [Int] = []
            for field in line.fields[1...k] {
                let v = try text.integer(field, line: line.number, what: "a vertex index")
                guard (0..<vertexCount).contains(v) else {
                    throw text.error(line.number, "vertex index \(v) is outside the \(vertexCount) vertices (0-based)")
                }
                face.append(v)
            }
            faces.append(face)
        }
        return try Mesh(vertices: vertices, faces: faces)
    }
}
