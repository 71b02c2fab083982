import SparseFactorCore
/// The resumable state of an Adam-family optimizer: the step count and the first and second
/// moment estimates, one array per parameter in the optimizer's parameter order.
public struct OptimizerState: Codable, Equatable, Sendable {
    /// t, the number of steps taken.
    public var step: Int
    /// m, per parameter.
    public var firstMoments: [[Float]]
    /// v, per parameter.
    public var secondMoments: [[Float]]

    public init(step: Int, firstMoments: [[Float]], secondMoments: [[Float]]) {
        self.step = step
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }
}

/// What training loops need from an optimizer.
public protocol Optimizer: AnyObject {
    /// The parameters it updates, in a fixed order.
    var parameters: [Parameter] { get }
    /// The step size; may be changed between steps (schedules).
    var learningRate: Float { get set }
    /// The moments and step count, for checkpoints.
    var state: OptimizerState { get }
    /// Replaces the state with a saved one; throws if it does not fit the parameters.
    func restore(_ state: OptimizerState) throws
    /// One update from the accumulated gradients.
    func step() throws
    /// Zeroes every parameter's gradient.
    func zeroGradients()
}

/// Adam (Kingma & Ba 2015, Algorithm 1) with bias correction: at step t,
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr·m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ),
/// v̂ = v/(1−β₂ᵗ). A non-zero `weightDecay` adds the L2 term λθ to g first, as PyTorch's `Adam`.
///
/// ```swift
/// let optimizer = try Adam(parameters: model.parameters, learningRate: 1e-3)
/// optimizer.zeroGradients()
/// // forward, loss, backward …
/// try optimizer.step()
/// ```
public class Adam: Optimizer {
    private let core: AdamCore

    public convenience init(parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                            epsilon: Float = 1e-8, weightDecay: Float = 0) throws {
        try self.init(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2,
                      epsilon: epsilon, weightDecay: weightDecay, decoupled: false, name: "Adam")
    }

    init(parameters: [Parameter], learningRate: Float, beta1: Float, beta2: Float, epsilon: Float,
         weightDecay: Float, decoupled: Bool, name: String) throws {
        core = try AdamCore(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2,
                            epsilon: epsilon, weightDecay: weightDecay, decoupled: decoupled, name: name)
    }

    public var parameters: [Parameter] { core.parameters }
    public var learningRate: Float {
        get { core.learningRate }
        set { core.learningRate = newValue }
    }
    public var beta1: Float { core.beta1 }
    public var beta2: Float { core.beta2 }
    public var epsilon: Float { core.epsilon }
    public var weightDecay: Float { core.weightDecay }
    public var state: OptimizerState { core.state }
    public func restore(_ state: OptimizerState) throws { try core.restore(state) }
    public func step() throws { try core.step() }
    public func zeroGradients() { core.zeroGradients() }
}

/// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019, Algorithm 2), with the
/// schedule multiplier ηₜ equal to the learning rate as in PyTorch's `AdamW`:
/// θ ← θ − lr·λ·θ − lr·m̂/(√v̂ + ε), the decay not entering the moments.
///
/// ```swift
/// let optimizer = try AdamW(parameters: model.parameters, learningRate: 1e-3, weightDecay: 0.01)
/// ```
public final class AdamW: Adam {
    public convenience init(parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                            epsilon: Float = 1e-8, weightDecay: Float = 0.01) throws {
        try self.init(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2,
                      epsilon: epsilon, weightDecay: weightDecay, decoupled: true, name: "AdamW")
    }
}

/// The shared implementation of Adam and AdamW; the update itself is `sf_adam_update_f32`.
final class AdamCore {
    let parameters: [Parameter]
    var learningRate: Float
    let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    let decoupled: Bool
    let name: String
    private var stepCount = 0
    private var m: [[Float]]
    private var v: [[Float]]

