import SparseFactorCore
import SparseFactorNN
import Testing

// Helpers of the NN engine tests: seeded tensors and a central-difference gradient check
// that every layer test runs through.

/// Entries uniform in [-scale, scale], from a seed.
package func nnRandomTensor(_ shape: [Int], scale: Double = 1, seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.uniform(shape: shape, bound: scale, rng: &rng)
}

/// Σ r ⊙ y in Double: a scalar objective whose gradient with respect to y is exactly r.
package func nnProjection(_ y: Tensor, _ r: Tensor) -> Double {
    zip(y.values, r.values).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

/// At most `limit` indices of 0..<count, spread evenly (all of them when count ≤ limit).
package func nnSampleIndices(_ count: Int, limit: Int = 48) -> [Int] {
    count <= limit ? Array(0..<count) : (0..<limit).map { $0 * count / limit }
}

/// Compares the analytic gradients of `layer` (input and every parameter) with central
/// differences of f(x, θ) = Σ r ⊙ layer(x), for a seeded random r.
///
/// - `prepare` runs before every forward pass (e.g. to replay a dropout mask).
/// - `inputIsDifferentiable: false` (token ids) instead requires a zero input gradient.
/// Tolerance: |analytic − fd| ≤ atol + rtol · max(|analytic|, |fd|); Float32 forward passes
/// with step h give rounding noise ~ 1e-6/h, far below atol, while any wrong term in a
/// backward pass shows as an O(1) relative error. Every checked gradient must be non-zero
/// somewhere, or the comparison would prove nothing.
package func nnCheckGradients(_ layer: any Layer, input: Tensor, seed: UInt64, step: Float = 1e-2,
                      atol: Double = 2e-3, rtol: Double = 1e-2, inputIsDifferentiable: Bool = true,
                      prepare: () -> Void = {}, _ label: String,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
    prepare()
    let y = try layer(input)
    let r = nnRandomTensor(y.shape, seed: seed)
    layer.zeroGradients()
    let dx = try layer.backward(r)
    #expect(dx.shape == input.shape, "\(label): input gradient shape", sourceLocation: sourceLocation)
    let parameterGradients = layer.parameters.map { $0.gradient.values }

    func objective(_ x: Tensor) throws -> Double {
        prepare()
        return nnProjection(try layer(x), r)
    }

    func compare(_ analytic: [Float], indices: [Int], what: String, perturbed: (Int, Float) throws -> Double) rethrows {
        var largest = 0.0
        for i in indices {
            let plus = try perturbed(i, step)
            let minus = try perturbed(i, -step)
            let fd = (plus - minus) / (2 * Double(step))
            let a = Double(analytic[i])
            largest = max(largest, abs(a))
            let error = abs(a - fd)
            if !(error <= atol + rtol * max(abs(a), abs(fd))) {
                Issue.record("\(label): \(what)[\(i)] analytic \(a), finite difference \(fd)", sourceLocation: sourceLocation)
                return
            }
        }
        if largest == 0 {
            Issue.record("\(label): \(what) is zero at every checked entry, so the check proves nothing", sourceLocation: sourceLocation)
        }
    }

    if inputIsDifferentiable {
        try compare(dx.values, indices: nnSampleIndices(input.count), what: "dL/dx") { i, h in
            var x = input
            x.values[i] += h
            return try objective(x)
        }
    } else {
        #expect(dx.values.allSatisfy { $0 == 0 }, "\(label): non-differentiable input must get a zero gradient",
                sourceLocation: sourceLocation)
    }
    for (p, analytic) in zip(layer.parameters, parameterGradients) {
        try compare(analytic, indices: nnSampleIndices(p.count), what: "dL/d\(p.name)") { i, h in
            let saved = p.value.values[i]
            defer { p.value.values[i] = saved }
            p.value.values[i] = saved + h
            return try objective(input)
        }
    }
}

/// Expects `body` to throw a `SparseFactorError` (and not crash).
package func nnExpectError(_ label: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("\(label): expected an error", sourceLocation: sourceLocation)
    } catch is SparseFactorError {
    } catch {
        Issue.record("\(label): expected a SparseFactorError, got \(error)", sourceLocation: sourceLocation)
    }
}
