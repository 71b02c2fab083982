import SparseFactorCore
import Foundation

/// A small PLY reader: the header's elements and properties, then the body in ASCII or binary,
/// keeping the `vertex` element's x, y, z and the `face` element's vertex index list.
struct PLYParser {
    enum Encoding { case ascii, littleEndian, bigEndian }
    enum ScalarType: String {
        case int8, uint8, int16, uint16, int32, uint32, float32, float64
        init?(plyName: String) {
            switch plyName {
            case "char", "int8": self = .int8
            case "uchar", "uint8": self = .uint8
            case "short", "int16": self = .int16
            case "ushort", "uint16": self = .uint16
            case "int", "int32": self = .int32
            case "uint", "uint32": self = .uint32
            case "float", "float32": self = .float32
            case "double", "float64": self = .float64
            default: return nil
            }
        }
        var size: Int {
            switch self {
            case .int8, .uint8: return 1
            case .int16, .uint16: return 2
            case .int32, .uint32, .float32: return 4
            case .float64: return 8
            }
        }
        var isInteger: Bool { self != .float32 && self != .float64 }
    }
    struct Property {
        let name: String
        let type: ScalarType
        /// For list properties, the type of the count that precedes the items.
        let countType: ScalarType?
    }
    struct Element {
        let name: String
        let count: Int
        var properties: [Property]
    }

    let name: String
    let bytes: [UInt8]
    var encoding = Encoding.ascii
    var elements: [Element] = []
    /// Where the body starts in `bytes`.
    var bodyStart = 0

    init(data: Data, name: String) throws {
        self.name = name
        self.bytes = [UInt8](data)
        try parseHeader()
    }

    func error(_ message: String) -> SparseFactorError { .io("\(name): \(message)") }

    mutating func parseHeader() throws {
        guard bytes.starts(with: Array("ply".utf8)) else { throw error("not a PLY file (it does not start with \"ply\")") }
        var position = 0
        var lineNumber = 0
        var sawFormat = false
        while true {
            guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw error("the header has no \"end_header\" line (truncated or not a PLY file)")
            }
            lineNumber += 1
            let line = String(decoding: bytes[position..<end], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            position = end + 1
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let keyword = words.first else { continue }
            switch keyword {
            case "ply", "comment", "obj_info": continue
            case "format":
                guard words.count >= 2 else { throw error("header line \(lineNumber): incomplete format line") }
                switch words[1] {
                case "ascii": encoding = .ascii
                case "binary_little_endian": encoding = .littleEndian
                case "binary_big_endian": encoding = .bigEndian
                default: throw error("header line \(lineNumber): unknown format \"\(words[1])\" (expected ascii, binary_little_endian or binary_big_endian)")
                }
                sawFormat = true
            case "element":
                guard words.count == 3, let count = Int(words[2]), count >= 0 else {
                    throw error("header line \(lineNumber): expected \"element <name> <count>\", got \"\(line.prefix(80))\"")
                }
                // The body is read by element name (x, y, z by their index in the first `vertex`), so a
                // second element of the same name would be read with the first one's layout.
                guard !elements.contains(where: { $0.name == words[1] }) else {
                    throw error("header line \(lineNumber): a second \"\(words[1].prefix(40))\" element (each element name may appear once)")
                }
                elements.append(Element(name: words[1], count: count, properties: []))
            case "property":
                guard !elements.isEmpty else { throw error("header line \(lineNumber): a property comes before any element") }
                if words.count == 5, words[1] == "list" {
                    guard let countType = ScalarType(plyName: words[2]), countType.isInteger, let itemType = ScalarType(plyName: words[3]) else {
                        throw error("header line \(lineNumber): unknown list types in \"\(line.prefix(80))\"")
                    }
                    elements[elements.count - 1].properties.append(Property(name: words[4], type: itemType, countType: countType))
                } else if words.count == 3, let type = ScalarType(plyName: words[1]) {
                    elements[elements.count - 1].properties.append(Property(name: words[2], type: type, countType: nil))
                } else {
                    throw error("header line \(lineNumber): cannot read the property \"\(line.prefix(80))\"")
                }
            case "end_header":
                guard sawFormat else { throw error("the header has no format line") }
                bodyStart = position
                return
            default:
                throw error("header line \(lineNumber): unknown keyword \"\(keyword.prefix(40))\"")
            }
        }
    }

