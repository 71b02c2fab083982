import SparseFactorCore
internal import CSparseFactorKernels
import Foundation

/// The fitting objective `L(W) = ½‖A − W₁·W₂⋯W_M‖²_F` and its gradient with respect to every
/// factor value, computed by one C kernel (`sf_chain_objective_f64`, or `_f32` with
/// ``FitPrecision/float32``).
///
/// The product P = W₁⋯W_M is P = W₁⋯W_M · I, and everything but the value gradient is independent
/// per column of I. So the kernel takes the identity a block of 32 columns at a time: the chain
/// forward on that block (its first step, `W_M · I[:, block]`, is W_M's links that land in the
/// block, scattered rather than multiplied), the residual `P[:, block] − A[:, block]` = dL/dP, and
/// the chain backward, all on blocks of N×32 numbers that stay in cache. That is O(M·N²·K) work as
/// before, and no dense O(N³) product of factors is ever formed, but no N×N intermediate either:
/// the scratch is O(M·N·(32 + K)) numbers. The column blocks go to the threads in a fixed number of
/// chunks with their own partial gradients, summed in a fixed order, so the results do not depend
/// on the thread count. The scratch lives in the objective and is reused by every evaluation, so
/// a fit allocates it once.
///
/// With `precision: .float32` the kernel runs on a float copy of A and of the values (twice the
/// vector lanes, half the bytes moved); the loss comes back as a double (the squared residuals are
/// summed in double) and the gradient is widened to double, so the optimizers are unchanged. The
/// loss then carries float rounding: relative differences of about 1e-7 between close points are noise.
///
/// ```swift
/// let topology = try ChordTopology(size: 512)
/// let objective = try FactorizationObjective(target: a, topology: topology)
/// let chain = try FactorChain<Double>.rowNormalized(topology: topology, seed: 1)
/// var gradient = [Double](repeating: 0, count: chain.values.count)
/// let loss = try objective.evaluate(chain.values, gradient: &gradient)
/// ```
public final class FactorizationObjective {
    /// The matrix A being approximated.
    public let target: Matrix<Double>
    /// The pattern of every factor.
    public let topology: ChordTopology
    /// M, the number of factors.
    public let factorCount: Int
    /// ‖A‖_F.
    public let targetNorm: Double
    /// The number of factor values, `M · N · K`.
    public var parameterCount: Int { factorCount * topology.nonzerosPerFactor }
    /// The scalar type the kernel computes in.
    public let precision: FitPrecision

    /// The kernel's work space (its contents do not matter between calls). Left uninitialized:
    /// the kernel touches only the part the threads that run need. Empty for float32.
    private var scratch: [Double]
    /// float32: the kernel's work space, A, the values and the gradient in float (empty for float64).
    private var singleScratch: [Float] = []
    private var singleTarget: [Float] = []
    private var singleValues: [Float] = []
    private var singleGradient: [Float] = []

