import SparseFactorCore
/// Layer normalization over the last dimension: y = (x − mean)/√(var + ε)·γ + β per row, with
/// the biased variance, γ = 1 and β = 0 at the start, like PyTorch's `nn.LayerNorm`.
///
/// ```swift
/// let norm = try LayerNorm(dimension: 32)
/// let y = try norm(Tensor(shape: [40, 1024, 32], repeating: 1))
/// ```
public final class LayerNorm: Layer {
    /// The normalized (last) dimension.
    public let dimension: Int
    /// ε added to the variance.
    public let epsilon: Float
    /// γ, shape `[dimension]`.
    public let weight: Parameter
    /// β, shape `[dimension]`.
    public let bias: Parameter
    public var isTraining = true

    private var cache: ForwardCache<(mean: [Float], rstd: [Float])>?

    public init(dimension: Int, epsilon: Float = 1e-5, name: String = "layernorm") throws {
        guard dimension > 0 else { throw SparseFactorError.invalidArgument("LayerNorm needs a positive dimension, got \(dimension)") }
        guard epsilon >= 0, epsilon.isFinite else {
            throw SparseFactorError.invalidArgument("LayerNorm epsilon must be finite and ≥ 0, got \(epsilon)")
        }
        self.dimension = dimension
        self.epsilon = epsilon
        weight = Parameter(name: "\(name).weight", value: Tensor(shape: [dimension], repeating: 1))
        bias = Parameter(name: "\(name).bias", value: Tensor(shape: [dimension], repeating: 0))
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let (rows, features) = try x.rowsAndFeatures("LayerNorm input")
        guard features == dimension else {
            throw SparseFactorError.shapeMismatch(expected: "LayerNorm input [..., \(dimension)]", got: "\(x.shape)")
        }
        try checkParameters()
        let (values, mean, rstd) = try NNKernels.layerNormForward(x.values, weight: weight.value.values, bias: bias.value.values,
                                                                  rows: rows, features: dimension, epsilon: epsilon)
        cache = ForwardCache(input: x, outputShape: x.shape, extra: (mean, rstd))
        return try Tensor(shape: x.shape, values: values)
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let cache else { throw backwardBeforeForward("LayerNorm") }
        try cache.checkGradient(outputGradient, "LayerNorm")
        try checkParameters()
        var dx = Tensor(shape: cache.input.shape)
        try NNKernels.layerNormBackward(&dx.values, &weight.gradient.values, &bias.gradient.values,
                                        outputGradient: outputGradient.values, input: cache.input.values,
                                        weight: weight.value.values, mean: cache.extra.mean, rstd: cache.extra.rstd,
                                        rows: cache.input.count / dimension, features: dimension)
        return dx
    }

    private func checkParameters() throws {
        for p in parameters where p.value.count != dimension || p.gradient.count != dimension {
            throw SparseFactorError.shapeMismatch(expected: "\(p.name) of shape [\(dimension)]", got: "value \(p.value.shape), gradient \(p.gradient.shape)")
        }
    }
}
