import SparseFactorCore
import Foundation

/// Adam (Kingma & Ba 2015) on the factor values, full-batch: one objective evaluation per
/// iteration. Adam's loss is not monotone, so the run returns the best values it evaluated.
struct AdamOptimizer {
    let options: FitOptions

    func minimize(from initial: [Double], monitor: inout FitMonitor) throws -> OptimizerOutcome {
        let n = initial.count
        var x = initial
        var g = [Double](repeating: 0, count: n)
        var f = try monitor.evaluate(x, gradient: &g)
        if let reason = monitor.begin(loss: f, gradient: g) { return OptimizerOutcome(values: x, loss: f, stopReason: reason, iterations: 0) }
        var best = x
        var bestLoss = f
        var firstMoment = [Double](repeating: 0, count: n)
        var secondMoment = [Double](repeating: 0, count: n)
        let (lr, beta1, beta2, eps) = (options.learningRate, options.beta1, options.beta2, options.epsilon)

        var iteration = 0
        while true {
            iteration += 1
            let correction1 = 1 - pow(beta1, Double(iteration))
            let correction2 = 1 - pow(beta2, Double(iteration))
            x.withUnsafeMutableBufferPointer { xp in
                g.withUnsafeBufferPointer { gp in
                    firstMoment.withUnsafeMutableBufferPointer { mp in
                        secondMoment.withUnsafeMutableBufferPointer { vp in
                            for i in 0..<n {
                                mp[i] = beta1 * mp[i] + (1 - beta1) * gp[i]
                                vp[i] = beta2 * vp[i] + (1 - beta2) * gp[i] * gp[i]
                                xp[i] -= lr * (mp[i] / correction1) / ((vp[i] / correction2).squareRoot() + eps)
                            }
                        }
                    }
                }
            }
            f = try monitor.evaluate(x, gradient: &g)
            guard f.isFinite else {
                return OptimizerOutcome(values: best, loss: bestLoss, stopReason: .diverged, iterations: iteration)
            }
            if f < bestLoss {
                bestLoss = f
                best.withUnsafeMutableBufferPointer { b in x.withUnsafeBufferPointer { xp in _ = b.update(fromContentsOf: xp) } }
            }
            if let reason = monitor.endIteration(iteration, loss: f, gradient: g) {
                return OptimizerOutcome(values: best, loss: bestLoss, stopReason: reason, iterations: iteration)
            }
        }
    }
}