    func mesh() throws -> Mesh {
        guard let vertexElement = elements.first(where: { $0.name == "vertex" }) else { throw error("the file has no vertex element") }
        let names = vertexElement.properties.map(\.name)
        guard let xi = names.firstIndex(of: "x"), let yi = names.firstIndex(of: "y"), let zi = names.firstIndex(of: "z") else {
            throw error("the vertex element has no x, y, z properties")
        }
        try checkDenseAllocation(rows: vertexElement.count, columns: 3, what: name)
        var reader = BodyReader(parser: self)
        var vertices: [SIMD3<Double>] = []
        var faces: [[Int]] = []
        // An element without properties has no bytes in the body, whatever its count.
        for element in elements where !element.properties.isEmpty {
            for instance in 0..<element.count {
                var scalars: [Double] = []
                var lists: [[Double]] = []
                for property in element.properties {
                    if let countType = property.countType {
                        let countValue = try reader.next(countType)
                        guard countValue >= 0, countValue <= 1_000_000 else {
                            throw error("\(element.name) \(instance): invalid list length \(countValue)")
                        }
                        var items: [Double] = []
                        for _ in 0..<Int(countValue) { items.append(try reader.next(property.type)) }
                        lists.append(items)
                        scalars.append(.nan)
                    } else {
                        scalars.append(try reader.next(property.type))
                        lists.append([])
                    }
                }
                if element.name == "vertex" {
                    let v = SIMD3(scalars[xi], scalars[yi], scalars[zi])
                    guard v.x.isFinite, v.y.isFinite, v.z.isFinite else {
                        throw SparseFactorError.nonFinite("\(name): vertex \(instance) has a non-finite coordinate")
                    }
                    vertices.append(v)
                } else if element.name == "face" {
                    guard let li = element.properties.firstIndex(where: { $0.countType != nil && ($0.name == "vertex_indices" || $0.name == "vertex_index") }) else {
                        throw error("the face element has no vertex_indices list")
                    }
                    var face: [Int] = []
                    for value in lists[li] {
                        guard value == value.rounded(), value >= 0, value < Double(vertexElement.count) else {
                            throw error("face \(instance) uses vertex \(value), outside the \(vertexElement.count) vertices (0-based)")
                        }
                        face.append(Int(value))
                    }
                    guard face.count >= 2 else { throw error("face \(instance) has \(face.count) vertices, expected at least 2") }
                    faces.append(face)
                }
            }
        }
        try reader.finish()
        return try Mesh(vertices: vertices, faces: faces)
    }

    /// Reads body values one at a time, in ASCII tokens or binary scalars.
    struct BodyReader {
        let parser: PLYParser
        var position: Int

        init(parser: PLYParser) {
            self.parser = parser
            self.position = parser.bodyStart
        }

        static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

        mutating func next(_ type: ScalarType) throws -> Double {
            let bytes = parser.bytes
            switch parser.encoding {
            case .ascii:
                while position < bytes.count && BodyReader.isBlank(bytes[position]) { position += 1 }
                let start = position
                while position < bytes.count && !BodyReader.isBlank(bytes[position]) { position += 1 }
                guard start < position else { throw parser.error("the body ends early (truncated?)") }
                let token = String(decoding: bytes[start..<position], as: UTF8.self)
                guard let value = Double(token) else { throw parser.error("expected a number in the body, got \"\(token.prefix(40))\"") }
                return value
            case .littleEndian, .bigEndian:
                guard position + type.size <= bytes.count else { throw parser.error("the binary body ends early (truncated?)") }
                var raw: UInt64 = 0
                for k in 0..<type.size {
                    let byte = UInt64(bytes[position + (parser.encoding == .littleEndian ? k : type.size - 1 - k)])
                    raw |= byte << (8 * UInt64(k))
                }
                position += type.size
                switch type {
                case .int8: return Double(Int8(truncatingIfNeeded: raw))
                case .uint8: return Double(UInt8(truncatingIfNeeded: raw))
                case .int16: return Double(Int16(truncatingIfNeeded: raw))
                case .uint16: return Double(UInt16(truncatingIfNeeded: raw))
                case .int32: return Double(Int32(truncatingIfNeeded: raw))
                case .uint32: return Double(UInt32(truncatingIfNeeded: raw))
                case .float32: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
                case .float64: return Double(bitPattern: raw)
                }
            }
        }

        /// Refuses leftover data, which means the header did not describe the body.
        func finish() throws {
            var p = position
            if parser.encoding == .ascii { while p < parser.bytes.count && BodyReader.isBlank(parser.bytes[p]) { p += 1 } }
            guard p == parser.bytes.count else {
                throw parser.error("\(parser.bytes.count - p) bytes follow the last element the header describes (corrupt header?)")
            }
        }
    }
}
