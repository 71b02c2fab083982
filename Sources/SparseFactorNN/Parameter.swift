import SparseFactorCore
/// A trainable parameter: its value and the gradient accumulated for it (same shape).
///
/// Backward passes *add* into `gradient`; call ``zeroGradient()`` (or an optimizer's
/// `zeroGradients()`) before each new accumulation.
///
/// ```swift
/// let w = Parameter(name: "w", value: Tensor(shape: [2, 2], repeating: 1))
/// w.gradient.values[0] += 0.5
/// w.zeroGradient()
/// ```
public final class Parameter: @unchecked Sendable {
    /// A stable name such as `"mlp.0.weight"`, used in checkpoints and messages.
    public let name: String
    /// The current value.
    public var value: Tensor
    /// dL/dvalue, accumulated with `+=` by backward passes.
    public var gradient: Tensor

    /// A parameter with the given value and a zero gradient.
    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
        self.gradient = Tensor(shape: value.shape)
    }

    /// Sets the gradient to zero (and to the value's shape).
    public func zeroGradient() {
        if gradient.shape == value.shape && gradient.count == value.count {
            for i in gradient.values.indices { gradient.values[i] = 0 }
        } else {
            gradient = Tensor(shape: value.shape)
        }
    }

    /// The number of scalars.
    public var count: Int { value.count }
}
