import SparseFactorCore
/// The bookkeeping both optimizers share: the clock, the evaluation counter, the history,
/// the progress callback and the stopping tests.
struct FitMonitor {
    let objective: any FitObjective
    let options: FitOptions
    let progress: ((FitProgress) -> Void)?
    /// The factor from the objective's loss (of the normalized matrix) to the reported one.
    let lossScale: Double
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let cpuStart = processCPUSeconds()
    private(set) var history: [FitHistoryEntry] = []
    /// The lowest loss seen up to each iteration (index = iteration), for the improvement test.
    private var bestLoss: [Double] = []
    private var initialGradientMax = 0.0
    var evaluations = 0

    init(objective: any FitObjective, options: FitOptions, lossScale: Double = 1, progress: ((FitProgress) -> Void)?) {
        self.objective = objective
        self.options = options
        self.lossScale = lossScale
        self.progress = progress
        self.start = clock.now
    }

    var seconds: Double {
        let d = clock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Loss and gradient at `values`, counted.
    mutating func evaluate(_ values: [Double], gradient: inout [Double]) throws -> Double {
        evaluations += 1
        return try objective.evaluate(values, gradient: &gradient)
    }

    /// Evaluates and records the starting point; `finished` is the outcome when the run ends there.
    mutating func start(at initial: [Double]) throws -> (gradient: [Double], loss: Double, finished: OptimizerOutcome?) {
        var gradient = [Double](repeating: 0, count: initial.count)
        let loss = try evaluate(initial, gradient: &gradient)
        let finished = begin(loss: loss, gradient: gradient).map { OptimizerOutcome(values: initial, loss: loss, stopReason: $0, iterations: 0) }
        return (gradient, loss, finished)
    }

    /// Records the initialization (iteration 0); returns a stop reason when there is nothing
    /// to do (no iterations allowed, or a zero gradient already).
    mutating func begin(loss: Double, gradient: [Double]) -> FitStopReason? {
        initialGradientMax = VectorMath.maxAbs(gradient)
        record(iteration: 0, loss: loss)
        if initialGradientMax == 0 { return .gradientTolerance }
        if options.maxIterations == 0 { return .maxIterations }
        return timeLimitReached()
    }

    /// The clock the time limit reads: the one every process of a group fit agrees on, else this process's.
    private var limitSeconds: Double { objective.agreedSeconds ?? seconds }
    /// The CPU seconds the CPU limit reads: the most any process of a group fit used, else this process's.
    private var limitCPUSeconds: Double { objective.agreedCPUSeconds ?? (processCPUSeconds() - cpuStart) }

    private func timeLimitReached() -> FitStopReason? {
        if let limit = options.timeLimit, limitSeconds >= limit { return .timeLimit }
        if let limit = options.cpuTimeLimit, limitCPUSeconds >= limit { return .cpuTimeLimit }
        return nil
    }

    /// Records an iteration and returns why the run should stop now, if it should.
    /// Tests, in order: gradient, improvement, iteration count, time.
    mutating func endIteration(_ iteration: Int, loss: Double, gradient: [Double]) -> FitStopReason? {
        record(iteration: iteration, loss: loss)
        // With a tolerance of 0 this still stops on an exactly zero gradient, where no optimizer can move.
        if VectorMath.maxAbs(gradient) <= options.gradientTolerance * initialGradientMax { return .gradientTolerance }
        let window = options.effectiveImprovementWindow
        if options.relativeImprovementTolerance > 0, iteration >= window {
            let old = bestLoss[iteration - window], now = bestLoss[iteration]
            if old - now <= options.relativeImprovementTolerance * max(abs(old), .leastNormalMagnitude) { return .relativeImprovement }
        }
        if iteration >= options.maxIterations { return .maxIterations }
        return timeLimitReached()
    }

    private mutating func record(iteration: Int, loss: Double) {
        let entry = FitHistoryEntry(iteration: iteration, loss: loss * lossScale, relativeError: objective.relativeError(loss: loss),
                                    seconds: seconds, cpuSeconds: processCPUSeconds() - cpuStart)
        history.append(entry)
        // Written out so a NaN loss never becomes the best one.
        let previousBest = bestLoss.last ?? loss
        bestLoss.append(loss < previousBest ? loss : previousBest)
        progress?(FitProgress(iteration: iteration, maxIterations: options.maxIterations, loss: entry.loss,
                              relativeError: entry.relativeError, seconds: entry.seconds))
    }
}
