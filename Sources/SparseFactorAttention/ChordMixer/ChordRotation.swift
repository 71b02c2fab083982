import SparseFactorCore
import SparseFactorNN

/// ChordMixer's parameter-free mixing: the channels of `[B, N, D]` are split into tracks of
/// `trackSize`; track 0 stays, track t ≥ 1 is rotated along the sequence by the Chord offset
/// 2^(t−1): `y[b, i, track t] = x[b, (i + 2^(t−1)) mod N, track t]`.
/// The backward pass is the inverse rotation. A trailing partial track (D not a multiple of
/// the track size) is rotated like a full one.
///
/// ```swift
/// let rotate = try ChordRotation(trackSize: 2)
/// let y = try rotate(Tensor(shape: [1, 8, 6], repeating: 1))   // [1, 8, 6]
/// ```
public final class ChordRotation: Layer {
    /// Channels per track.
    public let trackSize: Int
    public var isTraining = true
    private var shape: [Int]?

    public init(trackSize: Int) throws {
        guard trackSize >= 1 else { throw SparseFactorError.invalidArgument("a ChordMixer track needs at least 1 channel, got \(trackSize)") }
        self.trackSize = trackSize
    }

    public var parameters: [Parameter] { [] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 3, x.shape.allSatisfy({ $0 >= 1 }), x.count == x.shape.reduce(1, *) else {
            throw SparseFactorError.shapeMismatch(expected: "a block [B, N, D] to rotate", got: "\(x.shape)")
        }
        shape = x.shape
        return try Tensor(shape: x.shape, values: rotate(x.values, shape: x.shape, inverse: false))
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let shape, outputGradient.shape == shape else {
            throw SparseFactorError.invalidArgument("ChordRotation.backward needs a gradient of the last forward's shape")
        }
        return try Tensor(shape: shape, values: rotate(outputGradient.values, shape: shape, inverse: true))
    }

    /// The offset of track `t` along a sequence of `n`, reduced mod n.
    func offset(track t: Int, length n: Int) -> Int {
        guard t >= 1 else { return 0 }
        // 2^(t−1) mod n without overflow for any t.
        var value = 1 % n
        for _ in 1..<t { value = (value * 2) % n }
        return value
    }

    private func rotate(_ x: [Float], shape: [Int], inverse: Bool) -> [Float] {
        let (batch, n, d) = (shape[0], shape[1], shape[2])
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { src in
            y.withUnsafeMutableBufferPointer { dst in
                for t in 0...((d - 1) / trackSize) {
                    let lo = t * trackSize, hi = min(lo + trackSize, d)
                    let shift = offset(track: t, length: n)
                    for b in 0..<batch {
                        let base = b * n * d
                        for i in 0..<n {
                            // forward: y[i] = x[i + s]; inverse: y[i + s] = x[i].
                            let j = i + shift < n ? i + shift : i + shift - n
                            let (to, from) = inverse ? (j, i) : (i, j)
                            for c in lo..<hi { dst[base + to * d + c] = src[base + from * d + c] }
                        }
                    }
                }
            }
        }
        return y
    }
}

/// One ChordMixer block: `x ← x + rotate(dropout(MLP(x)))`, the MLP position-wise
/// (D → hidden, GELU, → D), as in the authors' code.
final class ChordMixerBlock {
    let mlp: MLP
    let dropout: Dropout
    let rotation: ChordRotation

    init(dimension: Int, hidden: Int, trackSize: Int, dropout rate: Float, name: String, rng: inout SeededGenerator) throws {
        mlp = try MLP(hidden: [hidden], activation: .gelu, inputs: dimension, outputs: dimension, name: name, rng: &rng)
        dropout = try Dropout(rate: rate, seed: 0)
        rotation = try ChordRotation(trackSize: trackSize)
    }

    func forward(_ x: Tensor) throws -> Tensor {
        var y = x
        addInPlace(&y.values, try rotation(dropout(mlp(x))).values)
        return y
    }

    func backward(_ outputGradient: Tensor) throws -> Tensor {
        var dx = outputGradient
        addInPlace(&dx.values, try mlp.backward(dropout.backward(rotation.backward(outputGradient))).values)
        return dx
    }
}
