import ArgumentParser
import Foundation
import SparseFactor

enum HeadKind: String, ExpressibleByArgument, CaseIterable { case linear, mlp }
enum RecomputeMode: String, ExpressibleByArgument, CaseIterable { case auto, on, off }
extension SyntheticTask: ExpressibleByArgument {}
extension SequenceTask: ExpressibleByArgument {}
extension LearningRateSchedule: ExpressibleByArgument {}
extension SequencePooling: ExpressibleByArgument {}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train PSF-Attn or a baseline (--model) on a synthetic task (adding, order) or an LRA-style one (listops, pathfinder, image, text, retrieval).",
        discussion: """
            --model psf (the default) is the paper's synthetic-task setup: embedding 32, f/g MLPs [32, GELU], \
            C = 8 channels, M = ⌈log2 N⌉ Chord factors, residuals, flatten pooling, linear head. The baselines \
            (paramixer, transformer, chordmixer) have their own defaults; every model shares the data, the \
            training settings (Adam lr 1e-3, batch 40, 20 epochs, 200,000 / 5,000 / 5,000 sequences), \
            checkpoints and reports. Data is generated from --seed (adding, order, listops, pathfinder), or \
            read from --train-data/--val-data/--test-data (listops and text: TSV; retrieval: LRA's pair TSV; pathfinder and image: \
            labelled-image .npy; make them with `sparsefactor data`); then the sizes are the files'. \
            Accuracies are fractions in [0, 1]; Adding counts |prediction − target| < 0.04 as correct.
            """)

    @Option(help: "The task: adding, order, listops, pathfinder, image, text or retrieval (--length: each document's).") var task: SequenceTask
    @Option(parsing: .unconditional, help: "Sequence length N (≥ 2).") var length: Int
    @Option(name: .customLong("train-size"), parsing: .unconditional, help: "Training sequences.") var trainSize = 200_000
    @Option(name: .customLong("val-size"), parsing: .unconditional, help: "Validation sequences (0: none).") var validationSize = 5_000
    @Option(name: .customLong("test-size"), parsing: .unconditional, help: "Test sequences (0: none).") var testSize = 5_000
    @Option(name: .customLong("train-data"), help: "Training data file (instead of generated data).") var trainData: String?
    @Option(name: .customLong("val-data"), help: "Validation data file.") var validationData: String?
    @Option(name: .customLong("test-data"), help: "Test data file.") var testData: String?
    @Flag(help: "Cut sequences longer than --length to it instead of refusing the file.") var truncate = false
    @Option(parsing: .unconditional, help: "Epochs.") var epochs = 20
    @Option(parsing: .unconditional, help: "Minibatch size (≥ 1).") var batch = 40
    @Option(parsing: .unconditional, help: "Adam learning rate.") var lr: Float = 1e-3
    @Option(help: "Learning-rate schedule: constant, or cosine (annealed to 0 over all planned steps).")
    var lrSchedule: LearningRateSchedule = .constant
    @Option(parsing: .unconditional, help: "Seed of the data, the initialization and the shuffling.") var seed: UInt64 = 1
    @Option(help: "Checkpoint file, written atomically when an epoch's steps end (before its evaluation) and after its evaluation.") var checkpoint: String?
    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: "Also checkpoint every this many steps.") var checkpointEvery: Int?
    @Option(name: .customLong("best-checkpoint"),
            help: "Also write the model of the best validation epoch here (highest validation accuracy; a checkpoint `evaluate` reads); the summary reports its epoch and scores as best_*.")
    var bestCheckpoint: String?
    @Flag(help: "Continue the run saved in --checkpoint.") var resume = false
    @Flag(help: "Start a new run even though --checkpoint names an existing file (it is replaced at the first checkpoint).")
    var overwrite = false
    @Option(parsing: .unconditional, help: "Stop when the validation loss has not improved for this many epochs.") var patience: Int?
    @Option(name: .customLong("target-accuracy"), parsing: .unconditional, help: "Stop after the epoch whose validation accuracy reaches this fraction.")
    var targetAccuracy: Double?
    @Option(name: .customLong("max-steps"), parsing: .unconditional, help: "Stop after this many steps in this session (benchmarks).") var maxSteps: Int?
    @Option(name: .customLong("cpu-budget"), parsing: .unconditional,
            help: "Stop once training has used this many process CPU seconds (all threads, all sessions of the run); the step that crosses it ends the epoch with its evaluation.")
    var cpuBudget: Double?
    @Option(name: .customLong("clip"), parsing: .unconditional, help: "Clip the global gradient norm to this value.") var clipNorm: Float?
    @Option(parsing: .unconditional, help: "Threads of the kernels (default: the OpenMP default).") var threads: Int?
    @Option(parsing: .unconditional, help: "Under mpirun: the pieces each batch is cut into and spread over the ranks (default 12; the same number for any rank count gives the same bits).")
    var gradientChunks: Int = 12
    @Flag(help: "JSON-lines logs per epoch; the last line is the run's summary.") var json = false

    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @Option(help: "Recompute the factor MLPs in backward to save memory: auto, on or off (psf, paramixer).")
    var recompute: RecomputeMode = .auto

    func validate() throws {
        guard length >= 2 else { throw ValidationError("--length must be at least 2, got \(length)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard trainSize >= 1 else { throw ValidationError("--train-size must be at least 1, got \(trainSize)") }
        guard validationSize >= 0, testSize >= 0 else { throw ValidationError("--val-size and --test-size must not be negative") }
        guard epochs >= 0 else { throw ValidationError("--epochs must not be negative, got \(epochs)") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        if let c = checkpointEvery, c < 1 { throw ValidationError("--checkpoint-every must be at least 1, got \(c)") }
        guard gradientChunks >= 1 else { throw ValidationError("--gradient-chunks must be at least 1, got \(gradientChunks)") }
        if let s = maxSteps, s < 0 { throw ValidationError("--max-steps must not be negative, got \(s)") }
        if let b = cpuBudget, !(b.isFinite && b > 0) { throw ValidationError("--cpu-budget must be a positive number of seconds, got \(b)") }
        if resume && checkpoint == nil { throw ValidationError("--resume needs --checkpoint PATH") }
        if resume && overwrite { throw ValidationError("--resume continues the checkpoint and --overwrite replaces it: give one of them") }
        if let best = bestCheckpoint, let checkpoint,
           URL(fileURLWithPath: best).standardizedFileURL == URL(fileURLWithPath: checkpoint).standardizedFileURL {
            throw ValidationError("--best-checkpoint must name another file than --checkpoint (both are \(best))")
        }
        // Refused before any data is made or read: without a validation set there is no best epoch.
        if bestCheckpoint != nil, trainData == nil ? validationSize == 0 : validationData == nil {
            throw ValidationError("--best-checkpoint needs a validation set (--val-size above 0, or --val-data), got none")
        }
        if trainData == nil && (validationData != nil || testData != nil || truncate) {
            throw ValidationError("--val-data, --test-data and --truncate go with --train-data")
        }
        if recompute != .auto, ![.psf, .paramixer].contains(modelOptions.model) {
            throw ValidationError("--recompute does not apply to --model \(modelOptions.model.rawValue)")
        }
    }

    func run() throws {
        try runReportingErrors(json: json) {
            // Under mpirun (any -np, 1 included) every rank trains the same model on its pieces of each batch;
            // MPI starts first, so that an error any rank meets from here on ends the whole job.
            let group = try Processes.group()
            if group?.rank ?? 0 == 0 { noteGenericBLAS() }
            if let threads { Parallelism.threads = threads }
            keepFreedMemoryInProcess()
            var options = TrainingOptions(task: task, length: length)
            options.trainSize = trainSize
            options.validationSize = validationSize
            options.testSize = testSize
            options.epochs = epochs
            options.batchSize = batch
            options.learningRate = lr
            options.learningRateSchedule = lrSchedule
            options.seed = seed
            options.earlyStoppingPatience = patience
            options.targetAccuracy = targetAccuracy
            options.gradientClipNorm = clipNorm
            options.cpuBudget = cpuBudget
            if let trainData {
                options.dataFiles = TrainingDataFiles(train: trainData, validation: validationData, test: testData, truncate: truncate)
            }
            try options.validate()

            // A resumed run continues the checkpoint's model unless model options are given (then they must match it).
            let config = resume && !modelOptions.anyGiven ? nil : try modelOptions.configuration(task: task, length: length)

            let url = try checkpoint.map(checkedSaveTarget)
            let bestURL = try bestCheckpoint.map(checkedSaveTarget)
            for target in [url, bestURL].compactMap({ $0 }) where !resume && !overwrite && FileManager.default.fileExists(atPath: target.path) {
                throw SparseFactorError.io("\(target.path) already exists (a checkpoint of another run?): give --resume to continue it or --overwrite to start anew")
            }
            let trainer: SequenceTrainer
            if resume, let url {
                guard FileManager.default.fileExists(atPath: url.path) else {
                    throw SparseFactorError.io("--resume: there is no checkpoint at \(url.path)")
                }
                let saved = try TrainingCheckpoint.read(from: url)
                trainer = try SequenceTrainer(resuming: saved, options: options, configuration: config, source: url.path)
                if let before = saved.progress.blasCores.last, before != Parallelism.blasCore, group?.rank ?? 0 == 0 {
                    let trainedOn = before == "unrecorded" ? "was written before runs recorded their OpenBLAS kernels"
                        : "was trained on OpenBLAS's \"\(before)\" kernels"
                    FileHandle.standardError.write(Data("""
                        sparsefactor: note: \(url.path) \(trainedOn) and continues on "\(Parallelism.blasCore)": \
                        from here its bits may differ from an uninterrupted run's (blas_cores in the summary lists both)

                        """.utf8))
                }
            } else {
                trainer = try SequenceTrainer(configuration: config ?? modelOptions.configuration(task: task, length: length), options: options)
            }
            if let psf = trainer.model as? PSFAttn {
                switch recompute {
                case .on: psf.recomputesFactorValues = true
                case .off: psf.recomputesFactorValues = false
                case .auto: break
                }
            }
            if bestURL != nil, trainer.validation.count == 0 {   // a --val-data file without sequences (the rest is refused in validate())
                throw SparseFactorError.invalidArgument("--best-checkpoint needs a validation set (--val-size above 0, or --val-data), got none")
            }
            trainer.checkpointURL = url
            trainer.bestCheckpointURL = bestURL
            trainer.checkpointInterval = checkpointEvery
            if let group {
                trainer.group = group
                trainer.gradientChunks = gradientChunks
            }
            try report(trainer)
        }
    }

    private func report(_ trainer: SequenceTrainer) throws {
        let opts = trainer.options
        if !json {
            let resumed = trainer.progress.globalStep > 0 ? " (resumed at epoch \(trainer.progress.epoch + 1), step \(trainer.progress.globalStep))" : ""
            let model = trainer.model.modelConfiguration
            print("\(model.kind.rawValue) \(opts.task.rawValue) N=\(opts.length): \(trainer.model.parameterCount) parameters, "
                  + "\(model.shapeSummary), "
                  + "\(opts.stepsPerEpoch) steps/epoch of batch \(opts.batchSize), threads \(Parallelism.effectiveThreads)"
                  + (trainer.group.map { ", \($0.size) processes × \(trainer.gradientChunks) pieces a batch" } ?? "") + resumed)
        }
        var progress: ProgressReporter?
        var progressEpoch = 0
        var window: (start: Double, steps: Int) = (0, 0)
        trainer.onStep = { r in   // on standard error, so --json's standard output stays one object per line
            if progressEpoch != r.epoch {
                progress?.finish()
                progress = ProgressReporter(total: r.stepsPerEpoch, label: "epoch \(r.epoch)/\(opts.epochs)")
                progressEpoch = r.epoch
                window = (0, 0)
            }
            window.start += r.stepSeconds
            window.steps += 1
            progress?.update(step: r.step, fields: ["loss": r.runningLoss, "acc": r.runningAccuracy,
                                                    "steps/s": Double(window.steps) / max(window.start, 1e-9)])
        }
        var evaluationProgress: (split: String, reporter: ProgressReporter)?
        trainer.onEvaluation = { r in
            if evaluationProgress?.split != r.split {
                progress?.finish()
                evaluationProgress?.reporter.finish()
                evaluationProgress = (r.split, ProgressReporter(total: r.batches, label: "evaluating \(r.split), batch"))
            }
            evaluationProgress?.reporter.update(step: r.batch)
        }
        trainer.onEpoch = { e in
            progress?.finish()
            progress = nil
            progressEpoch = 0
            evaluationProgress?.reporter.finish()
            evaluationProgress = nil
            if json {
                var line: [String: Any] = ["event": "epoch", "epoch": e.epoch, "epochs": e.epochs, "steps": e.steps,
                                           "train_loss": e.trainLoss, "train_accuracy": e.trainAccuracy,
                                           "train_seconds": e.trainSeconds, "eval_seconds": e.evaluationSeconds,
                                           "improved": e.improved, "stopped_early": e.stoppedEarly]
                if let v = e.validation { line["val_loss"] = v.loss; line["val_accuracy"] = v.accuracy }
                if let t = e.test { line["test_loss"] = t.loss; line["test_accuracy"] = t.accuracy }
                if e.validation != nil { line["best"] = e.isBest }
                printJSONLine(line)
            } else {
                var text = String(format: "epoch %d/%d  train loss %.5f acc %.4f", e.epoch, e.epochs, e.trainLoss, e.trainAccuracy)
                if let v = e.validation { text += String(format: "  val loss %.5f acc %.4f", v.loss, v.accuracy) }
                if let t = e.test { text += String(format: "  test loss %.5f acc %.4f", t.loss, t.accuracy) }
                if e.isBest { text += "  (best so far)" }
                text += String(format: "  (%.1f s training)", e.trainSeconds)
                if e.stoppedEarly { text += "  — stopping early (\(trainer.progress.stopReason?.rawValue ?? "rule"))" }
                print(text)
            }
            fflush(nil)   // all streams: epoch lines appear as they happen even in a pipe
        }
        let summary = try trainer.train(maxSteps: maxSteps)
        progress?.finish()
        let peakMB = peakMemoryMegabytes()
        if json {
            var line: [String: Any] = [
                "event": "summary", "task": summary.task.rawValue, "model": summary.model.rawValue, "length": summary.length, "params": summary.parameterCount,
                "epochs": summary.epochs, "steps": summary.steps, "train_seconds": summary.trainSeconds,
                "eval_seconds": summary.evaluationSeconds, "ms_per_step": summary.msPerStep,
                "cpu_ms_per_step": summary.cpuMsPerStep, "batch": opts.batchSize,
                "lr": Double("\(opts.learningRate)") ?? Double(opts.learningRate), "lr_schedule": opts.learningRateSchedule.rawValue, "seed": opts.seed, "train_size": opts.trainSize, "threads": Parallelism.effectiveThreads,
                "blas_cores": trainer.progress.blasCores, "stopped_early": summary.stoppedEarly, "peak_memory_mb": peakMB,
                // What ended this session: a stopping rule, the planned epochs, or --max-steps (the run can go on).
                "stopped_by": summary.stopReason?.rawValue ?? (summary.epochs >= opts.epochs ? "epochs" : "max-steps"),
                "cpu_budget": opts.cpuBudget.map { $0 as Any } ?? NSNull(), "train_cpu_seconds": trainer.progress.trainCPUSeconds,
                "processes": trainer.group?.size ?? 1, "gradient_chunks": trainer.group.map { _ in trainer.gradientChunks as Any } ?? NSNull(),
            ]
            line.merge(trainer.model.modelConfiguration.jsonFields) { current, _ in current }
            line.merge(kernelJSONFields()) { current, _ in current }
            if let psf = trainer.model as? PSFAttn { line["recompute_factor_values"] = psf.recomputesFactorValues }
            line["test_accuracy"] = summary.test.map { $0.accuracy as Any } ?? NSNull()
            line["test_loss"] = summary.test.map { $0.loss as Any } ?? NSNull()
            line["val_accuracy"] = summary.validation.map { $0.accuracy as Any } ?? NSNull()
            line["val_loss"] = summary.validation.map { $0.loss as Any } ?? NSNull()
            line["train_loss"] = summary.trainLoss.map { $0 as Any } ?? NSNull()
            line["train_accuracy"] = summary.trainAccuracy.map { $0 as Any } ?? NSNull()
            // The best-validation epoch's model (test_* above are the last model's).
            line["best_epoch"] = summary.best.map { $0.epoch as Any } ?? NSNull()
            line["best_steps"] = summary.best.map { $0.steps as Any } ?? NSNull()
            line["best_val_accuracy"] = summary.best.map { $0.validation.accuracy as Any } ?? NSNull()
            line["best_val_loss"] = summary.best.map { $0.validation.loss as Any } ?? NSNull()
            line["best_test_accuracy"] = summary.best?.test.map { $0.accuracy as Any } ?? NSNull()
            line["best_test_loss"] = summary.best?.test.map { $0.loss as Any } ?? NSNull()
            line["best_checkpoint"] = summary.best == nil ? NSNull() : bestCheckpoint.map { $0 as Any } ?? NSNull()   // written with the best epoch
            printJSONLine(line)
        } else {
            var text = String(format: "done: %d epochs, %d steps, %.1f s training (%.2f ms/step), %.1f s evaluation, peak memory %.0f MB",
                              summary.epochs, summary.steps, summary.trainSeconds, summary.msPerStep, summary.evaluationSeconds, peakMB)
            if let t = summary.test { text += String(format: "; test accuracy %.4f, loss %.5f", t.accuracy, t.loss) }
            if let best = summary.best, best.epoch != summary.epochs {
                text += String(format: "; best validation at epoch %d: val accuracy %.4f", best.epoch, best.validation.accuracy)
                if let t = best.test { text += String(format: ", test accuracy %.4f", t.accuracy) }
            }
            print(text)
        }
    }
}

/// Training allocates and frees the same large blocks every step. By default glibc maps
/// blocks over 128 KiB–32 MiB on their own, unmaps them on free and takes page faults (zeroed
/// pages) when the next step allocates them again: a fifth of a step at N = 1024, half of one
/// at N = 16384. Serving every block from the heap and never trimming it makes the next step
/// reuse the same pages; the peak resident memory stays about the same.
func keepFreedMemoryInProcess() {
    _ = glibcMallopt(-4, 0)             // M_MMAP_MAX: no block gets its own mapping (those are unmapped on free)
    _ = glibcMallopt(-1, Int32.max)     // M_TRIM_THRESHOLD: never give the heap's top back
}

/// glibc's `int mallopt(int param, int value)` (malloc.h is not in Swift's Glibc module).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// The process's peak resident memory (getrusage's ru_maxrss, kilobytes on Linux) in MB.
func peakMemoryMegabytes() -> Double {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
    return Double(usage.ru_maxrss) / 1024
}
