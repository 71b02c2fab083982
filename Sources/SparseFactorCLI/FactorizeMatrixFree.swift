import ArgumentParser
import Foundation
import SparseFactor

/// `factorize --matrix-free`: the options of ``MatrixFreeOptions`` on the command line.
struct MatrixFreeCLIOptions: ParsableArguments {
    @Flag(help: "Fit the matrix through its products only (sparse for .mtx, edge lists and meshes), never forming an N×N array; the error is exact for N ≤ --exact-error-limit, else estimated with a 95% interval. No truncated SVD.")
    var matrixFree = false
    @Option(parsing: .unconditional, help: "p, probe vectors per evaluation (default 64): fixed for lbfgs, fresh every step for adam.")
    var probes: Int?
    @Option(parsing: .unconditional, help: "Held-out probe vectors for the final error's confidence interval (default 64, at least 2).")
    var heldOutProbes: Int?
    @Option(help: "The probes' entries: rademacher (±1, default) or gaussian.")
    var probeDistribution: ProbeDistribution?
    @Option(parsing: .unconditional, help: "Compute the final error exactly (N/32 blocks of unit vectors) up to this N (default 4096; 0: always estimate).")
    var exactErrorLimit: Int?

    func validate() throws {
        let given = probes != nil || heldOutProbes != nil || probeDistribution != nil || exactErrorLimit != nil
        if given && !matrixFree { throw ValidationError("--probes, --held-out-probes, --probe-distribution and --exact-error-limit apply to --matrix-free only") }
        if let p = probes, p < 1 { throw ValidationError("--probes must be at least 1, got \(p)") }
        if let q = heldOutProbes, q < 2 { throw ValidationError("--held-out-probes must be at least 2, got \(q)") }
        if let l = exactErrorLimit, l < 0 { throw ValidationError("--exact-error-limit must be at least 0, got \(l)") }
    }

    var options: MatrixFreeOptions {
        var o = MatrixFreeOptions()
        if let probes { o.probes = probes }
        if let heldOutProbes { o.heldOutProbes = heldOutProbes }
        if let probeDistribution { o.distribution = probeDistribution }
        if let exactErrorLimit { o.exactErrorLimit = exactErrorLimit }
        return o
    }
}

extension Factorize {
    /// The matrix-free path: read the operator sparse, fit it through products, report the error's kind and interval.
    func runMatrixFree() throws {
        try runReportingErrors(json: json) {
            // Under mpirun every rank reads the operator; the probe blocks of each evaluation are split; rank 0 writes.
            let group = try Processes.group()
            let saveURL = try save.map(checkedSaveTarget)
            let input = URL(fileURLWithPath: file)
            let matrixTransform = try transform.map(MatrixTransform.init(name:)) ?? .identity
            let fileFormat = try format.map(MatrixFileFormat.init(name:))
            if let threads { Parallelism.threads = threads }
            let readStart = Date()
            let a = try MatrixReader.readOperator(url: input, format: fileFormat, transform: matrixTransform)
            let readSeconds = Date().timeIntervalSince(readStart)
            let topology = try pattern.topology(size: a.size)
            let options = fitOptions(topology: topology)
            let probing = probing.options

            let reporter = ProgressReporter(total: iterations, label: "fit")
            let result = try fitFactors(operator: a, options: options, matrixFree: probing,
                                        group: group) { p in
                reporter.update(step: p.iteration, fields: ["loss": p.loss, "rel.error~": p.relativeError])
            }
            reporter.finish()
            guard Processes.isLeader else { return }
            let fit = result.fit, error = result.error
            if let saveURL { try FactorFile.save(fit.chain, to: saveURL) }

            if json {
                var object = fitReport(fit, transform: matrixTransform, options: options, processes: group?.size ?? 1)
                object.merge([
                    "matrix_free": true, "n": a.size, "operator_nonzeros": a.nonzeros, "read_seconds": readSeconds,
                    "error_estimate": [
                        "kind": error.kind.rawValue, "relative_error": error.relativeError, "lower": error.lower, "upper": error.upper,
                        "confidence": error.confidence, "probes": error.probes, "norm_is_exact": error.normIsExact,
                    ] as [String: Any],
                    "probes": probing.probes, "held_out_probes": probing.heldOutProbes,
                    "probe_distribution": probing.distribution.rawValue, "probes_fresh_each_step": options.optimizer == .adam,
                    "operator_columns": result.operatorColumns,
                    "tsvd": "skipped (matrix-free: the truncated SVD needs the dense matrix)",
                ]) { _, new in new }
                printJSONLine(object)
            } else {
                print("\(file) (\(matrixTransform), matrix-free): N = \(a.size), \(a.nonzeros) non-zeros; M = \(fit.chain.factorCount) factors × K = \(fit.chain.topology.linksPerRow) links, \(fit.parameterCount) values")
                print("pattern: \(pattern.summary(fit.chain.topology))")
                print(String(format: "sparse factors: %d %@ iterations (%d probes%@) in %.2f s, stopped by %@",
                             fit.iterations, fit.optimizer.rawValue, probing.probes, options.optimizer == .adam ? ", fresh each step" : ", fixed",
                             fit.seconds, fit.stopReason.rawValue))
                switch error.kind {
                case .exact:
                    print(String(format: "relative error %.6g (exact, from all %d unit vectors)", error.relativeError, a.size))
                case .estimated:
                    print(String(format: "relative error %.6g, 95%% interval [%.6g, %.6g] (estimated from %d held-out probes%@)",
                                 error.relativeError, error.lower, error.upper, error.probes, error.normIsExact ? "" : "; ‖A‖_F estimated too"))
                }
                print("truncated SVD: skipped (it needs the dense matrix)")
                if let save { print("saved the factors to \(save)") }
            }
        }
    }
}
