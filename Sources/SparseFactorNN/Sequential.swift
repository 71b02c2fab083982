import SparseFactorCore
/// Layers applied one after the other; backward runs them in reverse.
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// let net = Sequential([try Linear(inputs: 4, outputs: 8, rng: &rng), GELU(), try Linear(inputs: 8, outputs: 1, rng: &rng)])
/// let y = try net(Tensor(shape: [10, 4]))
/// ```
public final class Sequential: Layer {
    /// The layers, first applied first.
    public private(set) var layers: [any Layer]
    private var mode = true

    public init(_ layers: [any Layer]) {
        self.layers = layers
        isTraining = true
    }

    /// Adds a layer at the end.
    public func append(_ layer: any Layer) {
        layer.isTraining = mode
        layers.append(layer)
    }

    /// Every layer's parameters, layer after layer.
    public var parameters: [Parameter] { layers.flatMap { $0.parameters } }

    /// Setting it sets every layer's mode.
    public var isTraining: Bool {
        get { mode }
        set {
            mode = newValue
            for layer in layers { layer.isTraining = newValue }
        }
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var y = x
        for layer in layers { y = try layer(y) }
        return y
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        var gradient = outputGradient
        for layer in layers.reversed() { gradient = try layer.backward(gradient) }
        return gradient
    }
}
