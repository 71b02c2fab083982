import SparseFactorCore
import Foundation

/// A graph read from an edge list: nodes `0..<nodeCount` with their labels, and weighted edges.
///
/// ```swift
/// let g = try EdgeListReader.readGraph(url: URL(fileURLWithPath: "WormNet.v3.benchmark.txt"))
/// let a = try g.adjacencyMatrix()          // N×N, symmetric when g.isDirected is false
/// ```
public struct NetworkGraph: Equatable, Sendable {
    /// One edge from `source` to `target` (node indices) with its weight.
    public struct Edge: Equatable, Sendable {
        public var source: Int
        public var target: Int
        public var weight: Double
        public init(source: Int, target: Int, weight: Double = 1) {
            self.source = source
            self.target = target
            self.weight = weight
        }
    }

    /// The label of each node, in index order.
    public var labels: NodeLabels
    /// The edges, in file order.
    public var edges: [Edge]
    /// Whether an edge u→v sets only `A[u, v]`; when false it sets `A[v, u]` too.
    public var isDirected: Bool

    /// N, the number of nodes.
    public var nodeCount: Int { labels.count }

    /// A graph of nodes named by `labels` (node `i` is `labels[i]`).
    public init(labels: [String], edges: [Edge], isDirected: Bool) throws {
        try self.init(labels: NodeLabels(labels), edges: edges, isDirected: isDirected)
    }

    /// A graph whose nodes are labelled by `labels` (names, or a run of integers).
    public init(labels: NodeLabels, edges: [Edge], isDirected: Bool) throws {
        for e in edges where !(0..<labels.count).contains(e.source) || !(0..<labels.count).contains(e.target) {
            throw SparseFactorError.invalidArgument("edge \(e.source)→\(e.target) names a node outside 0..<\(labels.count)")
        }
        self.labels = labels
        self.edges = edges
        self.isDirected = isDirected
    }

    /// The N×N adjacency matrix: `A[u, v]` is the weight of edge u→v (and `A[v, u]` too unless
    /// the graph is directed). When an edge is listed more than once the last weight wins,
    /// as in networkx.
    public func adjacencyMatrix() throws -> Matrix<Double> {
        let n = nodeCount
        guard n >= 1 else { throw SparseFactorError.invalidArgument("the graph has no nodes") }
        try checkDenseAllocation(rows: n, columns: n, what: "the adjacency matrix")
        var a = try Matrix<Double>(rows: n, columns: n)
        for e in edges {
            a[e.source, e.target] = e.weight
            if !isDirected { a[e.target, e.source] = e.weight }
        }
        return a
    }

    /// The adjacency matrix in sparse form (never dense): the same entries as ``adjacencyMatrix()``,
    /// the last weight winning for an edge listed more than once.
    public func sparseAdjacency() throws -> SparseMatrix {
        guard nodeCount >= 1 else { throw SparseFactorError.invalidArgument("the graph has no nodes") }
        var entries: [(row: Int, column: Int, value: Double)] = []
        entries.reserveCapacity(isDirected ? edges.count : 2 * edges.count)
        for e in edges {
            entries.append((e.source, e.target, e.weight))
            // An undirected u–v sets A[v, u] after A[u, v], as the dense matrix does (so u–u is set once).
            if !isDirected && e.source != e.target { entries.append((e.target, e.source, e.weight)) }
        }
        return try SparseMatrix(size: nodeCount, entries: entries, duplicates: .last)
    }

    /// The graph Laplacian `L = D − A` of the symmetrized adjacency `(A + Aᵀ)/2` for a directed graph,
    /// of `A` otherwise; `D` is the diagonal of row sums. Self-loops cancel out of `L`.
    public func laplacianMatrix() throws -> Matrix<Double> {
        try adjacencyMatrix().laplacian()
    }
}

/// The labels of a graph's nodes in index order: names read from a file, or the run of integers
/// `first, first + 1, …` of an integer-labelled edge list (kept as the run, never one `String` per node).
///
/// ```swift
/// let g = try EdgeListReader.readGraph(data: Data("1 3\n".utf8))
/// print(g.labels.count, g.labels[2], g.labels == ["1", "2", "3"])   // 3 3 true
/// ```
public struct NodeLabels: RandomAccessCollection, Equatable, Sendable, ExpressibleByArrayLiteral {
    private enum Storage: Equatable, Sendable {
        case names([String])
        case integers(first: Int, count: Int)
    }
    private let storage: Storage

    /// Nodes named `names[0], names[1], …`.
    public init(_ names: [String]) { storage = .names(names) }
    public init(arrayLiteral names: String...) { storage = .names(names) }

    /// Nodes labelled by the integers `first, first + 1, …, first + count − 1` (written in decimal).
    /// - Throws: `SparseFactorError.invalidArgument` when `count` is negative or the last label is past `Int.max`.
    public init(integersFrom first: Int, count: Int) throws {
        guard count >= 0, count == 0 || !first.addingReportingOverflow(count - 1).overflow else {
            throw SparseFactorError.invalidArgument("node labels: expected a count ≥ 0 of integers from \(first) that fit in Int, got \(count)")
        }
        storage = .integers(first: first, count: count)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case .names(let names): return names.count
        case .integers(_, let count): return count
        }
    }

    public subscript(position: Int) -> String {
        switch storage {
        case .names(let names): return names[position]
        case .integers(let first, let count):
            precondition((0..<count).contains(position), "NodeLabels: index \(position) is outside 0..<\(count)")
            return String(first + position)
        }
    }

    /// Equal when the labels are, whichever way each side stores them.
    public static func == (a: NodeLabels, b: NodeLabels) -> Bool {
        if a.storage == b.storage { return true }
        return a.count == b.count && a.elementsEqual(b)
    }
}

