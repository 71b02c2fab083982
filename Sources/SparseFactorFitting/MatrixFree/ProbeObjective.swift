import SparseFactorCore
import Foundation

/// The matrix-free fitting objective `L̂(W) = ½‖(A − W₁⋯W_M) Ω‖²_F / p` over a block Ω of p
/// probe vectors (entries of mean 0, variance 1), for an A known only through its products.
///
/// E[Ω Ωᵀ] = p·I, so L̂ and its gradient are unbiased estimates of the dense objective
/// ½‖A − W₁⋯W_M‖²_F and its gradient. With fixed probes (``resample(seed:)`` never called) L̂ is a
/// deterministic function that L-BFGS can minimize; with fresh probes before every evaluation
/// (``freshProbesEachEvaluation``) each gradient is an independent unbiased sample, as Adam wants.
///
/// The products A·Ω are taken once per probe set; an evaluation runs the chain kernels forward and
/// backward on blocks of at most 32 probe columns, so it costs O(M·N·K·p) and keeps O(N·(M·K + p))
/// numbers: the probes and A·Ω (N·p each), one block's activations (M·N·32) and the gradient (M·N·K).
/// Each block's loss and gradient are computed on their own; the losses are added in block order and
/// the gradients in a fixed binary tree over the blocks (`ProcessGroup.treeSum`, about log2(blocks) + 2
/// gradients held at once), and the kernels give each row one owner, so the results do not depend on
/// the thread count. With a process group the blocks are spread over its ranks (each draws and
/// multiplies only its own probes) and added in the same tree: bit-identical for any group size.
///
/// ```swift
/// let a = try SparseMatrix(size: 4096, entries: entries)
/// let topology = try ChordTopology(size: 4096)
/// let objective = try ProbeObjective(operator: a, topology: topology, probes: 64, seed: 1)
/// let chain = try FactorChain<Double>.rowNormalized(topology: topology, seed: 1)
/// var gradient: [Double] = []
/// let estimate = try objective.evaluate(chain.values, gradient: &gradient)   // ≈ ½‖A − P‖²_F
/// ```
public final class ProbeObjective {
    /// The operator A being approximated, divided by ``scale``.
    public let target: any LinearOperator
    /// The pattern of every factor.
    public let topology: ChordTopology
    /// M, the number of factors.
    public let factorCount: Int
    /// p, the number of probe vectors per evaluation.
    public let probeCount: Int
    /// Their distribution.
    public let distribution: ProbeDistribution
    /// A is divided by this before fitting (the loss is of A / scale): 1 by default.
    public let scale: Double
    /// ‖A / scale‖_F when the operator knows it, else its estimate ‖A Ω‖_F / (√p · scale) from the first probes.
    public private(set) var targetNorm: Double = 1
    /// Draw fresh probes before every evaluation (Adam); keep them fixed otherwise (L-BFGS).
    public var freshProbesEachEvaluation = false
    /// The seed of the probes in use.
    public private(set) var seed: UInt64

    /// The number of factor values, `M · N · K`.
    public var parameterCount: Int { factorCount * topology.nonzerosPerFactor }

    /// Columns of a block: one block's activations are M·N·blockWidth numbers.
    static let blockWidth = 32
    /// This rank's probe blocks (all of them without a group) and their products A·Ω / scale.
    private var probeBlocks: [MatrixBatch<Double>] = []
    private var targetBlocks: [Matrix<Double>] = []
    /// The processes the blocks are spread over (nil: this process alone).
    let group: (any ProcessGroup)?
    /// The number of probe blocks, ⌈p / blockWidth⌉.
    var blockCount: Int { (probeCount + Self.blockWidth - 1) / Self.blockWidth }

