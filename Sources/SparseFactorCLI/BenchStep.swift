import ArgumentParser
import Foundation
import SparseFactor

/// `sparsefactor bench step`: the time of one training step of any model (`--model`), measured
/// the way `Benchmarks/pytorch/psf_attn_step.py` and `transformer_step.py` measure PyTorch, so
/// the two can be set side by side: the model's synthetic-task default, one fixed generated batch, each step = zero gradients,
/// forward, loss, backward, Adam update; the median of the timed steps after warm-up steps.
struct BenchStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Time one training step (forward, backward, Adam) of a model on a fixed batch.")

    @Option(help: "The task whose model and data to use.") var task: SyntheticTask = .adding
    @Option(parsing: .unconditional, help: "Sequence length N (≥ 2).") var length: Int = 1024
    @Option(parsing: .unconditional, help: "Batch size (≥ 1).") var batch: Int = 40
    @Option(parsing: .unconditional, help: "Untimed warm-up steps.") var warmup: Int = 3
    @Option(parsing: .unconditional, help: "Timed steps.") var steps: Int = 20
    @Option(parsing: .unconditional, help: "Seed of the model and the batch.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Threads (default: the OpenMP default, OMP_NUM_THREADS).") var threads: Int?
    @Flag(help: "Print one JSON object as the last line.") var json = false
    @OptionGroup(title: "Model") var modelOptions: ModelOptions

    func validate() throws {
        guard length >= 2 else { throw ValidationError("--length must be at least 2, got \(length)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard steps >= 1, warmup >= 0 else { throw ValidationError("--steps must be ≥ 1 and --warmup ≥ 0") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
    }

    func run() throws {
        try runReportingErrors(json: json) {
            if let threads { Parallelism.threads = threads }
            noteGenericBLAS()
            keepFreedMemoryInProcess()   // as train does: steps reuse their pages instead of faulting in fresh ones
            let configuration = try modelOptions.configuration(task: SequenceTask(task), length: length)
            try configuration.checkStepMemory(batch: batch)
            let model = try configuration.makeModel(seed: seed)
            model.computesInputGradient = false
            model.prepareTraining(batch: batch)
            let optimizer = try Adam(parameters: model.parameters, learningRate: 1e-3)
            let data = try SyntheticDataset(task: task, length: length, count: batch, seed: seed &+ 1)
            let (x, y) = try data.batch(Array(0..<batch))

            var phases = [Double](repeating: 0, count: 3)      // ms: zero + forward + loss, backward, update
            func step() throws -> Double {
                let start = DispatchTime.now().uptimeNanoseconds
                optimizer.zeroGradients()
                model.prepareStep(0)
                let prediction = try model(x)
                let gradient = task == .adding ? try MSELoss()(prediction, y).gradient : try CrossEntropyLoss()(prediction, y).gradient
                let forwardEnd = DispatchTime.now().uptimeNanoseconds
                _ = try model.backward(gradient)
                let backwardEnd = DispatchTime.now().uptimeNanoseconds
                try optimizer.step()
                let end = DispatchTime.now().uptimeNanoseconds
                phases[0] += Double(forwardEnd - start) * 1e-6
                phases[1] += Double(backwardEnd - forwardEnd) * 1e-6
                phases[2] += Double(end - backwardEnd) * 1e-6
                return Double(end - start) * 1e-6
            }
            for _ in 0..<warmup { _ = try step() }
            phases = [0, 0, 0]
            let cpuStart = processCPUSeconds()
            let times = try (0..<steps).map { _ in try step() }.sorted()
            let cpuMs = (processCPUSeconds() - cpuStart) * 1e3 / Double(steps)
            let median = times.count % 2 == 1 ? times[times.count / 2] : 0.5 * (times[times.count / 2 - 1] + times[times.count / 2])
            if json {
                let line: [String: Any] = ["framework": "sparsefactor", "model": configuration.kind.rawValue, "task": task.rawValue, "length": length,
                                           "batch": batch, "params": model.parameterCount, "ms_per_step": median, "ms_min": times[0],
                                           "cpu_ms_per_step": cpuMs, "steps": steps, "peak_memory_mb": peakMemoryMegabytes(),
                                           "estimated_step_mb": (try configuration.estimatedStepBytes(batch: batch)).map { Double($0) / 1_048_576 as Any } ?? NSNull(),
                                           "threads": Parallelism.effectiveThreads]
                printJSONLine(line.merging(kernelJSONFields()) { current, _ in current })
            } else {
                print(String(format: "sparsefactor %@ %@ N=%d B=%d threads=%d params=%d: median %.2f ms/step (min %.2f), process CPU %.1f ms/step [%@]",
                             configuration.kind.rawValue, task.rawValue, length, batch, Parallelism.effectiveThreads, model.parameterCount, median, times[0],
                             cpuMs, Parallelism.cpuDispatch))
                print(String(format: "  mean per step: forward + loss %.2f ms, backward %.2f ms, optimizer %.2f ms",
                             phases[0] / Double(steps), phases[1] / Double(steps), phases[2] / Double(steps)))
            }
        }
    }
}
