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

    @Test func benchStepRefusesBadSizes() throws {
        let short = try CLI.run(["bench", "step", "--length", "1"])
        #expect(short.status != 0)
        #expect(short.stderr.contains("--length must be at least 2"), "stderr: \(short.stderr)")
        let empty = try CLI.run(["bench", "step", "--length", "8", "--batch", "0"])
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("--batch must be at least 1"), "stderr: \(empty.stderr)")
    }
}