    init(parameters: [Parameter], learningRate: Float, beta1: Float, beta2: Float, epsilon: Float,
         weightDecay: Float, decoupled: Bool, name: String) throws {
        guard learningRate.isFinite, learningRate >= 0 else {
            throw SparseFactorError.invalidArgument("\(name) learning rate must be finite and ≥ 0, got \(learningRate)")
        }
        for (label, beta) in [("beta1", beta1), ("beta2", beta2)] where !(beta >= 0 && beta < 1) {
            throw SparseFactorError.invalidArgument("\(name) \(label) must be in [0, 1), got \(beta)")
        }
        guard epsilon.isFinite, epsilon >= 0 else {
            throw SparseFactorError.invalidArgument("\(name) epsilon must be finite and ≥ 0, got \(epsilon)")
        }
        guard weightDecay.isFinite, weightDecay >= 0 else {
            throw SparseFactorError.invalidArgument("\(name) weight decay must be finite and ≥ 0, got \(weightDecay)")
        }
        var seen = Set<ObjectIdentifier>()
        for p in parameters where !seen.insert(ObjectIdentifier(p)).inserted {
            throw SparseFactorError.invalidArgument("\(name) got parameter \(p.name) twice")
        }
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        self.name = name
        m = parameters.map { [Float](repeating: 0, count: $0.count) }
        v = m
    }

    var state: OptimizerState { OptimizerState(step: stepCount, firstMoments: m, secondMoments: v) }

    func restore(_ state: OptimizerState) throws {
        guard state.step >= 0 else { throw SparseFactorError.invalidArgument("\(name) state: step must be ≥ 0, got \(state.step)") }
        let expected = parameters.map(\.count)
        guard state.firstMoments.map(\.count) == expected, state.secondMoments.map(\.count) == expected else {
            throw SparseFactorError.shapeMismatch(expected: "\(name) moments of sizes \(expected)",
                                                  got: "\(state.firstMoments.map(\.count)) and \(state.secondMoments.map(\.count))")
        }
        stepCount = state.step
        m = state.firstMoments
        v = state.secondMoments
    }

    func step() throws {
        // Check everything first so that a refused step changes nothing.
        for (i, p) in parameters.enumerated() where p.value.count != m[i].count || p.gradient.count != m[i].count {
            throw SparseFactorError.shapeMismatch(expected: "\(p.name) with \(m[i].count) values and gradients",
                                                  got: "value \(p.value.shape), gradient \(p.gradient.shape)")
        }
        stepCount += 1
        for (i, p) in parameters.enumerated() where p.count > 0 {
            try NNKernels.adamUpdate(&p.value.values, &m[i], &v[i], gradient: p.gradient.values, learningRate: learningRate,
                                     beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                                     decoupled: decoupled, step: stepCount)
        }
    }

    func zeroGradients() { for p in parameters { p.zeroGradient() } }
}

/// Scales all gradients together so that their global L2 norm is at most `maxNorm`, as
/// PyTorch's `clip_grad_norm_` (factor maxNorm/(norm + 1e-6), only when norm > maxNorm).
/// Returns the norm before clipping, accumulated in `Double` in parameter order. A non-finite
/// norm is returned as is and leaves the gradients untouched, so the caller can stop the run.
///
/// ```swift
/// let norm = try clipGradientNorm(model.parameters, maxNorm: 1)
/// ```
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) throws -> Float {
    guard maxNorm.isFinite, maxNorm > 0 else {
        throw SparseFactorError.invalidArgument("the gradient-norm limit must be finite and positive, got \(maxNorm)")
    }
    var sumOfSquares = 0.0
    for p in parameters {
        for g in p.gradient.values { sumOfSquares += Double(g) * Double(g) }
    }
    let norm = sumOfSquares.squareRoot()
    if norm.isFinite && norm > Double(maxNorm) {
        let scale = Float(Double(maxNorm) / (norm + 1e-6))
        for p in parameters {
            for i in p.gradient.values.indices { p.gradient.values[i] *= scale }
        }
    }
    return Float(norm)
}
