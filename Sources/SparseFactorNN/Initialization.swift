import SparseFactorCore
import Foundation

/// Seeded random tensors for parameter initialization: the same generator state gives the
/// same values on every machine (the generator is SplitMix64, the arithmetic is in `Double`).
extension Tensor {
    /// Entries uniform in [−bound, bound), drawn in order from `rng`.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 3)
    /// let w = Tensor.uniform(shape: [4, 8], bound: 1 / 8.0.squareRoot(), rng: &rng)
    /// ```
    public static func uniform(shape: [Int], bound: Double, rng: inout SeededGenerator) -> Tensor {
        var t = Tensor(shape: shape)
        for i in t.values.indices { t.values[i] = Float(-bound + 2 * bound * rng.nextUnit()) }
        return t
    }

    /// Entries normal with the given mean and standard deviation (Box–Muller: each pair of
    /// uniforms gives two entries, so an odd count discards the last sine draw).
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 3)
    /// let e = Tensor.normal(shape: [10, 32], rng: &rng)   // N(0, 1), like PyTorch's nn.Embedding
    /// ```
    public static func normal(shape: [Int], mean: Double = 0, standardDeviation: Double = 1,
                              rng: inout SeededGenerator) -> Tensor {
        var t = Tensor(shape: shape)
        var i = 0
        while i < t.count {
            let (radius, angle) = rng.nextGaussianPolar()
            t.values[i] = Float(mean + standardDeviation * radius * cos(angle))
            if i + 1 < t.count { t.values[i + 1] = Float(mean + standardDeviation * radius * sin(angle)) }
            i += 2
        }
        return t
    }
}
