import SparseFactorCore
/// Inverted dropout: in training mode each entry is zeroed with probability `rate` and the
/// survivors are scaled by 1/(1 − rate); in evaluation mode (or with rate 0) it is the identity.
///
/// The masks come from the layer's own seeded generator, so a run is reproducible; save and
/// restore ``generator`` with a checkpoint to resume the same mask sequence.
///
/// ```swift
/// let dropout = try Dropout(rate: 0.1, seed: 42)
/// let y = try dropout(Tensor(shape: [40, 1024, 32], repeating: 1))
/// dropout.isTraining = false   // identity from now on
/// ```
public final class Dropout: Layer {
    /// The probability of zeroing an entry, in [0, 1).
    public let rate: Float
    /// The generator of the masks; advanced by every training-mode forward pass.
    public var generator: SeededGenerator
    public var isTraining = true

    /// The scaled mask of the last forward pass (nil when it was the identity).
    private var cache: ForwardCache<[Float]?>?

    public init(rate: Float, seed: UInt64) throws {
        guard rate >= 0, rate < 1 else {
            throw SparseFactorError.invalidArgument("Dropout rate must be in [0, 1), got \(rate)")
        }
        self.rate = rate
        generator = SeededGenerator(seed: seed)
    }

    public var parameters: [Parameter] { [] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.checkConsistent("Dropout input")
        guard isTraining, rate > 0 else {
            cache = ForwardCache(input: Tensor(shape: []), outputShape: x.shape, extra: nil)
            return x
        }
        // 24 random bits per entry: exact in Float, so the threshold test is exact.
        let threshold = UInt64((Double(rate) * 16_777_216).rounded(.up))
        let keep = 1 / (1 - rate)
        var mask = [Float](repeating: 0, count: x.count)
        for i in mask.indices where (generator.next() >> 40) >= threshold { mask[i] = keep }
        var y = x
        for i in y.values.indices { y.values[i] *= mask[i] }
        cache = ForwardCache(input: Tensor(shape: []), outputShape: x.shape, extra: mask)
        return y
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let cache else { throw backwardBeforeForward("Dropout") }
        try cache.checkGradient(outputGradient, "Dropout")
        guard let mask = cache.extra else { return outputGradient }
        var dx = outputGradient
        for i in dx.values.indices { dx.values[i] *= mask[i] }
        return dx
    }
}
