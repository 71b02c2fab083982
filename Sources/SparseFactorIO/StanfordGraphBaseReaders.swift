import SparseFactorCore
import Foundation

/// Cities with their road distances, as in the Stanford GraphBase `miles.dat` (networkx ships it as
/// `knuth_miles.txt.gz`: 128 cities of the United States and Canada, mileage of 1949).
///
/// ```swift
/// let cities = try KnuthMilesReader.read(url: URL(fileURLWithPath: "knuth_miles.txt.gz"))
/// print(cities.names.count, cities.miles[0, 1])     // 128 966  (Youngstown, OH – Yankton, SD)
/// ```
public struct CityDistances: Equatable, Sendable {
    /// City names ("Youngstown, OH"), in file order.
    public var names: [String]
    /// Latitude in degrees north.
    public var latitudes: [Double]
    /// Longitude in degrees east (negative: west).
    public var longitudes: [Double]
    /// Population.
    public var populations: [Double]
    /// The symmetric N×N road-distance matrix in miles (zero diagonal).
    public var miles: Matrix<Double>

    /// Cities with their data; `miles` must be N×N for N names, and the other arrays N long.
    public init(names: [String], latitudes: [Double], longitudes: [Double], populations: [Double], miles: Matrix<Double>) throws {
        let n = names.count
        guard latitudes.count == n, longitudes.count == n, populations.count == n, miles.rows == n, miles.columns == n else {
            throw SparseFactorError.shapeMismatch(expected: "\(n) coordinates, populations and an \(n)×\(n) distance matrix",
                                                  got: "\(latitudes.count), \(longitudes.count), \(populations.count) and \(miles.rows)×\(miles.columns)")
        }
        self.names = names
        self.latitudes = latitudes
        self.longitudes = longitudes
        self.populations = populations
        self.miles = miles
    }

    /// The cities' coordinates as a table with columns `latitude`, `longitude` (degrees).
    public var coordinates: DataTable {
        get throws {
            var values: [Double] = []
            for (lat, long) in zip(latitudes, longitudes) { values += [lat, long] }
            return try DataTable(columnNames: ["latitude", "longitude"], values: Matrix(rows: names.count, columns: 2, values: values))
        }
    }
}

/// Reads the `knuth_miles.txt(.gz)` / `miles.dat` format: `*` comment lines; a city line
/// `Name, ST[lat,long]population` (lat and long in hundredths of a degree, long west) followed by
/// the distances to the cities listed before it, most recent first (possibly over several lines).
public enum KnuthMilesReader {
    public static func read(url: URL) throws -> CityDistances {
        try parse(TextLines(url: url))
    }

    public static func read(data: Data, name: String = "miles data") throws -> CityDistances {
        try parse(TextLines(data: data, name: name))
    }

    static func parse(_ text: TextLines) throws -> CityDistances {
        var names: [String] = [], lats: [Double] = [], longs: [Double] = [], pops: [Double] = []
        var distances: [[Double]] = []   // distances[i]: to cities i-1, i-2, …, 0
        for line in text.content(commentPrefixes: ["*"]) {
            let trimmed = line.text.trimmingCharacters(in: .whitespaces)
            if let first = trimmed.first, first.isASCII, first.isNumber {
                guard !names.isEmpty else { throw text.error(line.number, "distances come before any city line") }
                for field in line.fields {
                    let d = try text.number(field, line: line.number, what: "a distance")
                    guard d >= 0 else { throw text.error(line.number, "a distance must not be negative, got \(d)") }
                    distances[names.count - 1].append(d)
                }
                guard distances[names.count - 1].count <= names.count - 1 else {
                    throw text.error(line.number, "\(names.last ?? "") has more distances than the \(names.count - 1) cities listed before it")
                }
            } else {
                if let last = distances.last, last.count != names.count - 1 {
                    throw text.error(line.number, "\(names.last ?? "") has \(last.count) distances, expected \(names.count - 1) (one per city listed before it)")
                }
                guard let open = trimmed.firstIndex(of: "["), let comma = trimmed[open...].firstIndex(of: ","),
                      let close = trimmed[comma...].firstIndex(of: "]") else {
                    throw text.error(line.number, "expected a city line \"Name, ST[lat,long]population\", got \"\(trimmed.prefix(80))\"")
                }
                let lat = try text.number(trimmed[trimmed.index(after: open)..<comma], line: line.number, what: "the latitude")
                let long = try text.number(trimmed[trimmed.index(after: comma)..<close], line: line.number, what: "the longitude")
                let pop = try text.number(trimmed[trimmed.index(after: close)...], line: line.number, what: "the population")
                names.append(String(trimmed[..<open]))
                lats.append(lat / 100)
                longs.append(-long / 100)
                pops.append(pop)
                distances.append([])
            }
        }
        guard names.count >= 1 else { throw SparseFactorError.io("\(text.name): no city lines found (expected \"Name, ST[lat,long]population\")") }
        if let last = distances.last, last.count != names.count - 1 {
            throw SparseFactorError.io("\(text.name): the file ends early: \(names.last ?? "") has \(last.count) distances, expected \(names.count - 1)")
        }
        let n = names.count
        var miles = try Matrix<Double>(rows: n, columns: n)
        for i in 0..<n {
            for (k, d) in distances[i].enumerated() {
                let j = i - 1 - k
                miles[i, j] = d
                miles[j, i] = d
            }
        }
        return try CityDistances(names: names, latitudes: lats, longitudes: longs, populations: pops, miles: miles)
    }
}

