import SparseFactorCore
/// A dense `Float` tensor, row-major, with a shape such as `[B, N, C]`.
///
/// Layers treat a tensor of shape `[..., features]` as `rows × features`, where `rows` is the
/// product of the leading dimensions.
///
/// ```swift
/// let x = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
/// print(x.count, x[1, 2])   // 6 6.0
/// let zeros = Tensor(shape: [4, 8])
/// ```
public struct Tensor: Equatable, Sendable {
    /// The size of each dimension, outermost first.
    public var shape: [Int]
    /// The entries in row-major order (the last dimension varies fastest).
    public var values: [Float]

    /// A tensor of the given entries; throws unless every dimension is ≥ 0 and
    /// `values.count` is the product of `shape`.
    public init(shape: [Int], values: [Float]) throws {
        guard let expected = Tensor.elementCount(of: shape) else {
            throw SparseFactorError.invalidArgument("tensor dimensions must be non-negative, got \(shape)")
        }
        guard values.count == expected else {
            throw SparseFactorError.shapeMismatch(expected: "\(expected) values for shape \(shape)", got: "\(values.count) values")
        }
        self.shape = shape
        self.values = values
    }

    /// A tensor with every entry equal to `value`. A negative dimension counts as 0.
    public init(shape: [Int], repeating value: Float = 0) {
        let clamped = shape.map { max($0, 0) }
        self.shape = clamped
        self.values = [Float](repeating: value, count: Tensor.elementCount(of: clamped) ?? 0)
    }

    /// The number of entries.
    public var count: Int { values.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// Whether every entry is finite (no NaN, no ±∞).
    public var isFinite: Bool { values.allSatisfy { $0.isFinite } }

    /// The entry at a full multi-index, e.g. `x[b, n, c]`.
    public subscript(indices: Int...) -> Float {
        get { values[flatIndex(indices)] }
        set { values[flatIndex(indices)] = newValue }
    }

    /// The same entries under another shape with the same number of entries.
    ///
    /// ```swift
    /// let flat = try x.reshaped([6])
    /// ```
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        guard let expected = Tensor.elementCount(of: newShape), expected == count else {
            throw SparseFactorError.shapeMismatch(expected: "a shape with \(count) entries (from \(shape))", got: "\(newShape)")
        }
        var out = self
        out.shape = newShape
        return out
    }

    /// For each row of the last dimension, the index of its largest entry (the first one on ties):
    /// the predicted classes of a `[..., classes]` tensor of logits.
    public func argmaxLastDimension() throws -> [Int] {
        let (rows, width) = try rowsAndFeatures("argmax")
        guard width > 0 else { throw SparseFactorError.invalidArgument("argmax needs a non-empty last dimension, got shape \(shape)") }
        return (0..<rows).map { r in
            var best = 0
            for c in 1..<width where values[r * width + c] > values[r * width + best] { best = c }
            return best
        }
    }

    /// The product of `shape`, or nil when a dimension is negative or the product overflows.
    package static func elementCount(of shape: [Int]) -> Int? {
        var product = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            product = next
        }
        return product
    }

    /// Throws unless the shape is valid and matches the number of values (both are public
    /// `var`s, so a caller can break the invariant).
    package func checkConsistent(_ what: String) throws {
        guard let expected = Tensor.elementCount(of: shape), expected == values.count else {
            throw SparseFactorError.shapeMismatch(expected: "\(what): as many values as shape \(shape) holds", got: "\(values.count) values")
        }
    }

    /// (rows, features) of a `[..., features]` tensor; throws for a rank-0 or inconsistent tensor.
    package func rowsAndFeatures(_ what: String) throws -> (rows: Int, features: Int) {
        try checkConsistent(what)
        guard let features = shape.last else {
            throw SparseFactorError.shapeMismatch(expected: "\(what): a tensor of rank ≥ 1", got: "shape \(shape)")
        }
        return (features == 0 ? 0 : count / features, features)
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "Tensor subscript needs \(shape.count) indices, got \(indices.count)")
        var flat = 0
        for (index, dimension) in zip(indices, shape) {
            precondition(index >= 0 && index < dimension, "Tensor index \(indices) out of range for shape \(shape)")
            flat = flat * dimension + index
        }
        return flat
    }
}
