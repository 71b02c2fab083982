import Foundation
import SparseFactor
import Testing

// `bench step` (the timing subcommand of the PyTorch comparison), end to end.

@Suite struct BenchStepTests {
    @Test(arguments: [SyntheticTask.adding, .order])
    func benchStepTimesTheTaskModel(task: SyntheticTask) throws {
        let result = try CLI.run(["bench", "step", "--task", task.rawValue, "--length", "16", "--batch", "4",
                                  "--warmup", "1", "--steps", "3", "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let json = try #require(result.lastJSON, "stdout: \(result.stdout)")
        #expect(json["task"] as? String == task.rawValue)
        #expect(json["length"] as? Int == 16)
        #expect(json["batch"] as? Int == 4)
        #expect(json["steps"] as? Int == 3)
        let model = try PSFAttn(configuration: PSFAttnConfiguration(task: SequenceTask(task), length: 16), seed: 1)
        #expect(json["params"] as? Int == model.parameterCount)
        let median = try #require(json["ms_per_step"] as? Double), fastest = try #require(json["ms_min"] as? Double)
        #expect(fastest > 0 && fastest <= median)
    }

    /// The JSON names OpenBLAS's kernel family; on a CPU where OpenBLAS fell back to pre-AVX2 kernels a note
    /// names the `OPENBLAS_CORETYPE` value for better ones, and a process started with it runs that family.
    @Test func benchStepNamesTheBLASKernelsAndABetterFamilyWhenThereIsOne() throws {
        let arguments = ["bench", "step", "--task", "order", "--length", "16", "--batch", "2", "--warmup", "0", "--steps", "1", "--json"]
        let plain = try CLI.run(arguments)
        #expect(plain.status == 0, "stderr: \(plain.stderr)")
        let json = try #require(plain.lastJSON, "stdout: \(plain.stdout)")
        let core = try #require(json["blas_core"] as? String), dispatch = try #require(json["cpu"] as? String)
        #expect(!core.isEmpty)
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else { return }   // chosen by whoever runs the tests
        let suggestion = Parallelism.suggestedBLASCore(running: core, dispatch: dispatch)
        #expect(json["blas_core_suggested"] as? String == suggestion)
        #expect(plain.stderr.contains("OPENBLAS_CORETYPE=") == (suggestion != nil), "stderr: \(plain.stderr)")
        if let suggestion {
            let forced = try CLI.run(arguments, environment: ["OPENBLAS_CORETYPE": suggestion])
            #expect(forced.status == 0 && forced.lastJSON?["blas_core"] as? String == suggestion, "stdout: \(forced.stdout)")
            #expect(!forced.stderr.contains("OPENBLAS_CORETYPE="))
        }
    }

    @Test func benchStepRefusesBadSizes() throws {
        let short = try CLI.run(["bench", "step", "--length", "1"])
        #expect(short.status != 0)
        #expect(short.stderr.contains("--length must be at least 2"), "stderr: \(short.stderr)")
        let empty = try CLI.run(["bench", "step", "--length", "8", "--batch", "0"])
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("--batch must be at least 1"), "stderr: \(empty.stderr)")
    }
}
