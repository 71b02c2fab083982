import SparseFactorCore
/// A fully connected layer y = x·Wᵀ + b over the last dimension, through BLAS `sgemm`.
///
/// The weight has PyTorch's layout `[outputs, inputs]`; weight and bias start uniform in
/// (−1/√inputs, 1/√inputs) like PyTorch's `nn.Linear` (weight drawn first, then bias).
///
/// ```swift
/// var rng = SeededGenerator(seed: 7)
/// let linear = try Linear(inputs: 32, outputs: 8, rng: &rng)
/// let y = try linear(Tensor(shape: [40, 1024, 32]))   // [40, 1024, 8]
/// ```
public final class Linear: Layer {
    /// Input features.
    public let inputs: Int
    /// Output features.
    public let outputs: Int
    /// W, shape `[outputs, inputs]`.
    public let weight: Parameter
    /// b, shape `[outputs]`, or nil without bias.
    public let bias: Parameter?
    public var isTraining = true

    private var cache: ForwardCache<Void>?

    /// A seeded layer; throws unless both sizes are positive.
    public init(inputs: Int, outputs: Int, bias: Bool = true, name: String = "linear", rng: inout SeededGenerator) throws {
        guard inputs > 0, outputs > 0 else {
            throw SparseFactorError.invalidArgument("Linear needs positive sizes, got inputs \(inputs), outputs \(outputs)")
        }
        self.inputs = inputs
        self.outputs = outputs
        let bound = 1 / Double(inputs).squareRoot()
        weight = Parameter(name: "\(name).weight", value: .uniform(shape: [outputs, inputs], bound: bound, rng: &rng))
        self.bias = bias ? Parameter(name: "\(name).bias", value: .uniform(shape: [outputs], bound: bound, rng: &rng)) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let (rows, features) = try x.rowsAndFeatures("Linear input")
        guard features == inputs else {
            throw SparseFactorError.shapeMismatch(expected: "Linear input [..., \(inputs)]", got: "\(x.shape)")
        }
        try checkParameters()
        var y = Tensor(shape: Array(x.shape.dropLast()) + [outputs])
        try NNKernels.gemm(&y.values, x.values, weight.value.values, transposeB: true, m: rows, n: outputs, k: inputs)
        if let bias { try NNKernels.addBias(&y.values, bias.value.values, rows: rows, features: outputs) }
        cache = ForwardCache(input: x, outputShape: y.shape, extra: ())
        return y
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let cache else { throw backwardBeforeForward("Linear") }
        try cache.checkGradient(outputGradient, "Linear")
        try checkParameters()
        let rows = cache.input.count / inputs
        let dy = outputGradient.values
        // dW += dyᵀ · x, db += Σ_rows dy, dx = dy · W.
        try NNKernels.gemm(&weight.gradient.values, dy, cache.input.values, transposeA: true,
                           m: outputs, n: inputs, k: rows, beta: 1)
        if let bias { try NNKernels.biasBackward(&bias.gradient.values, outputGradient: dy, rows: rows, features: outputs) }
        var dx = Tensor(shape: cache.input.shape)
        try NNKernels.gemm(&dx.values, dy, weight.value.values, m: rows, n: inputs, k: outputs)
        return dx
    }

    /// Parameters are public `var`s: refuse ones whose shape was changed from outside.
    private func checkParameters() throws {
        for p in parameters where p.value.count != (p === weight ? outputs * inputs : outputs) || p.gradient.count != p.value.count {
            throw SparseFactorError.shapeMismatch(expected: "\(p.name) with its original shape", got: "value \(p.value.shape), gradient \(p.gradient.shape)")
        }
    }
}

/// The linear projection of real-valued input features (e.g. the Adding task's (x, mark)
/// pairs) to the embedding dimension: a ``Linear`` layer under the name `input_projection`.
///
/// ```swift
/// var rng = SeededGenerator(seed: 7)
/// let project = try InputProjection(features: 2, dimension: 32, rng: &rng)
/// let e = try project(Tensor(shape: [40, 1024, 2]))   // [40, 1024, 32]
/// ```
public final class InputProjection: Layer {
    /// The underlying linear map, features → dimension.
    public let linear: Linear

    public init(features: Int, dimension: Int, bias: Bool = true, name: String = "input_projection",
                rng: inout SeededGenerator) throws {
        linear = try Linear(inputs: features, outputs: dimension, bias: bias, name: name, rng: &rng)
    }

    public var parameters: [Parameter] { linear.parameters }
    public var isTraining: Bool {
        get { linear.isTraining }
        set { linear.isTraining = newValue }
    }
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try linear(x) }
    public func backward(_ outputGradient: Tensor) throws -> Tensor { try linear.backward(outputGradient) }
}