    /// - Parameters:
    ///   - operator: A, square with `operator.size == topology.size`.
    ///   - factorCount: M; `nil` means ⌈log2 N⌉.
    ///   - probes: p ≥ 1.
    ///   - scale: A is fitted as A / scale (finite, > 0).
    ///   - memoryLimit: bytes the probes, products and one block's work may take; `nil` = the default limit.
    public convenience init(operator a: any LinearOperator, topology: ChordTopology, factorCount: Int? = nil, probes: Int,
                            distribution: ProbeDistribution = .rademacher, seed: UInt64 = 0, scale: Double = 1,
                            memoryLimit: Int? = nil) throws {
        try self.init(operator: a, topology: topology, factorCount: factorCount, probes: probes, distribution: distribution,
                      seed: seed, scale: scale, memoryLimit: memoryLimit, group: nil)
    }

    /// The same objective with its probe blocks spread over `group` (see the type's discussion).
    init(operator a: any LinearOperator, topology: ChordTopology, factorCount: Int? = nil, probes: Int,
         distribution: ProbeDistribution = .rademacher, seed: UInt64 = 0, scale: Double = 1,
         memoryLimit: Int? = nil, group: (any ProcessGroup)?) throws {
        let n = topology.size
        guard a.size == n else {
            throw SparseFactorError.shapeMismatch(expected: "an operator of size \(n) (the topology's N)", got: "size \(a.size)")
        }
        guard probes >= 1 else { throw SparseFactorError.invalidArgument("the number of probes must be at least 1, got \(probes)") }
        guard scale > 0 && scale.isFinite else { throw SparseFactorError.invalidArgument("the scale must be finite and > 0, got \(scale)") }
        let m = factorCount ?? topology.defaultFactorCount
        guard m >= 1 else { throw SparseFactorError.invalidArgument("a chain needs at least one factor, got \(m)") }
        let width = min(probes, Self.blockWidth)
        // Probes and products (2·N·p), one block's activations, output and gradient ((M + 2)·N·32), and the gradients
        // of the tree sum over the blocks (⌈log2 blocks⌉ + 3, and with a group about 4 more for the exchange).
        let blocks = (probes + Self.blockWidth - 1) / Self.blockWidth
        let gradients = blocks.bitWidth - blocks.leadingZeroBitCount + 3 + (group == nil ? 0 : 4)
        guard let count = MemoryBudget.total([[2, n, probes], [m + 2, n, width], [gradients, m, topology.nonzerosPerFactor]]) else {
            throw SparseFactorError.tooLarge("the matrix-free objective of \(m) factors of size \(n) with \(probes) probes needs more memory than can be counted")
        }
        try MemoryBudget.check("the matrix-free objective of \(m) factors of size \(n) with \(probes) probes", counts: [count],
                               scalarBytes: MemoryLayout<Double>.size, limit: memoryLimit)
        self.target = a
        self.topology = topology
        self.factorCount = m
        self.probeCount = probes
        self.distribution = distribution
        self.scale = scale
        self.seed = seed
        self.group = group
        try drawProbes(seed: seed)
        if let norm = a.knownFrobeniusNorm {
            self.targetNorm = norm / scale
        } else {
            let sums = try gatheredInBlockOrder(targetBlocks.map { $0.values.reduce(0.0) { $0 + $1 * $1 } }, each: 1)
            self.targetNorm = (sums.reduce(0.0, +) / Double(probes)).squareRoot()
        }
    }

    /// This rank's blocks: all of them without a group.
    private var myBlocks: Range<Int> { group?.pieces(blockCount) ?? 0..<blockCount }

    /// Every block's `each` numbers in block order, from this rank's (`local`: its blocks' numbers in order).
    private func gatheredInBlockOrder(_ local: [Double], each: Int) throws -> [Double] {
        guard let group else { return local }
        return try group.allGather(local, counts: group.counts(blockCount, each: each))
    }

    /// Replaces the probes by the ones `seed` gives (and takes A·Ω again).
    public func resample(seed: UInt64) throws {
        try drawProbes(seed: seed)
    }

