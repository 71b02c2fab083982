import SparseFactorCore
/// A differentiable layer with a hand-written backward pass.
///
/// `callAsFunction` computes the output and caches what `backward` needs (for the last call
/// only); `backward` adds the parameter gradients into each `Parameter.gradient` and returns
/// the gradient with respect to the input. Inputs are `[..., features]` tensors whose leading
/// dimensions are flattened into rows.
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// let layer = try Linear(inputs: 3, outputs: 2, rng: &rng)
/// let y = try layer(Tensor(shape: [4, 3], repeating: 1))      // [4, 2]
/// let dx = try layer.backward(Tensor(shape: [4, 2], repeating: 1))  // [4, 3]
/// ```
public protocol Layer: AnyObject {
    /// y = layer(x).
    func callAsFunction(_ x: Tensor) throws -> Tensor
    /// Given dL/dy of the last forward, adds the parameter gradients and returns dL/dx.
    func backward(_ outputGradient: Tensor) throws -> Tensor
    /// Trainable parameters, in a fixed order (used by optimizers and checkpoints).
    var parameters: [Parameter] { get }
    /// Training mode (dropout active) or evaluation mode.
    var isTraining: Bool { get set }
}

extension Layer {
    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Zeroes the gradient of every parameter.
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }
}

/// The forward input and output shape a layer remembers for its backward pass.
package struct ForwardCache<Extra> {
    package var input: Tensor
    package var outputShape: [Int]
    package var extra: Extra

    /// Throws unless `gradient` has the shape of the cached output.
    package func checkGradient(_ gradient: Tensor, _ layer: String) throws {
        try gradient.checkConsistent("\(layer) backward")
        guard gradient.shape == outputShape else {
            throw SparseFactorError.shapeMismatch(expected: "\(layer) output gradient of shape \(outputShape)", got: "\(gradient.shape)")
        }
    }
}

/// The error for a backward pass without a forward pass before it.
package func backwardBeforeForward(_ layer: String) -> SparseFactorError {
    .invalidArgument("\(layer).backward was called before a forward pass")
}
