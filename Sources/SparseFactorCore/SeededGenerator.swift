import Foundation

/// A small, fast, seedable random generator (SplitMix64), so the same seed gives the same
/// run on every machine.
///
/// ```swift
/// var rng = SeededGenerator(seed: 42)
/// let x = Double.random(in: -1...1, using: &rng)
/// ```
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The generator's whole state: save it to resume a stream exactly.
    public var state: UInt64

    /// A generator whose stream is fully determined by `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Two independent standard normal values from two uniforms (Box–Muller; the first uniform is
    /// taken in (0, 1], which keeps the logarithm finite): `radius · cos(angle)` and `radius · sin(angle)`.
    /// The polar form, not the pair, so that each caller keeps its own order of multiplication (and its bits).
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 7)
    /// let (radius, angle) = rng.nextGaussianPolar()
    /// let (a, b) = (radius * cos(angle), radius * sin(angle))
    /// ```
    public mutating func nextGaussianPolar() -> (radius: Double, angle: Double) {
        let u1 = 1 - nextUnit(), u2 = nextUnit()
        return ((-2 * log(u1)).squareRoot(), 2 * Double.pi * u2)
    }
}