    private func drawProbes(seed: UInt64) throws {
        let source = ProbeSource(size: topology.size, distribution: distribution, seed: seed)
        var probes: [MatrixBatch<Double>] = []
        var targets: [Matrix<Double>] = []
        for block in myBlocks {
            let first = block * Self.blockWidth
            let width = min(Self.blockWidth, probeCount - first)
            let omega = try source.block(first: first, width: width)
            var y = try target.checkedApply(omega)
            if scale != 1 { for i in y.values.indices { y.values[i] /= scale } }
            probes.append(try MatrixBatch(count: 1, rows: omega.rows, columns: width, values: omega.values))
            targets.append(y)
        }
        probeBlocks = probes
        targetBlocks = targets
        self.seed = seed
    }

    /// The estimate L̂ at `values` (in `FactorChain`'s layout), with its gradient in `gradient`.
    /// With ``freshProbesEachEvaluation`` the probes are redrawn first (seed + 1 each time).
    @discardableResult
    public func evaluate(_ values: [Double], gradient: inout [Double]) throws -> Double {
        try checkValues(values)
        if freshProbesEachEvaluation { try resample(seed: seed &+ 1) }
        if gradient.count != values.count { gradient = [Double](repeating: 0, count: values.count) }
        for i in gradient.indices { gradient[i] = 0 }
        guard values.allSatisfy({ $0.isFinite }) else { return .nan }
        let kernels = ChainKernels<Double>(topology: topology, factorCount: factorCount, values: values, valuesBatchStride: 0)
        let inverseCount = 1 / Double(probeCount)
        var sums: [Double] = []   // this rank's blocks' squared residuals, in block order
        let first = myBlocks.lowerBound
        gradient = try (group ?? SingleProcess()).treeSum(pieces: blockCount, length: values.count) { block in
            let (omega, y) = (probeBlocks[block - first], targetBlocks[block - first])
            var (z, acts) = try kernels.forward(omega, keepActivations: true)
            var sum = 0.0
            for i in z.values.indices {
                let r = z.values[i] - y.values[i]
                sum += r * r
                z.values[i] = r * inverseCount          // dL̂/d(PΩ) = R / p
            }
            sums.append(sum)
            var blockGradient = [Double](repeating: 0, count: values.count)
            _ = try kernels.backward(input: omega, activations: acts, outputGradient: z, wantInputGradient: false,
                                     accumulatingInto: &blockGradient)
            acts = []
            return blockGradient
        }
        return try gatheredInBlockOrder(sums, each: 1).reduce(0.0, +) * inverseCount / 2
    }

    /// L̂ alone.
    public func loss(_ values: [Double]) throws -> Double {
        try checkValues(values)
        let kernels = ChainKernels<Double>(topology: topology, factorCount: factorCount, values: values, valuesBatchStride: 0)
        let sums = try zip(probeBlocks, targetBlocks).map { try columnSquares(of: kernels, probes: $0, targets: $1).residuals.reduce(0, +) }
        return try gatheredInBlockOrder(sums, each: 1).reduce(0, +) / Double(probeCount) / 2
    }

    /// The relative error `√(2 L̂) / ‖A/scale‖_F` that goes with a loss value.
    public func relativeError(loss: Double) -> Double {
        relativeFrobeniusError(loss: loss, targetNorm: targetNorm)
    }

    private func checkValues(_ values: [Double]) throws {
        try checkFactorValueCount(values.count, factorCount: factorCount, topology: topology)
    }
}

extension ProbeObjective: FitObjective {}

/// For each column c of one probe block: ‖P ω_c − y_c / scale‖² and ‖y_c / scale‖², where P is the
/// chain behind `kernels` and y = A ω (the fit's objective and its error measurement both use this).
func columnSquares(of kernels: ChainKernels<Double>, probes omega: MatrixBatch<Double>, targets y: Matrix<Double>,
                   scale: Double = 1) throws -> (residuals: [Double], targets: [Double]) {
    let z = try kernels.forward(omega, keepActivations: false).output
    let w = omega.columns
    var residuals = [Double](repeating: 0, count: w), targets = [Double](repeating: 0, count: w)
    for i in 0..<omega.rows {
        for c in 0..<w {
            let target = y.values[i * w + c] / scale
            let r = z.values[i * w + c] - target
            residuals[c] += r * r
            targets[c] += target * target
        }
    }
    return (residuals, targets)
}