/// How node labels of an edge list become node indices.
public enum NodeLabeling: String, Sendable, CaseIterable {
    /// Integer labels are indices (0-based if any label is 0, 1-based otherwise; unused numbers in
    /// between become isolated nodes); as soon as one label is not an integer, first-seen order is used.
    case automatic
    /// Every distinct label gets the next index in first-seen order (networkx's `read_edgelist` order).
    case firstSeen
}

/// Reads edge lists: one edge per line as `u v` or `u v w` (blanks, tabs or commas between fields,
/// further fields ignored), comment lines starting with `#` or `%`.
///
/// ```swift
/// let a = try EdgeListReader.read(url: URL(fileURLWithPath: "graph.edges"))               // symmetric
/// let d = try EdgeListReader.read(url: URL(fileURLWithPath: "graph.edges"), directed: true)
/// ```
public enum EdgeListReader {
    /// The adjacency matrix of the edge list in `url` (see ``NetworkGraph/adjacencyMatrix()``).
    /// - Parameters:
    ///   - directed: when false (the default, like networkx's `Graph`), each edge sets both `A[u, v]` and `A[v, u]`.
    ///   - labeling: how labels become indices.
    public static func read(url: URL, directed: Bool = false, labeling: NodeLabeling = .automatic) throws -> Matrix<Double> {
        try readGraph(url: url, directed: directed, labeling: labeling).adjacencyMatrix()
    }

    /// The graph in the edge list `url`.
    public static func readGraph(url: URL, directed: Bool = false, labeling: NodeLabeling = .automatic) throws -> NetworkGraph {
        try parse(TextLines(url: url), directed: directed, labeling: labeling)
    }

    /// The graph in the edge list `data`; `name` names it in error messages.
    public static func readGraph(data: Data, name: String = "edge list", directed: Bool = false,
                                 labeling: NodeLabeling = .automatic) throws -> NetworkGraph {
        try parse(TextLines(data: data, name: name), directed: directed, labeling: labeling)
    }

    static func parse(_ text: TextLines, directed: Bool, labeling: NodeLabeling) throws -> NetworkGraph {
        let comments = ["#", "%"]
        let separator: FieldSeparator = text.content(commentPrefixes: comments).first?.text.contains(",") == true ? .character(",") : .whitespace
        let lines = text.content(commentPrefixes: comments, separator: separator)
        guard !lines.isEmpty else { throw SparseFactorError.io("\(text.name): the edge list has no edges") }
        var pairs: [(Substring, Substring, Double)] = []
        pairs.reserveCapacity(lines.count)
        for line in lines {
            guard line.fields.count >= 2, !line.fields[0].isEmpty, !line.fields[1].isEmpty else {
                throw text.error(line.number, "expected an edge \"u v\" or \"u v weight\", got \"\(line.text.prefix(80))\"")
            }
            let weight = line.fields.count >= 3 ? try text.number(line.fields[2], line: line.number, what: "the edge weight") : 1
            pairs.append((line.fields[0], line.fields[1], weight))
        }

        var edges: [NetworkGraph.Edge] = []
        edges.reserveCapacity(pairs.count)
        if labeling == .automatic, let numbers = integerEdges(pairs) {
            let base = numbers.contains(where: { $0.0 == 0 || $0.1 == 0 }) ? 0 : 1
            let largest = numbers.reduce(0) { max($0, $1.0, $1.1) }
            let (nodes, overflow) = (largest - base).addingReportingOverflow(1)
            guard !overflow else {
                throw SparseFactorError.tooLarge("\(text.name): the node id \(largest) would make an adjacency matrix of more rows than can be counted")
            }
            // Labels are the integer run itself, not one String per node: a single line naming node
            // 10,000,000 costs nothing until a matrix of that size is asked for (checked where it is made).
            edges = numbers.map { .init(source: $0.0 - base, target: $0.1 - base, weight: $0.2) }
            return try NetworkGraph(labels: try NodeLabels(integersFrom: base, count: nodes), edges: edges, isDirected: directed)
        }
        var labels: [String] = []
        var index: [Substring: Int] = [:]
        func node(_ label: Substring) -> Int {
            if let i = index[label] { return i }
            index[label] = labels.count
            labels.append(String(label))
            return labels.count - 1
        }
        for (u, v, w) in pairs {
            let i = node(u), j = node(v)
            edges.append(.init(source: i, target: j, weight: w))
        }
        return try NetworkGraph(labels: labels, edges: edges, isDirected: directed)
    }

    /// The edges with their labels as non-negative integers, or nil if any label is not one.
    static func integerEdges(_ pairs: [(Substring, Substring, Double)]) -> [(Int, Int, Double)]? {
        var out: [(Int, Int, Double)] = []
        out.reserveCapacity(pairs.count)
        for (u, v, w) in pairs {
            guard let i = Int(u), let j = Int(v), i >= 0, j >= 0 else { return nil }
            out.append((i, j, w))
        }
        return out
    }
}
