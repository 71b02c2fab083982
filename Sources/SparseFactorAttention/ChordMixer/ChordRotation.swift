import SparseFactorCore
import SparseFactorNN
internal import CSparseFactorKernels

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
        var y = Tensor(shape: x.shape)
        let status = x.values.withUnsafeBufferPointer { src in
            y.values.withUnsafeMutableBufferPointer { dst in
                sf_chord_rotate_forward_f32(dst.baseAddress, src.baseAddress, Int64(x.shape[0]), Int64(x.shape[1]), Int64(x.shape[2]),
                                            Int64(trackSize))
            }
        }
        try checkKernel(status, "ChordMixer rotation")
        return y
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let shape, outputGradient.shape == shape, outputGradient.count == shape.reduce(1, *) else {
            throw SparseFactorError.invalidArgument("ChordRotation.backward needs a gradient of the last forward's shape")
        }
        var dx = Tensor(shape: shape)
        let status = outputGradient.values.withUnsafeBufferPointer { src in
            dx.values.withUnsafeMutableBufferPointer { dst in
                sf_chord_rotate_backward_f32(dst.baseAddress, src.baseAddress, Int64(shape[0]), Int64(shape[1]), Int64(shape[2]), Int64(trackSize))
            }
        }
        try checkKernel(status, "ChordMixer rotation backward")
        return dx
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
