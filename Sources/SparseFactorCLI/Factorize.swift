import ArgumentParser
import Foundation
import SparseFactor

extension FitAlgorithm: ExpressibleByArgument {}
extension FitInitialization: ExpressibleByArgument {}
extension FactorSparsity: ExpressibleByArgument {}
extension FitPrecision: ExpressibleByArgument {}
extension ProbeDistribution: ExpressibleByArgument {}

struct Factorize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Learn sparse Chord factors W1⋯WM ≈ A of a square matrix and compare them with a truncated SVD of the same budget.",
        discussion: """
            FILE is read by its extension (.npy, .png, .mtx, .csv, .txt/.edges, .off, .ply, optionally .gz) \
            and turned into a square matrix by --transform (default: none, the file's own matrix). \
            The factors minimize ½‖A − W1⋯WM‖²_F from the start --init chooses, and end no worse than it; the baseline is the truncated \
            SVD of rank --tsvd-rank. A progress line is drawn on a terminal (in a log: a plain line once a minute). With --json the last line of \
            standard output is one JSON object with the results.
            """)

    @Argument(help: "The matrix file.") var file: String
    @Option(help: "Transform into a square matrix: none, image, gradient, distance, similarity, adjacency, mesh-adjacency, mesh-laplacian, covariance, kernel (parameters after a colon, e.g. kernel:max-rows=1024).")
    var transform: String?
    @Option(help: "The file format when the extension does not tell it (png, npy, mtx, csv, edgelist, off, ply, knuth-miles, roget).")
    var format: String?
    @Option(help: "The optimizer: lbfgs (the default) or adam (the default with --matrix-free: fresh probes every step).")
    var optimizer: FitAlgorithm?
    @Option(parsing: .unconditional, help: "The most iterations.") var iterations: Int = 1000
    @Option(help: "The objective kernel's scalar type: float64 (the default) or float32 (float arithmetic, double optimizer; the final error is computed in float64; dense fits only).")
    var precision: FitPrecision = .float64
    @Option(parsing: .unconditional, help: "Seed of the initial noise (the same seed gives the same factors).") var seed: UInt64 = 0
    @Option(name: .customLong("init"), help: "The start: auto (the default: diagonal when ‖A − diag(A)‖_F / ‖A‖_F < 0.6, else paper, and a paper fit that ends no better than diag(A) alone is done again from the diagonal; the JSON's init_used says which), paper (each row of each factor sums to 1), diagonal (W1 = diag(A), the others the identity; needs the self-link) or gaussian (every link N(0, 1/k), k the links its row may use; mixed signs).")
    var initialization: FitInitialization = .automatic
    @Option(parsing: .unconditional, help: "Scale of the seeded noise added to the start (default 0.01, the paper's; 0 for none; auto's diagonal start takes none).")
    var initNoise: Double?
    @Option(help: "Which links each factor may use: pattern (all of the pattern's, the default) or butterfly (factor m only i, i ± 2^(m−1): one butterfly level each, as in Dao et al. 2019; with --symmetric for transforms such as Walsh–Hadamard).")
    var sparsity: FactorSparsity = .pattern
    @Option(help: "Write the learned factors to this path (SFCHAIN1 format), replacing a file only once the new one is complete.")
    var save: String?
    @Option(help: "Write the matrix being factorized (after --transform) to this .npy path (float64, written atomically), for other tools to run on the same matrix.")
    var exportMatrix: String?
    @Option(parsing: .unconditional, help: "Stop after this many seconds.") var timeLimit: Double?
    @Option(parsing: .unconditional, help: "Stop after the process has used this many CPU seconds (all threads): a cap that other work on the machine does not shrink.")
    var cpuLimit: Double?
    @Option(parsing: .unconditional, help: "Adam's learning rate (default 0.01).") var lr: Double?
    @Option(parsing: .unconditional, help: "Stop when the largest gradient entry falls below this fraction of the initial one (default 1e-9).")
    var gradientTolerance: Double?
    @Option(parsing: .unconditional, help: "Stop when the loss improves by less than this fraction over the improvement window (default 1e-10).") var improvementTolerance: Double?
    @Option(parsing: .unconditional, help: "Iterations the improvement test looks back over (default 1 for lbfgs, 50 for adam).") var improvementWindow: Int?
    @Option(help: "Truncated SVD rank: paper (⌈M²/2⌉), matched (⌊non-zeros / 2N⌋, at most the factors' parameters) or a number.")
    var tsvdRank: String = "paper"
    @Option(parsing: .unconditional, help: "Threads of the kernels (default: the OpenMP default, OMP_NUM_THREADS). Results do not depend on it.")
    var threads: Int?
    @OptionGroup(title: "The factors' pattern") var pattern: TopologyOptions
    @OptionGroup(title: "Matrix-free fitting (--matrix-free)") var probing: MatrixFreeCLIOptions
    @Flag(help: "Print one JSON object as the last line.") var json = false

    func validate() throws {
        guard !file.isEmpty else { throw ValidationError("FILE is an empty path") }
        guard iterations >= 0 else { throw ValidationError("--iterations must be at least 0, got \(iterations)") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        if let t = timeLimit, !(t >= 0) { throw ValidationError("--time-limit must be at least 0 seconds, got \(t)") }
        if let t = cpuLimit, !(t >= 0) { throw ValidationError("--cpu-limit must be at least 0 seconds, got \(t)") }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number, got \(lr)") }
        if let w = improvementWindow, w < 1 { throw ValidationError("--improvement-window must be at least 1, got \(w)") }
        if let initNoise, !(initNoise >= 0 && initNoise.isFinite) { throw ValidationError("--init-noise must be a finite number ≥ 0, got \(initNoise)") }
        if lr != nil && chosenOptimizer != .adam { throw ValidationError("--lr applies to --optimizer adam only") }
        _ = try parsedRank()
        try probing.validate()
        if probing.matrixFree {
            if exportMatrix != nil { throw ValidationError("--export-matrix writes the dense matrix, which --matrix-free never forms") }
            if precision != .float64 { throw ValidationError("--precision float32 applies to dense fits; the matrix-free objective is float64 only") }
        }
    }

    func run() throws {
        if probing.matrixFree { return try runMatrixFree() }
        try runReportingErrors(json: json) {
            let saveURL = try save.map(checkedSaveTarget)
            let exportURL = try exportMatrix.map(checkedExportTarget)
            let input = URL(fileURLWithPath: file)
            let matrixTransform = try transform.map(MatrixTransform.init(name:)) ?? .identity
            let fileFormat = try format.map(MatrixFileFormat.init(name:))
            if let threads { Parallelism.threads = threads }
            // Under mpirun every rank reads the matrix and fits it, splitting the objective's work; rank 0 writes.
            let group = try Processes.group()
            let a = try MatrixReader.read(url: input, format: fileFormat, transform: matrixTransform)
            // Written before the fit, so a fit stopped early still leaves the matrix for other tools.
            if let exportURL, Processes.isLeader { try NpyWriter.write(a, to: exportURL) }
            try a.checkFactorizable()   // before the pattern, so a bad matrix is named as such
            let topology = try pattern.topology(size: a.rows)

            let options = fitOptions(topology: topology)

            let reporter = ProgressReporter(total: iterations, label: "fit")
            let fit = try fitFactors(a, options: options, group: group) { p in
                reporter.update(step: p.iteration, fields: ["loss": p.loss, "rel.error": p.relativeError])
            }
            reporter.finish()
            guard Processes.isLeader else { return }   // the same factors on every rank; the baseline and the outputs are rank 0's

            let n = a.rows
            let m = fit.chain.factorCount
            let nonzeros = fit.parameterCount
            let rule = try parsedRank()
            let svdStart = Date()
            let tsvd = try truncatedSVD(a, rank: rule.rank(size: n, factorCount: m, nonzeros: nonzeros))
            let svdSeconds = Date().timeIntervalSince(svdStart)
            if let saveURL { try FactorFile.save(fit.chain, to: saveURL) }

            if json {
                let withinOnePercent = fit.firstEntry(within: 0.01)
                var object = fitReport(fit, transform: matrixTransform, options: options, processes: group?.size ?? 1)
                object.merge([
                    "n": n,
                    "tsvd_rank": tsvd.rank, "tsvd_rank_rule": rule.name, "tsvd_error": tsvd.absoluteError,
                    "tsvd_relative_error": tsvd.relativeError, "tsvd_params": tsvd.parameterCount, "tsvd_seconds": svdSeconds,
                    "precision": precision.rawValue,
                    "seconds_to_1_percent": withinOnePercent?.seconds ?? NSNull(),
                    "cpu_seconds_to_1_percent": withinOnePercent?.cpuSeconds ?? NSNull(),
                    "iterations_to_1_percent": withinOnePercent?.iteration ?? NSNull(),
                ]) { _, new in new }
                if let exportMatrix { object["exported_matrix"] = exportMatrix }
                printJSONLine(object)
            } else {
                print("\(file) (\(matrixTransform)): N = \(n), M = \(m) factors × K = \(fit.chain.topology.linksPerRow) links, \(nonzeros) non-zeros")
                print("pattern: \(pattern.summary(fit.chain.topology))" + ((group?.size ?? 1) > 1 ? "; \(group?.size ?? 1) processes" : ""))
                print(String(format: "sparse factors: relative error %.6g (absolute %.6g), %d %@ iterations in %.2f s (%@ objective), stopped by %@",
                             fit.relativeError, fit.absoluteError, fit.iterations, fit.optimizer.rawValue, fit.seconds,
                             precision.rawValue, fit.stopReason.rawValue))
                if let rejected = fit.rejectedAttempt {
                    print(String(format: "(the %@ start first ended at %.6g, no better than diag(A) alone at %.6g, in %d iterations and %.2f s: fitted again from the diagonal)",
                                 rejected.initialization.rawValue, rejected.relativeError, rejected.diagonalError, rejected.iterations, rejected.seconds))
                }
                print(String(format: "truncated SVD:  relative error %.6g (absolute %.6g) at rank %d (%d parameters, rule %@)",
                             tsvd.relativeError, tsvd.absoluteError, tsvd.rank, tsvd.parameterCount, rule.name))
                if let save { print("saved the factors to \(save)") }
                if let exportMatrix { print("wrote the matrix to \(exportMatrix)") }
            }
        }
    }

    /// What both fits (dense and matrix-free) report in their JSON, alike: the fit, its stop, its start and
    /// pattern, the run's threads and processes, and `saved` when the factors were written.
    func fitReport(_ fit: FitResult, transform: MatrixTransform, options: FitOptions, processes: Int) -> [String: Any] {
        var object: [String: Any] = [
            "file": file, "transform": transform.name,
            "factors": fit.chain.factorCount, "links": fit.chain.topology.linksPerRow, "nonzeros": fit.parameterCount,
            "sf_error": fit.absoluteError, "sf_relative_error": fit.relativeError, "sf_params": fit.parameterCount,
            "iterations": fit.iterations, "evaluations": fit.evaluations, "seconds": fit.seconds,
            "cpu_seconds": fit.history.last?.cpuSeconds ?? NSNull(), "cpu_limit": cpuLimit.map { $0 as Any } ?? NSNull(),
            "stop_reason": fit.stopReason.rawValue, "optimizer": fit.optimizer.rawValue, "seed": NSNumber(value: seed),
            "init": initialization.rawValue, "init_used": fit.initialization?.rawValue ?? NSNull(),
            "init_noise": fit.initialNoise ?? NSNull(), "sparsity": sparsity.rawValue,
            "start_relative_error": fit.history[0].relativeError,
            "matrix_norm": fit.targetNorm, "threads": Parallelism.effectiveThreads, "processes": processes,
            "topology": pattern.report(fit.chain.topology, factors: fit.chain.factorCount),
        ]
        if let save { object["saved"] = save }
        if let rejected = fit.rejectedAttempt {
            object["init_rejected"] = ["init": rejected.initialization.rawValue, "relative_error": rejected.relativeError,
                                       "diagonal_relative_error": rejected.diagonalError, "iterations": rejected.iterations,
                                       "evaluations": rejected.evaluations, "seconds": rejected.seconds,
                                       "stop_reason": rejected.stopReason.rawValue]
        }
        return object
    }

    /// --optimizer, or its default: L-BFGS for a dense fit; Adam with fresh probes for a matrix-free one,
    /// because L-BFGS's fixed probes overfit unless p is well above M·K, the values per row.
    var chosenOptimizer: FitAlgorithm { optimizer ?? (probing.matrixFree ? .adam : .lbfgs) }

    /// The fit's options from the command line (shared by the dense and the matrix-free path).
    func fitOptions(topology: ChordTopology) -> FitOptions {
        var options = FitOptions()
        options.optimizer = chosenOptimizer
        options.maxIterations = iterations
        options.seed = seed
        options.topology = topology
        options.factorCount = pattern.factors
        options.initialization = initialization
        options.sparsity = sparsity
        if let initNoise { options.initialNoise = initNoise }
        options.timeLimit = timeLimit
        options.cpuTimeLimit = cpuLimit
        if let lr { options.learningRate = lr }
        if let gradientTolerance { options.gradientTolerance = gradientTolerance }
        if let improvementTolerance { options.relativeImprovementTolerance = improvementTolerance }
        options.improvementWindow = improvementWindow
        options.precision = precision
        return options
    }

    private func parsedRank() throws -> TruncatedSVDRank {
        switch tsvdRank.lowercased() {
        case "paper": return .paper
        case "matched", "match": return .matchedParameters
        default:
            guard let r = Int(tsvdRank), r >= 0 else {
                throw ValidationError("--tsvd-rank must be paper, matched or a rank ≥ 0, got \"\(tsvdRank)\"")
            }
            return .fixed(r)
        }
    }
}

/// The URL of an `--export-matrix` target: a `.npy` path in an existing directory, checked before any work.
func checkedExportTarget(_ path: String) throws -> URL {
    guard path.lowercased().hasSuffix(".npy") else {
        throw SparseFactorError.invalidArgument("--export-matrix writes a NumPy file: give a path ending in .npy, got \(path)")
    }
    return try checkedSaveTarget(path)
}

/// The URL of an output (`--save`, `--output`, `--checkpoint`), refused before any work when
/// `AtomicFile` would refuse it (a missing directory, a special file), so a long fit is not lost at the end.
func checkedSaveTarget(_ path: String) throws -> URL {
    let url = URL(fileURLWithPath: path)
    try AtomicFile.checkWritable(url)
    return url
}
