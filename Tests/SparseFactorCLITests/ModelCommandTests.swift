import Foundation
import SparseFactor
import Testing

/// `--model` on `train` and `bench step`, and `evaluate`, through the real binary.
@Suite struct ModelCommandTests {
    let tiny = ["--length", "16", "--train-size", "80", "--val-size", "20", "--test-size", "20", "--seed", "5"]

    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("model-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)").path
    }

    @Test(arguments: ModelKind.allCases)
    func everyModelTrainsResumesAndEvaluates(kind: ModelKind) throws {
        let path = temporaryPath("\(kind.rawValue).ckpt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let base = ["train", "--task", "order", "--model", kind.rawValue] + tiny
        let full = try CLI.run(base + ["--epochs", "2", "--json"])
        let first = try CLI.run(base + ["--epochs", "1", "--checkpoint", path, "--json"])
        // Resuming without --model continues the checkpoint's model.
        let second = try CLI.run(["train", "--task", "order"] + tiny + ["--epochs", "2", "--checkpoint", path, "--resume", "--json"])
        #expect(full.status == 0 && first.status == 0 && second.status == 0, "stderr: \(full.stderr) \(first.stderr) \(second.stderr)")
        let a = try #require(full.lastJSON), b = try #require(second.lastJSON)
        #expect(a["model"] as? String == kind.rawValue && b["model"] as? String == kind.rawValue)
        #expect(a["params"] as? Int == (try ModelConfiguration(kind: kind, task: .order, length: 16).estimatedParameterCount()))
        #expect(a["test_loss"] as? Double == b["test_loss"] as? Double, "resumed = uninterrupted, bit for bit")

        // evaluate: the reported accuracy is the fraction of a fresh set that the saved model gets
        // right, recounted here from the model's own outputs.
        let evaluation = try CLI.run(["evaluate", "--checkpoint", path, "--test-size", "30", "--seed", "9", "--json"])
        #expect(evaluation.status == 0, "stderr: \(evaluation.stderr)")
        let e = try #require(evaluation.lastJSON)
        #expect(e["model"] as? String == kind.rawValue)
        let saved = try TrainingCheckpoint.read(from: URL(fileURLWithPath: path))
        let model = try saved.configuration.makeModel(seed: 0)
        for (p, (_, value)) in zip(model.parameters, saved.parameters) { p.value = value }
        model.isTraining = false
        let data = try SyntheticDataset.freshTestSet(task: .order, length: 16, count: 30, seed: 9)
        let (x, y) = try data.batch(Array(0..<30))
        let predicted = try model(x).argmaxLastDimension()
        let correct = zip(predicted, y.values).filter { Float($0) == $1 }.count
        // (JSONSerialization may print the last digit differently from the shortest round-trip form.)
        #expect(abs((e["accuracy"] as? Double ?? -1) - Double(correct) / 30) < 1e-12)
        // The fresh set is not the run's test set.
        let test = try SyntheticDataset.splits(task: .order, length: 16, trainSize: 80, validationSize: 20, testSize: 20, seed: 9).test
        #expect(try test.batch([0]).inputs != (try data.batch([0]).inputs))
    }

    @Test func optionsOfAnotherModelAreRefused() throws {
        for (model, option) in [("psf", ["--heads", "2"]), ("transformer", ["--channels", "4"]), ("chordmixer", ["--embedding", "16"]),
                                ("paramixer", ["--track-size", "2"])] {
            let result = try CLI.run(["train", "--task", "adding", "--model", model] + tiny + option + ["--json"])
            #expect(result.status == 64, "\(model) \(option): \(result.stderr)")
            #expect(result.stderr.contains("\(option[0]) does not apply to --model \(model)"), "\(result.stderr)")
        }
        let unknown = try CLI.run(["train", "--task", "adding", "--model", "reformer"] + tiny)
        #expect(unknown.status == 64)
        let heads = try CLI.run(["train", "--task", "adding", "--model", "transformer", "--heads", "3"] + tiny + ["--json"])
        #expect(heads.status != 0)
        #expect(heads.stdout.contains("multiple of the heads"), "\(heads.stdout)")
    }

    @Test func resumingWithAnotherModelIsRefused() throws {
        let path = temporaryPath("other.ckpt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try CLI.run(["train", "--task", "adding", "--model", "chordmixer"] + tiny + ["--epochs", "1", "--checkpoint", path])
        #expect(first.status == 0, "\(first.stderr)")
        let other = try CLI.run(["train", "--task", "adding", "--model", "transformer"] + tiny
                                + ["--epochs", "2", "--checkpoint", path, "--resume", "--json"])
        #expect(other.status != 0)
        #expect(other.stdout.contains("model: chordmixer vs transformer"), "\(other.stdout)")
    }

    @Test func benchStepReportsEveryModel() throws {
        for kind in ModelKind.allCases {
            let result = try CLI.run(["bench", "step", "--model", kind.rawValue, "--task", "order", "--length", "32", "--batch", "2",
                                      "--steps", "1", "--warmup", "0", "--json"])
            #expect(result.status == 0, "\(kind): \(result.stderr)")
            let json = try #require(result.lastJSON)
            #expect(json["model"] as? String == kind.rawValue)
            #expect(json["params"] as? Int == (try ModelConfiguration(kind: kind, task: .order, length: 32).estimatedParameterCount()))
            #expect((json["ms_per_step"] as? Double ?? 0) > 0)
            #expect((json["peak_memory_mb"] as? Double ?? 0) > 0)
        }
        let huge = try CLI.run(["bench", "step", "--model", "transformer", "--length", "1073741824", "--json"])
        #expect(huge.status == 65, "\(huge.stdout) \(huge.stderr)")
        #expect(huge.stdout.contains("needs"), "the refusal names the estimate: \(huge.stdout)")
    }

    @Test func evaluateRefusesBadInput() throws {
        let missing = try CLI.run(["evaluate", "--checkpoint", temporaryPath("none.ckpt"), "--json"])
        #expect(missing.status == 74, "\(missing.stdout)")
        let garbage = temporaryPath("garbage.ckpt")
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: garbage))
        let bad = try CLI.run(["evaluate", "--checkpoint", garbage, "--json"])
        #expect(bad.status != 0 && bad.stdout.contains("\"error\""), "\(bad.stdout)")
        let zero = try CLI.run(["evaluate", "--checkpoint", garbage, "--test-size", "0"])
        #expect(zero.status == 64)
    }
}
