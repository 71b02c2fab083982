import SparseFactorCore
/// The Gaussian error linear unit in its exact form, x·Φ(x) = ½x(1 + erf(x/√2)), as
/// PyTorch's default `nn.GELU()` (not the tanh approximation). Elementwise, any shape.
///
/// ```swift
/// let gelu = GELU()
/// let y = try gelu(try Tensor(shape: [3], values: [-1, 0, 1]))   // [-0.1587, 0, 0.8413]
/// ```
public final class GELU: Layer {
    public var isTraining = true
    private var cache: ForwardCache<Void>?

    public init() {}

    public var parameters: [Parameter] { [] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.checkConsistent("GELU input")
        let y = try Tensor(shape: x.shape, values: NNKernels.geluForward(x.values))
        cache = ForwardCache(input: x, outputShape: x.shape, extra: ())
        return y
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let cache else { throw backwardBeforeForward("GELU") }
        try cache.checkGradient(outputGradient, "GELU")
        var dx = Tensor(shape: cache.input.shape)
        try NNKernels.geluBackward(&dx.values, outputGradient: outputGradient.values, input: cache.input.values)
        return dx
    }
}
