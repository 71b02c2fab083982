import SparseFactorCore
import Foundation

/// The distribution of the entries of a probe block Ω: both have mean 0 and variance 1, so
/// E[Ω Ωᵀ] = p·I and ‖E Ω‖²_F / p is an unbiased estimate of ‖E‖²_F for any matrix E.
public enum ProbeDistribution: String, Sendable, CaseIterable, Codable {
    /// Independent N(0, 1) entries.
    case gaussian
    /// Independent ±1 entries (the lower-variance choice for ‖E‖²_F: Hutchinson's estimator).
    case rademacher
}

/// Seeded probe vectors, made a block of columns at a time so that no N×p array beyond the blocks
/// in use is ever needed, and so that column j is the same whatever the block width.
struct ProbeSource {
    let size: Int
    let distribution: ProbeDistribution
    let seed: UInt64

    /// Columns [first, first + width) of the probe matrix, as an N×width block (row-major).
    /// Column j is drawn from its own stream (seed and j), so blocks of any width agree.
    func block(first: Int, width: Int) throws -> Matrix<Double> {
        var out = try Matrix<Double>(rows: size, columns: width)
        for c in 0..<width {
            var rng = SeededGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(first + c + 1))
            switch distribution {
            case .rademacher:
                var bits: UInt64 = 0
                for i in 0..<size {
                    if i % 64 == 0 { bits = rng.next() }
                    out.values[i * width + c] = bits & 1 == 0 ? 1 : -1
                    bits >>= 1
                }
            case .gaussian:
                var i = 0
                while i < size {   // two normals per pair of uniforms
                    let (r, angle) = rng.nextGaussianPolar()
                    out.values[i * width + c] = r * cos(angle)
                    if i + 1 < size { out.values[(i + 1) * width + c] = r * sin(angle) }
                    i += 2
                }
            }
        }
        return out
    }
}
