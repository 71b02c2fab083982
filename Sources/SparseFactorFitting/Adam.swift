import SparseFactorCore
import Foundation
internal import CSparseFactorKernels

/// Adam (Kingma & Ba 2015) on the factor values, full-batch: one objective evaluation per
/// iteration. Adam's loss is not monotone, so the run returns the best values it evaluated.
struct AdamOptimizer {
    let options: FitOptions

    func minimize(from initial: [Double], monitor: inout FitMonitor) throws -> OptimizerOutcome {
        let n = initial.count
        let start = try monitor.start(at: initial)
        if let finished = start.finished { return finished }
        var x = initial, g = start.gradient, f = start.loss
        var best = x
        var bestLoss = f
        var firstMoment = [Double](repeating: 0, count: n)
        var secondMoment = [Double](repeating: 0, count: n)
        let (lr, beta1, beta2, eps) = (options.learningRate, options.beta1, options.beta2, options.epsilon)

        var iteration = 0
        while true {
            iteration += 1
            // The same update as the NN optimizers' Adam, in double (sf_adam_update_f64).
            let status = x.withUnsafeMutableBufferPointer { xp in
                g.withUnsafeBufferPointer { gp in
                    firstMoment.withUnsafeMutableBufferPointer { mp in
                        secondMoment.withUnsafeMutableBufferPointer { vp in
                            sf_adam_update_f64(xp.baseAddress, mp.baseAddress, vp.baseAddress, gp.baseAddress, Int64(n),
                                               lr, beta1, beta2, eps, 0, 0, Int64(iteration))
                        }
                    }
                }
            }
            try checkKernel(status, "Adam update")
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
