import SparseFactorCore
/// A line search along a descent direction that returns a step satisfying the strong Wolfe
/// conditions (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithms 3.5 and 3.6):
///
///     f(x + αd) ≤ f(x) + c1·α·∇f(x)ᵀd            (sufficient decrease)
///     |∇f(x + αd)ᵀd| ≤ c2·|∇f(x)ᵀd|              (curvature)
///
/// The bracketing phase doubles the step until it brackets an acceptable one; the zoom phase
/// shrinks the bracket with safeguarded cubic interpolation (bisection when the cubic is
/// unusable or lands within 10% of an end). It owns its trial buffers so a fit allocates them once.
struct StrongWolfeLineSearch {
    enum Outcome {
        /// Both conditions hold at `alpha`; the point and its gradient are in `point` / `pointGradient`.
        case wolfe(alpha: Double, loss: Double)
        /// The evaluation budget ran out, but `alpha` (in `point`) lowers the loss sufficiently.
        case sufficientDecreaseOnly(alpha: Double, loss: Double)
        /// No step lowered the loss sufficiently.
        case failure
    }

    private struct Sample {
        var alpha: Double
        var loss: Double
        var slope: Double
    }

    let c1: Double
    let c2: Double
    let maxEvaluations: Int
    /// The accepted point and its gradient after a successful search.
    private(set) var point: [Double]
    private(set) var pointGradient: [Double]
    private var trial: [Double]
    private var trialGradient: [Double]

    init(c1: Double, c2: Double, maxEvaluations: Int, dimension: Int) {
        self.c1 = c1
        self.c2 = c2
        self.maxEvaluations = maxEvaluations
        point = [Double](repeating: 0, count: dimension)
        pointGradient = point
        trial = point
        trialGradient = point
    }

    /// Hands the accepted point's buffers to the caller in exchange for old ones (no copy).
    mutating func takePoint(into x: inout [Double], gradient g: inout [Double]) {
        swap(&x, &point)
        swap(&g, &pointGradient)
    }

    /// Searches from `x` (loss `f0`) along `d` with slope `slope0 = ∇f(x)ᵀd < 0`.
    mutating func search(from x: [Double], loss f0: Double, direction d: [Double], slope slope0: Double,
                         initialStep: Double, maxStep: Double = 1e20,
                         evaluate: (_ x: [Double], _ gradient: inout [Double]) throws -> Double) throws -> Outcome {
        guard slope0 < 0, initialStep > 0 else { return .failure }
        var evaluations = 0
        var accepted: Sample? = nil     // the lowest point with sufficient decrease so far

        func sample(_ alpha: Double) throws -> Sample {
            VectorMath.step(from: x, along: d, by: alpha, into: &trial)
            let f = try evaluate(trial, &trialGradient)
            evaluations += 1
            return Sample(alpha: alpha, loss: f, slope: VectorMath.dot(trialGradient, d))
        }
        func decreasesEnough(_ s: Sample) -> Bool { s.loss.isFinite && s.loss <= f0 + c1 * s.alpha * slope0 }
        func curvatureHolds(_ s: Sample) -> Bool { abs(s.slope) <= -c2 * slope0 }
        /// Keeps the trial as the best sufficiently-decreasing point (a copy; the vectors are short).
        func accept(_ s: Sample) {
            accepted = s
            point.withUnsafeMutableBufferPointer { p in trial.withUnsafeBufferPointer { t in _ = p.update(fromContentsOf: t) } }
            pointGradient.withUnsafeMutableBufferPointer { p in trialGradient.withUnsafeBufferPointer { t in _ = p.update(fromContentsOf: t) } }
        }
        func fallback() -> Outcome {
            if let a = accepted, a.loss < f0 { return .sufficientDecreaseOnly(alpha: a.alpha, loss: a.loss) }
            return .failure
        }

        /// Algorithm 3.6: `lo` decreases sufficiently and has the lowest loss of the bracket's ends,
        /// and the slope at `lo` points towards `hi`.
        func zoom(lo start: Sample, hi end: Sample) throws -> Outcome {
            var lo = start, hi = end
            while evaluations < maxEvaluations {
                let width = abs(hi.alpha - lo.alpha)
                if width <= 1e-14 * max(lo.alpha, hi.alpha) { break }   // the bracket has collapsed
                let s = try sample(Self.interpolate(lo: lo, hi: hi))
                if !decreasesEnough(s) || s.loss >= lo.loss {
                    hi = s
                } else {
                    accept(s)
                    if curvatureHolds(s) { return .wolfe(alpha: s.alpha, loss: s.loss) }
                    if s.slope * (hi.alpha - lo.alpha) >= 0 { hi = lo }
                    lo = s
                }
            }
            return fallback()
        }

        // Algorithm 3.5: grow the step until the interval (previous, current) brackets a Wolfe step.
        var previous = Sample(alpha: 0, loss: f0, slope: slope0)
        var alpha = min(initialStep, maxStep)
        var first = true
        while evaluations < maxEvaluations {
            let s = try sample(alpha)
            if !decreasesEnough(s) || (!first && s.loss >= previous.loss) {
                return try zoom(lo: previous, hi: s)
            }
            accept(s)
            if curvatureHolds(s) { return .wolfe(alpha: s.alpha, loss: s.loss) }
            if s.slope >= 0 { return try zoom(lo: s, hi: previous) }
            previous = s
            first = false
            guard alpha < maxStep else { break }
            alpha = min(2 * alpha, maxStep)
        }
        return fallback()
    }

    /// The minimizer of the cubic through both ends' losses and slopes, kept at least 10% of
    /// the bracket away from its ends; the midpoint when that fails (or an end is not finite).
    private static func interpolate(lo: Sample, hi: Sample) -> Double {
        let a = lo.alpha, b = hi.alpha
        let lower = min(a, b), upper = max(a, b), width = upper - lower
        let midpoint = lower + 0.5 * width
        guard lo.loss.isFinite, hi.loss.isFinite, lo.slope.isFinite, hi.slope.isFinite else { return midpoint }
        let d1 = lo.slope + hi.slope - 3 * (lo.loss - hi.loss) / (a - b)
        let discriminant = d1 * d1 - lo.slope * hi.slope
        guard discriminant >= 0 else { return midpoint }
        let d2 = (b > a ? 1.0 : -1.0) * discriminant.squareRoot()
        let t = b - (b - a) * (hi.slope + d2 - d1) / (hi.slope - lo.slope + 2 * d2)
        guard t.isFinite, t >= lower + 0.1 * width, t <= upper - 0.1 * width else { return midpoint }
        return t
    }
}
