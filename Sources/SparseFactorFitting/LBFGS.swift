import SparseFactorCore
/// What an optimizer hands back to ``fitFactors(_:options:group:progress:)``.
struct OptimizerOutcome {
    var values: [Double]
    var loss: Double
    var stopReason: FitStopReason
    var iterations: Int
}

/// Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4/7.5): the search direction is the
/// two-loop recursion over the last `memory` curvature pairs (s, y) with the initial inverse
/// Hessian γI, γ = sᵀy / yᵀy; every step comes from a strong-Wolfe line search, which keeps
/// sᵀy > 0 and so the implicit inverse Hessian positive definite.
///
/// When a line search fails along the quasi-Newton direction, the memory is dropped and the
/// steepest descent is tried once; if that fails too the run stops (`.lineSearchFailed`).
struct LBFGSOptimizer {
    let options: FitOptions

    func minimize(from initial: [Double], monitor: inout FitMonitor) throws -> OptimizerOutcome {
        let n = initial.count
        let start = try monitor.start(at: initial)
        if let finished = start.finished { return finished }
        var x = initial, g = start.gradient, f = start.loss

        let memory = options.memory
        var pairsS: [[Double]] = []          // ring buffer of the last `memory` pairs
        var pairsY: [[Double]] = []
        var pairsRho: [Double] = []
        var oldest = 0                       // index of the oldest pair once the ring is full
        var spareS = [Double](repeating: 0, count: n)
        var spareY = [Double](repeating: 0, count: n)
        var coefficients = [Double](repeating: 0, count: memory)
        var direction = [Double](repeating: 0, count: n)
        var lineSearch = StrongWolfeLineSearch(c1: options.wolfeDecrease, c2: options.wolfeCurvature,
                                               maxEvaluations: options.maxLineSearchEvaluations, dimension: n)
        var newX = [Double](repeating: 0, count: n)
        var newG = [Double](repeating: 0, count: n)

        /// direction = −H·g by the two-loop recursion (−g with no pairs).
        func computeDirection() {
            let count = pairsS.count
            direction.withUnsafeMutableBufferPointer { d in g.withUnsafeBufferPointer { gp in _ = d.update(fromContentsOf: gp) } }
            guard count > 0 else { VectorMath.scale(&direction, by: -1); return }
            for j in stride(from: count - 1, through: 0, by: -1) {        // newest to oldest
                let i = (oldest + j) % count
                let a = pairsRho[i] * VectorMath.dot(pairsS[i], direction)
                coefficients[i] = a
                VectorMath.axpy(-a, pairsY[i], &direction)
            }
            let newest = (oldest + count - 1) % count
            let gamma = 1 / (pairsRho[newest] * VectorMath.dot(pairsY[newest], pairsY[newest]))
            VectorMath.scale(&direction, by: gamma)
            for j in 0..<count {                                           // oldest to newest
                let i = (oldest + j) % count
                let b = pairsRho[i] * VectorMath.dot(pairsY[i], direction)
                VectorMath.axpy(coefficients[i] - b, pairsS[i], &direction)
            }
            VectorMath.scale(&direction, by: -1)
        }

        func clearMemory() {
            pairsS.removeAll(keepingCapacity: true)
            pairsY.removeAll(keepingCapacity: true)
            pairsRho.removeAll(keepingCapacity: true)
            oldest = 0
        }

        var iteration = 0
        while true {
            iteration += 1
            var outcome = StrongWolfeLineSearch.Outcome.failure
            // At most two attempts: the quasi-Newton direction, then (memory dropped) the steepest descent.
            for attempt in 0..<2 {
                if attempt == 1 && pairsS.isEmpty { break }
                if attempt == 1 { clearMemory() }
                computeDirection()
                var slope = VectorMath.dot(g, direction)
                if !(slope < 0) {              // not a descent direction (round-off): fall back to −g
                    clearMemory()
                    computeDirection()
                    slope = VectorMath.dot(g, direction)
                    if !(slope < 0) { break }
                }
                // With curvature information the unit step is the natural first trial; without it,
                // a step of length at most 1 along −g.
                let firstStep = pairsS.isEmpty ? min(1, 1 / VectorMath.dot(g, g).squareRoot()) : 1
                outcome = try lineSearch.search(from: x, loss: f, direction: direction, slope: slope, initialStep: firstStep) { point, gradient in
                    try monitor.evaluate(point, gradient: &gradient)
                }
                if case .failure = outcome { continue }
                break
            }
            let newLoss: Double
            switch outcome {
            case .failure:
                return OptimizerOutcome(values: x, loss: f, stopReason: .lineSearchFailed, iterations: iteration - 1)
            case .wolfe(_, let loss), .sufficientDecreaseOnly(_, let loss):
                newLoss = loss
            }
            lineSearch.takePoint(into: &newX, gradient: &newG)

            // The curvature pair of this step; skipped when sᵀy is not safely positive
            // (possible only when the line search ended on sufficient decrease alone).
            VectorMath.difference(newX, x, into: &spareS)
            VectorMath.difference(newG, g, into: &spareY)
            let sy = VectorMath.dot(spareS, spareY)
            let yy = VectorMath.dot(spareY, spareY)
            if sy > 1e-10 * yy && yy > 0 {
                if pairsS.count < memory {
                    pairsS.append(spareS); pairsY.append(spareY); pairsRho.append(1 / sy)
                } else {
                    swap(&pairsS[oldest], &spareS)
                    swap(&pairsY[oldest], &spareY)
                    pairsRho[oldest] = 1 / sy
                    oldest = (oldest + 1) % memory
                }
            }
            swap(&x, &newX)
            swap(&g, &newG)
            f = newLoss
            if let reason = monitor.endIteration(iteration, loss: f, gradient: g) {
                return OptimizerOutcome(values: x, loss: f, stopReason: reason, iterations: iteration)
            }
        }
    }
}