    /// An objective for `target` (square, N×N with N = `topology.size`, finite).
    /// - Parameters:
    ///   - factorCount: M; `nil` means `⌈log2 N⌉`.
    ///   - memoryLimit: bytes the kernel's scratch may take (at most 8·(256·M·N + 9·M·N·(K+3) + 64)
    ///     bytes, 14 MB for N = 512; float32 adds a float copy of A, 4·N² bytes); `nil` means half the
    ///     machine's memory.
    ///   - precision: the kernel's scalar type; float64 by default.
    public init(target: Matrix<Double>, topology: ChordTopology, factorCount: Int? = nil, memoryLimit: Int? = nil,
                precision: FitPrecision = .float64) throws {
        let n = topology.size
        guard target.rows == n, target.columns == n else {
            throw SparseFactorError.shapeMismatch(expected: "an \(n)×\(n) matrix (the topology's N)", got: "\(target.rows)×\(target.columns)")
        }
        let m = factorCount ?? topology.defaultFactorCount
        guard m >= 1 else { throw SparseFactorError.invalidArgument("a chain needs at least one factor, got \(m)") }
        let (mm, nn, kk) = (Int64(m), Int64(n), Int64(topology.linksPerRow))
        let count = Int(precision == .float64 ? sf_chain_objective_scratch_f64(mm, nn, kk) : sf_chain_objective_scratch_f32(mm, nn, kk))
        let what = "the objective of \(m) factors of size \(n)×\(n)"
        guard count > 0 else { throw SparseFactorError.tooLarge("\(what) needs more scratch memory than can be counted") }
        switch precision {
        case .float64:
            try MemoryBudget.check("\(what)'s scratch", counts: [count], scalarBytes: MemoryLayout<Double>.size, limit: memoryLimit)
        case .float32:
            // Scratch, the float copy of A, the values and the gradient.
            let values = m * topology.nonzerosPerFactor
            guard let floats = MemoryBudget.total([[count], [n, n], [2, values]]) else {
                throw SparseFactorError.tooLarge("\(what) in float32 needs more memory than can be counted")
            }
            try MemoryBudget.check("\(what)'s float32 scratch and copy of the matrix", counts: [floats],
                                   scalarBytes: MemoryLayout<Float>.size, limit: memoryLimit)
        }
        guard target.isFinite else { throw SparseFactorError.nonFinite("the matrix to factorize has NaN or infinite entries") }
        self.target = target
        self.topology = topology
        self.factorCount = m
        self.targetNorm = target.frobeniusNorm
        self.precision = precision
        switch precision {
        case .float64:
            self.scratch = [Double](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        case .float32:
            self.scratch = []
            self.singleScratch = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
            self.singleTarget = target.values.map { Float($0) }
            guard singleTarget.allSatisfy({ $0.isFinite }) else {
                throw SparseFactorError.nonFinite("the matrix has entries beyond float32's range (|x| > 3.4e38); fit it in float64")
            }
        }
    }

    /// The loss `½‖A − W₁⋯W_M‖²_F` for the given factor values (in `FactorChain`'s layout),
    /// with its gradient written into `gradient` (resized to the values' count if needed).
    @discardableResult
    public func evaluate(_ values: [Double], gradient: inout [Double]) throws -> Double {
        try checkValues(values)
        if gradient.count != values.count { gradient = [Double](repeating: 0, count: values.count) }
        if precision == .float32 {
            let loss = try runSingle(values, withGradient: true)
            for i in gradient.indices { gradient[i] = Double(singleGradient[i]) }
            return loss
        }
        return try gradient.withUnsafeMutableBufferPointer { dw in
            dw.update(repeating: 0)                                   // the kernel accumulates
            return try run(values, gradient: dw.baseAddress)
        }
    }

    /// The loss alone (the forward half of the kernel, no gradient).
    public func loss(_ values: [Double]) throws -> Double {
        try checkValues(values)
        if precision == .float32 { return try runSingle(values, withGradient: false) }
        return try run(values, gradient: nil)
    }

    /// The number of pieces the kernel cuts its work into: chunks of columns of the identity, at
    /// most 8, fixed by N and the precision (never by the thread or process count).
    public var chunkCount: Int {
        let (m, n, k) = (Int64(factorCount), Int64(topology.size), Int64(topology.linksPerRow))
        return Int(precision == .float64 ? sf_chain_objective_chunk_count_f64(m, n, k) : sf_chain_objective_chunk_count_f32(m, n, k))
    }

    /// The loss and its gradient with the kernel's chunks spread over `group`: each rank computes
    /// its share (`ProcessGroup.pieces(_:rank:)`), every chunk's loss and gradient is gathered on
    /// every rank, and they are added in chunk order, as ``evaluate(_:gradient:)`` adds them, so
    /// the result is bit for bit that of ``evaluate(_:gradient:)`` for any group size. Every rank
    /// must call it with the same values. Memory: `chunkCount · M·N·K` scalars more (the gathered
    /// gradients), checked by ``checkGroupMemory(limit:)``.
    public func evaluate(_ values: [Double], gradient: inout [Double], group: any ProcessGroup) throws -> Double {
        try checkValues(values)
        if gradient.count != values.count { gradient = [Double](repeating: 0, count: values.count) }
        let chunks = chunkCount, mine = group.pieces(chunks), count = values.count
        if precision == .float32 {
            if singleValues.count != count { singleValues = [Float](repeating: 0, count: count) }
            for i in values.indices { singleValues[i] = Float(values[i]) }
            if singleGradient.count != count { singleGradient = [Float](repeating: 0, count: count) }
            let (losses, partials) = try callChunks(sf_chain_objective_chunks_f32, values: singleValues, target: singleTarget,
                                                     scratch: &singleScratch, chunks: mine)
            let loss = try fold(sf_chain_objective_fold_f32, losses: group.allGather(losses, counts: group.counts(chunks, each: 1)),
                                partials: group.allGather(partials, counts: group.counts(chunks, each: count)), into: &singleGradient)
            for i in gradient.indices { gradient[i] = Double(singleGradient[i]) }
            return loss
        }
        let (losses, partials) = try callChunks(sf_chain_objective_chunks_f64, values: values, target: target.values,
                                                 scratch: &scratch, chunks: mine)
        return try fold(sf_chain_objective_fold_f64, losses: group.allGather(losses, counts: group.counts(chunks, each: 1)),
                        partials: group.allGather(partials, counts: group.counts(chunks, each: count)), into: &gradient)
    }

    /// Throws unless the gathered gradients of ``evaluate(_:gradient:group:)`` (a local share and
    /// all `chunkCount` of them, `M·N·K` scalars each) fit in `limit` bytes (`nil`: the default limit).
    public func checkGroupMemory(limit: Int? = nil) throws {
        let bytes = precision == .float64 ? MemoryLayout<Double>.size : MemoryLayout<Float>.size
        try MemoryBudget.check("the gathered gradients of \(chunkCount) chunks", counts: [2 * chunkCount, parameterCount],
                               scalarBytes: bytes, limit: limit)
    }

    /// The relative Frobenius error `‖A − P‖_F / ‖A‖_F` that goes with a loss value.
    public func relativeError(loss: Double) -> Double {
        relativeFrobeniusError(loss: loss, targetNorm: targetNorm)
    }

    private func checkValues(_ values: [Double]) throws {
        try checkFactorValueCount(values.count, factorCount: factorCount, topology: topology)
    }

    /// One call of the float64 kernel: returns the loss, and adds the gradient into `gradient` unless it is nil.
    private func run(_ values: [Double], gradient: UnsafeMutablePointer<Double>?) throws -> Double {
        try callKernel(sf_chain_objective_f64, values: values, target: target.values, scratch: &scratch, gradient: gradient)
    }

    /// The float kernel on the values rounded to float; the gradient, when asked for, goes to `singleGradient`.
    /// Values beyond float's range become infinite there, so the loss does too and the optimizer reports divergence,
    /// as it does for a double loss that overflows.
    private func runSingle(_ values: [Double], withGradient wantsGradient: Bool) throws -> Double {
        if singleValues.count != values.count { singleValues = [Float](repeating: 0, count: values.count) }
        for i in values.indices { singleValues[i] = Float(values[i]) }   // in place: no allocation per evaluation
        guard wantsGradient else {
            return try callKernel(sf_chain_objective_f32, values: singleValues, target: singleTarget, scratch: &singleScratch, gradient: nil)
        }
        if singleGradient.count != values.count { singleGradient = [Float](repeating: 0, count: values.count) }
        return try singleGradient.withUnsafeMutableBufferPointer { dw in
            dw.update(repeating: 0)                                   // the kernel accumulates
            return try callKernel(sf_chain_objective_f32, values: singleValues, target: singleTarget, scratch: &singleScratch,
                                  gradient: dw.baseAddress)
        }
    }

    /// The C chunk kernel on `chunks`: each chunk's sum of squared residuals and whole gradient.
    private func callChunks<Scalar: BinaryFloatingPoint>(
        _ kernel: (UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Scalar>?, UnsafeMutablePointer<Scalar>?, UnsafePointer<Scalar>?,
                   UnsafePointer<Scalar>?, UnsafePointer<Int64>?, UnsafePointer<Int64>?, UnsafePointer<Int64>?,
                   Int64, Int64, Int64, Int64, Int64, Int64) -> Int32,
        values: [Scalar], target a: [Scalar], scratch: inout [Scalar], chunks: Range<Int>
    ) throws -> (losses: [Double], partials: [Scalar]) {
        let (n, k, m) = (Int64(topology.size), Int64(topology.linksPerRow), Int64(factorCount))
        var losses = [Double](repeating: 0, count: chunks.count)
        var partials = [Scalar](repeating: 0, count: chunks.count * values.count)
        let status = losses.withUnsafeMutableBufferPointer { l in
            partials.withUnsafeMutableBufferPointer { p in
                withKernelTables(values: values, target: a, scratch: &scratch) { w, a, cols, tptr, tlink, work, count in
                    kernel(l.baseAddress, p.baseAddress, work, a, w, cols, tptr, tlink, m, n, k, count,
                           Int64(chunks.lowerBound), Int64(chunks.upperBound))
                }
            }
        }
        try checkKernel(status, "objective chunks")
        return (losses, partials)
    }

    /// Every chunk's loss and gradient (`losses.count` chunks, in chunk order) added as the whole kernel adds them:
    /// `gradient` is overwritten with the sum, the loss returned.
    private func fold<Scalar: BinaryFloatingPoint>(
        _ kernel: (UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Scalar>?, UnsafePointer<Double>?, UnsafePointer<Scalar>?,
                   Int64, Int64) -> Int32,
        losses: [Double], partials: [Scalar], into gradient: inout [Scalar]
    ) throws -> Double {
        guard losses.count == chunkCount, partials.count == losses.count * gradient.count else {
            throw SparseFactorError.shapeMismatch(expected: "\(chunkCount) gathered chunks of \(gradient.count) values",
                                                  got: "\(losses.count) losses and \(partials.count) values")
        }
        var loss = 0.0
        let status = gradient.withUnsafeMutableBufferPointer { dw in
            dw.update(repeating: 0)                                   // the fold accumulates
            return losses.withUnsafeBufferPointer { l in
                partials.withUnsafeBufferPointer { p in
                    kernel(&loss, dw.baseAddress, l.baseAddress, p.baseAddress, Int64(losses.count), Int64(dw.count))
                }
            }
        }
        try checkKernel(status, "objective fold")
        return loss
    }

    /// The C objective `kernel` (the f64 or f32 entry point) on the topology's tables: returns the loss.
    private func callKernel<Scalar>(
        _ kernel: (UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Scalar>?, UnsafeMutablePointer<Scalar>?, UnsafePointer<Scalar>?,
                   UnsafePointer<Scalar>?, UnsafePointer<Int64>?, UnsafePointer<Int64>?, UnsafePointer<Int64>?,
                   Int64, Int64, Int64, Int64) -> Int32,
        values: [Scalar], target a: [Scalar], scratch: inout [Scalar], gradient: UnsafeMutablePointer<Scalar>?
    ) throws -> Double {
        let (n, k, m) = (Int64(topology.size), Int64(topology.linksPerRow), Int64(factorCount))
        var loss = 0.0
        let status = withKernelTables(values: values, target: a, scratch: &scratch) { w, a, cols, tptr, tlink, work, count in
            kernel(&loss, gradient, work, a, w, cols, tptr, tlink, m, n, k, count)
        }
        try checkKernel(status, "objective")
        return loss
    }

    /// `body` with the arguments every objective kernel takes, as pointers: the values, A, the topology's
    /// column index and transposed tables, and the scratch with its length. The pointers live for the call only.
    private func withKernelTables<Scalar>(
        values: [Scalar], target a: [Scalar], scratch: inout [Scalar],
        _ body: (UnsafePointer<Scalar>?, UnsafePointer<Scalar>?, UnsafePointer<Int64>?, UnsafePointer<Int64>?, UnsafePointer<Int64>?,
                 UnsafeMutablePointer<Scalar>?, Int64) -> Int32
    ) -> Int32 {
        values.withUnsafeBufferPointer { w in
            a.withUnsafeBufferPointer { a in
                topology.columnIndex.withUnsafeBufferPointer { cols in
                    topology.transposedStart.withUnsafeBufferPointer { tptr in
                        topology.transposedLinks.withUnsafeBufferPointer { tlink in
                            scratch.withUnsafeMutableBufferPointer { work in
                                body(w.baseAddress, a.baseAddress, cols.baseAddress, tptr.baseAddress, tlink.baseAddress,
                                     work.baseAddress, Int64(work.count))
                            }
                        }
                    }
                }
            }
        }
    }
}