/// Reads the Stanford GraphBase `roget.dat` format (networkx ships it as `roget_dat.txt.gz`: the 1022
/// categories of Roget's Thesaurus of 1879 and their cross-references) into a directed graph.
/// Lines are `<number><name>:<targets…>`; a line ending in `\` continues on the next; `*` lines are
/// comments. The one self-reference in the file is kept, as in networkx's example graph (1022 nodes, 5075 edges).
///
/// ```swift
/// let g = try RogetReader.read(url: URL(fileURLWithPath: "roget_dat.txt.gz"))
/// print(g.nodeCount)   // 1022
/// ```
public enum RogetReader {
    public static func read(url: URL) throws -> NetworkGraph {
        try parse(TextLines(url: url))
    }

    public static func read(data: Data, name: String = "roget data") throws -> NetworkGraph {
        try parse(TextLines(data: data, name: name))
    }

    static func parse(_ text: TextLines) throws -> NetworkGraph {
        var entries: [(line: Int, number: Int, name: String, targets: [Int])] = []
        var pending = ""
        var pendingLine = 0
        for line in text.content(commentPrefixes: ["*"]) {
            if pending.isEmpty { pendingLine = line.number }
            var part = String(line.text)
            if part.hasSuffix("\\") {
                part.removeLast()
                pending += part
                continue
            }
            let whole = pending + part
            pending = ""
            guard let colon = whole.firstIndex(of: ":") else {
                throw text.error(pendingLine, "expected \"<number><name>:<targets>\", got \"\(whole.prefix(80))\"")
            }
            let head = whole[..<colon]
            let digits = head.prefix(while: { $0.isASCII && $0.isNumber })
            guard let number = Int(digits) else {
                throw text.error(pendingLine, "the entry \"\(head.prefix(40))\" does not start with its number")
            }
            var targets: [Int] = []
            for field in TextLines.split(whole[whole.index(after: colon)...], .whitespace) {
                targets.append(try text.integer(field, line: pendingLine, what: "a cross-reference"))
            }
            entries.append((pendingLine, number, String(head.dropFirst(digits.count)), targets))
        }
        if !pending.isEmpty { throw SparseFactorError.io("\(text.name): the file ends inside a continued line (truncated?)") }
        guard !entries.isEmpty else { throw SparseFactorError.io("\(text.name): no entries found") }
        for (k, e) in entries.enumerated() where e.number != k + 1 {
            throw text.error(e.line, "expected entry number \(k + 1), got \(e.number) (entries must be numbered 1, 2, … in order)")
        }
        var edges: [NetworkGraph.Edge] = []
        for e in entries {
            for t in e.targets {
                guard (1...entries.count).contains(t) else {
                    throw text.error(e.line, "cross-reference \(t) is outside the \(entries.count) entries")
                }
                edges.append(.init(source: e.number - 1, target: t - 1))
            }
        }
        return try NetworkGraph(labels: entries.map(\.name), edges: edges, isDirected: true)
    }
}
