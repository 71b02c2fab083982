import Foundation
@testable import SparseFactorAttention
import SparseFactorCore
import SparseFactorNN
import SparseFactorTestSupport
import Testing

/// The baselines (Transformer, ChordMixer, Paramixer): forward passes against definitions
/// written out in Double, every gradient against finite differences, parameter counts against
/// the size-only estimates and by hand.
@Suite struct BaselineModelTests {
    func tinyTransformer(input: SequenceInput, length: Int = 7, outputs: Int) -> TransformerConfiguration {
        var c = TransformerConfiguration(input: input, length: length, outputs: outputs)
        c.embedding = 8
        c.heads = 2
        c.feedForward = 6
        return c
    }

    func tinyChordMixer(input: SequenceInput, length: Int = 9, outputs: Int) -> ChordMixerConfiguration {
        var c = ChordMixerConfiguration(input: input, length: length, outputs: outputs)
        c.trackSize = 2
        c.hidden = 5
        return c
    }

    func tokens(batch: Int, length: Int, vocabulary: Int, seed: UInt64) throws -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return try Tensor(shape: [batch, length], values: (0..<(batch * length)).map { _ in Float(uniformInt(below: vocabulary, &rng)) })
    }

    /// softmax(q kᵀ / √dh) v per head, every score materialized, in Double.
    func denseAttention(_ qkv: [Float], batch: Int, n: Int, heads: Int, dh: Int) -> [Float] {
        let d = heads * dh
        var out = [Float](repeating: 0, count: batch * n * d)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<n {
                    let scores = (0..<n).map { j in
                        (0..<dh).reduce(0.0) { $0 + Double(qkv[(b * n + i) * 3 * d + h * dh + $1]) * Double(qkv[(b * n + j) * 3 * d + d + h * dh + $1]) }
                            / Double(dh).squareRoot()
                    }
                    let top = scores.max()!
                    let weights = scores.map { Foundation.exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for c in 0..<dh {
                        let value = (0..<n).reduce(0.0) { $0 + weights[$1] * Double(qkv[(b * n + $1) * 3 * d + 2 * d + h * dh + c]) }
                        out[(b * n + i) * d + h * dh + c] = Float(value / total)
                    }
                }
            }
        }
        return out
    }

    @Test(arguments: [(1, 5, 1), (2, 9, 2), (3, 33, 4)])
    func attentionMatchesDenseSoftmax(batch: Int, length: Int, heads: Int) throws {
        var rng = SeededGenerator(seed: UInt64(length))
        let attention = try MultiHeadAttention(dimension: 4 * heads, heads: heads, length: length, name: "a", rng: &rng)
        let x = nnRandomTensor([batch, length, 4 * heads], scale: 2, seed: 9)
        let got = try attention(x)
        let packed = try attention.qkv(x).values
        let want = try attention.out(Tensor(shape: x.shape, values: denseAttention(packed, batch: batch, n: length, heads: heads, dh: 4)))
        expectClose(got.values, want.values, rtol: 1e-5, "attention B \(batch) N \(length) H \(heads)")
    }

    /// Linformer: softmax attention of every query over E·K and F·V, written out in Double.
    @Test(arguments: [(1, 9, 1, 4), (2, 20, 2, 5), (2, 6, 2, 6)])
    func linformerMatchesItsDefinition(batch: Int, length: Int, heads: Int, k: Int) throws {
        var rng = SeededGenerator(seed: UInt64(length + k))
        let attention = try MultiHeadAttention(dimension: 4 * heads, heads: heads, length: length, kind: .linformer(projectedLength: k),
                                               name: "a", rng: &rng)
        let d = 4 * heads
        let x = nnRandomTensor([batch, length, d], scale: 2, seed: 19)
        let got = try attention(x)
        let packed = try attention.qkv(x).values
        let (e, f) = (try #require(attention.projections).keys.value.values, try #require(attention.projections).values.value.values)
        var want = [Float](repeating: 0, count: batch * length * d)
        for b in 0..<batch {
            for h in 0..<heads {
                // Projected keys and values of this head: [k, 4].
                let key = (0..<k).map { r in (0..<4).map { c in (0..<length).reduce(0.0) { $0 + Double(e[r * length + $1]) * Double(packed[(b * length + $1) * 3 * d + d + h * 4 + c]) } } }
                let value = (0..<k).map { r in (0..<4).map { c in (0..<length).reduce(0.0) { $0 + Double(f[r * length + $1]) * Double(packed[(b * length + $1) * 3 * d + 2 * d + h * 4 + c]) } } }
                for i in 0..<length {
                    let scores = (0..<k).map { r in (0..<4).reduce(0.0) { $0 + Double(packed[(b * length + i) * 3 * d + h * 4 + $1]) * key[r][$1] } / 2 }
                    let top = scores.max()!
                    let weights = scores.map { Foundation.exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for c in 0..<4 { want[(b * length + i) * d + h * 4 + c] = Float((0..<k).reduce(0.0) { $0 + weights[$1] * value[$1][c] } / total) }
                }
            }
        }
        let expected = try attention.out(Tensor(shape: x.shape, values: want))
        expectClose(got.values, expected.values, rtol: 1e-5, "Linformer B \(batch) N \(length) H \(heads) k \(k)")
    }

    @Test func linformerAndPerformerGradientsMatchFiniteDifferences() throws {
        for attention in [AttentionKind.linformer(projectedLength: 3), .performer(features: 8)] {
            var c = tinyTransformer(input: .features(count: 2), outputs: 1)
            c.attention = attention
            let model = try Transformer(configuration: c, seed: 6)
            try nnCheckGradients(model, input: nnRandomTensor([2, 7, 2], seed: 7), seed: 8, "Transformer with \(attention.summary)")
        }
    }

    @Test func transformerGradientsMatchFiniteDifferences() throws {
        let model = try Transformer(configuration: tinyTransformer(input: .features(count: 2), outputs: 1), seed: 3)
        try nnCheckGradients(model, input: nnRandomTensor([2, 7, 2], seed: 4), seed: 5, "Transformer adding-style")
    }

    @Test func stackedTransformerWithTokensPositionsMeanPoolingAndMLPHead() throws {
        var c = tinyTransformer(input: .tokens(vocabulary: 6), length: 6, outputs: 4)
        c.layers = 2
        c.positionalEmbedding = true
        c.pooling = .mean
        c.head = .mlp(hidden: 3)
        let model = try Transformer(configuration: c, seed: 13)
        try nnCheckGradients(model, input: try tokens(batch: 2, length: 6, vocabulary: 6, seed: 14), seed: 15,
                             inputIsDifferentiable: false, "Transformer order-style")
    }

    @Test func transformerDropoutReplaysItsMaskForAStep() throws {
        var c = tinyTransformer(input: .features(count: 2), outputs: 2)
        c.dropout = 0.3
        let model = try Transformer(configuration: c, seed: 21)
        let x = nnRandomTensor([2, 7, 2], seed: 22)
        model.prepareStep(5)
        let first = try model(x)
        model.prepareStep(5)
        #expect(try model(x) == first, "the same step draws the same masks")
        model.prepareStep(6)
        #expect(try model(x) != first, "another step draws other masks")
        model.isTraining = false
        let evaluation = try model(x)
        #expect(try model(x) == evaluation, "no dropout in evaluation mode")
        model.isTraining = true
        try nnCheckGradients(model, input: x, seed: 23, prepare: { model.prepareStep(9) }, "Transformer with dropout")
    }

    /// y[b, i, track t] = x[b, (i + 2^(t−1)) mod N, track t], written out; backward is the transpose.
    @Test(arguments: [(1, 8, 6, 2), (2, 5, 7, 3), (1, 3, 9, 1)])
    func chordRotationMatchesItsDefinition(batch: Int, length: Int, width: Int, track: Int) throws {
        let rotate = try ChordRotation(trackSize: track)
        let x = nnRandomTensor([batch, length, width], seed: 31)
        let y = try rotate(x)
        for b in 0..<batch {
            for i in 0..<length {
                for c in 0..<width {
                    let t = c / track
                    let shift = t == 0 ? 0 : Int((UInt64(1) << UInt64(t - 1)) % UInt64(length))
                    #expect(y.values[(b * length + i) * width + c] == x.values[(b * length + (i + shift) % length) * width + c])
                }
            }
        }
        let r = nnRandomTensor(y.shape, seed: 32)
        let back = try rotate.backward(r)
        #expect(abs(nnProjection(y, r) - nnProjection(x, back)) < 1e-9, "⟨Rx, r⟩ = ⟨x, Rᵀr⟩")
    }

    @Test func chordMixerGradientsMatchFiniteDifferences() throws {
        let model = try ChordMixer(configuration: tinyChordMixer(input: .features(count: 2), outputs: 1), seed: 41)
        try nnCheckGradients(model, input: nnRandomTensor([2, 9, 2], seed: 42), seed: 43, "ChordMixer adding-style")
    }

    @Test func chordMixerWithTokensPositionsFlattenAndDropout() throws {
        var c = tinyChordMixer(input: .tokens(vocabulary: 6), length: 8, outputs: 4)
        c.positionalEmbedding = true
        c.pooling = .flatten
        c.dropout = 0.2
        let model = try ChordMixer(configuration: c, seed: 51)
        try nnCheckGradients(model, input: try tokens(batch: 2, length: 8, vocabulary: 6, seed: 52), seed: 53,
                             inputIsDifferentiable: false, prepare: { model.prepareStep(2) }, "ChordMixer order-style")
    }

    @Test(arguments: ModelKind.allCases)
    func parameterCountsMatchTheSizeOnlyEstimate(kind: ModelKind) throws {
        for (task, length) in [(SequenceTask.adding, 16), (.order, 37), (.adding, 128)] {
            let config = ModelConfiguration(kind: kind, task: task, length: length)
            let model = try config.makeModel(seed: 1)
            #expect(model.parameterCount == (try config.estimatedParameterCount()), "\(kind) \(task) N \(length)")
            #expect(model.modelConfiguration == config)
            #expect(Set(model.parameters.map(\.name)).count == model.parameters.count, "\(kind): parameter names must be unique")
        }
    }

    @Test func defaultsHaveTheHandCountedParameters() throws {
        // Transformer, Adding, N = 1024: projection 2·32+32 = 96; LayerNorms 4·32 = 128; qkv 3·32·32+96 = 3168;
        // out 32·32+32 = 1056; feed-forward 32·64+64 + 64·32+32 = 4192; head 1024·32+1 = 32769. Total 41409.
        let transformer = try ModelConfiguration(kind: .transformer, task: .adding, length: 1024).makeModel(seed: 1)
        #expect(transformer.parameterCount == 41_409)
        // ChordMixer, Order, N = 128: 7 tracks of 4, D = 28; embedding 6·28 = 168, positions 128·28 = 3584;
        // 7 blocks of 28·64+64 + 64·28+28 = 3676; head 28·4+4 = 116. Total 29600.
        let chordMixer = try ModelConfiguration(kind: .chordmixer, task: .order, length: 128).makeModel(seed: 1)
        #expect(chordMixer.parameterCount == 29_600)
        // Paramixer: PSF-Attn with C = D = 32 and two layers.
        guard case .paramixer(let p) = ModelConfiguration(kind: .paramixer, task: .adding, length: 64) else {
            Issue.record("paramixer's configuration")
            return
        }
        #expect(p.channels == 32 && p.layers == 2 && p.embedding == 32)
    }

    @Test func transformerConfigurationsRoundTripAndOldOnesReadAsSoftmax() throws {
        for attention in [AttentionKind.softmax, .linformer(projectedLength: 5), .performer(features: 3)] {
            var c = tinyTransformer(input: .tokens(vocabulary: 6), outputs: 3)
            c.attention = attention
            c.layers = 2
            c.dropout = 0.25
            let data = try JSONEncoder().encode(c)
            #expect(try JSONDecoder().decode(TransformerConfiguration.self, from: data) == c)
        }
        // A checkpoint's header from before Linformer and Performer: no "attention" key at all.
        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(tinyTransformer(input: .features(count: 2), outputs: 1))) as! [String: Any]
        old["attention"] = nil
        let decoded = try JSONDecoder().decode(TransformerConfiguration.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(decoded == tinyTransformer(input: .features(count: 2), outputs: 1))
        #expect(decoded.attention == .softmax)
    }

    @Test func sameSeedSameModelForEveryKind() throws {
        for kind in ModelKind.allCases {
            let config = ModelConfiguration(kind: kind, task: .order, length: 16)
            let a = try config.makeModel(seed: 5).parameters.map(\.value)
            #expect(a == (try config.makeModel(seed: 5).parameters.map(\.value)), "\(kind)")
            #expect(a != (try config.makeModel(seed: 6).parameters.map(\.value)), "\(kind)")
        }
    }

    @Test func oversizedModelsAreRefusedBeforeAllocating() throws {
        for kind in ModelKind.allCases {
            expectError("\(kind) at N = 2^40", matches: \.isTooLarge) {
                try ModelConfiguration(kind: kind, task: .adding, length: 1 << 40).checkStepMemory(batch: 40)
            }
        }
        expectError("a step of a huge batch", matches: \.isTooLarge) {
            try ModelConfiguration(kind: .transformer, task: .adding, length: 4096).checkStepMemory(batch: 1 << 40)
        }
        var odd = TransformerConfiguration(task: .adding, length: 8)
        odd.heads = 3
        expectError("width not divisible by heads", matches: \.isInvalidArgument) { try Transformer(configuration: odd, seed: 1) }
        var noTracks = ChordMixerConfiguration(task: .adding, length: 8)
        noTracks.trackSize = 0
        expectError("zero track size", matches: \.isInvalidArgument) { try ChordMixer(configuration: noTracks, seed: 1) }
        let model = try Transformer(configuration: TransformerConfiguration(task: .adding, length: 8), seed: 1)
        expectError("wrong length", matches: \.isShapeMismatch) { try model(Tensor(shape: [2, 9, 2])) }
    }
}
