import Foundation
import Testing

/// `sparsefactor train`: tiny runs through the real binary.
@Suite struct TrainCommandTests {
    let tiny = ["--length", "8", "--train-size", "80", "--val-size", "20", "--test-size", "20", "--seed", "3"]

    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("psf-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)").path
    }

    @Test func jsonRunEndsWithTheSummary() throws {
        let result = try CLI.run(["train", "--task", "adding"] + tiny + ["--epochs", "2", "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let summary = try #require(result.lastJSON, "stdout: \(result.stdout)")
        for key in ["task", "model", "length", "params", "epochs", "train_seconds", "ms_per_step", "test_accuracy", "test_loss", "peak_memory_mb"] {
            #expect(summary[key] != nil, "missing \(key)")
        }
        #expect(summary["task"] as? String == "adding")
        #expect(summary["model"] as? String == "psf")
        // The kernels the run used, as `bench step` names them for the same environment.
        let bench = try #require(try CLI.run(["bench", "step", "--task", "adding", "--length", "8", "--batch", "2", "--warmup", "0",
                                              "--steps", "1", "--json"]).lastJSON)
        #expect(summary["blas_core"] as? String == bench["blas_core"] as? String && bench["blas_core"] != nil)
        #expect(summary["blas_core_suggested"] as? String == bench["blas_core_suggested"] as? String && summary["blas_core_suggested"] != nil)
        #expect(summary["length"] as? Int == 8)
        #expect(summary["epochs"] as? Int == 2)
        #expect(summary["steps"] as? Int == 4)
        // Adding, N = 8, D 32, C 8, M 3, K 4: 96 + 1320 + 3·(1056 + 132) + (64 + 1) = 5045 parameters.
        #expect(summary["params"] as? Int == 5045)
        let accuracy = try #require(summary["test_accuracy"] as? Double)
        #expect(accuracy >= 0 && accuracy <= 1)
        // One JSON line per epoch before the summary.
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.prefix(2).allSatisfy { $0.contains("\"event\":\"epoch\"") })
    }

    @Test func orderRunPrintsHumanReadableLines() throws {
        let result = try CLI.run(["train", "--task", "order"] + tiny + ["--epochs", "1"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("epoch 1/1"))
        #expect(result.stdout.contains("test accuracy"))
    }

    @Test func resumedRunMatchesTheUninterruptedOne() throws {
        let path = temporaryPath("cli.ckpt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let full = try CLI.run(["train", "--task", "order"] + tiny + ["--epochs", "2", "--json"])
        let first = try CLI.run(["train", "--task", "order"] + tiny + ["--epochs", "1", "--checkpoint", path, "--json"])
        let second = try CLI.run(["train", "--task", "order"] + tiny + ["--epochs", "2", "--checkpoint", path, "--resume", "--json"])
        #expect(full.status == 0 && first.status == 0 && second.status == 0, "stderr: \(full.stderr) \(first.stderr) \(second.stderr)")
        let a = try #require(full.lastJSON), b = try #require(second.lastJSON)
        #expect(b["epochs"] as? Int == 2)
        #expect(b["steps"] as? Int == 4)
        #expect(a["test_loss"] as? Double == b["test_loss"] as? Double, "\(a) vs \(b)")
        #expect(a["val_loss"] as? Double == b["val_loss"] as? Double)
    }

    /// A run resumed on another OpenBLAS kernel family says so and lists both (forced here with OPENBLAS_CORETYPE:
    /// Nehalem and Prescott run on any x86-64 CPU of the last fifteen years).
    @Test func aResumeOnOtherBLASKernelsIsNoted() throws {
        let path = temporaryPath("blas.ckpt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try CLI.run(["train", "--task", "order"] + tiny + ["--epochs", "1", "--checkpoint", path, "--json"],
                                environment: ["OPENBLAS_CORETYPE": "Nehalem"])
        #expect(first.status == 0 && first.lastJSON?["blas_cores"] as? [String] == ["Nehalem"], "\(first.stdout) \(first.stderr)")
        let second = try CLI.run(["train", "--task", "order"] + tiny + ["--epochs", "2", "--checkpoint", path, "--resume", "--json"],
                                 environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(second.status == 0 && second.lastJSON?["blas_cores"] as? [String] == ["Nehalem", "Prescott"], "\(second.stdout)")
        #expect(second.stderr.contains("trained on OpenBLAS's \"Nehalem\" kernels and continues on \"Prescott\""), "\(second.stderr)")
    }

    @Test func bestCheckpointHoldsTheBestValidationEpoch() throws {
        let best = temporaryPath("best.ckpt"), last = temporaryPath("last.ckpt")
        defer { for p in [best, last] { try? FileManager.default.removeItem(atPath: p) } }
        // Order, N = 8, seed 7, lr 0.01: validation accuracy peaks at epoch 5 of 6 (see BestEpochTests).
        let run = ["train", "--task", "order", "--length", "8", "--train-size", "100", "--val-size", "30", "--test-size", "20",
                   "--seed", "7", "--lr", "0.01", "--epochs", "6", "--checkpoint", last, "--best-checkpoint", best, "--json"]
        let result = try CLI.run(run)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let summary = try #require(result.lastJSON)
        let epochs = result.stdout.split(separator: "\n").dropLast().compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let accuracies = epochs.compactMap { $0["val_accuracy"] as? Double }
        #expect(accuracies.count == 6)
        let bestEpoch = try #require(summary["best_epoch"] as? Int)
        #expect(bestEpoch < 6 && accuracies[bestEpoch - 1] == accuracies.max(), "\(accuracies), best \(bestEpoch)")
        #expect(summary["best_val_accuracy"] as? Double == accuracies.max())
        #expect(summary["best_test_accuracy"] as? Double == epochs[bestEpoch - 1]["test_accuracy"] as? Double)
        #expect(epochs.map { $0["best"] as? Bool == true }.lastIndex(of: true) == bestEpoch - 1)
        // The file is a checkpoint of that epoch: `evaluate` reads it.
        let scored = try CLI.run(["evaluate", "--checkpoint", best, "--test-size", "50", "--json"])
        #expect(scored.status == 0, "stderr: \(scored.stderr)")
        // A second run does not replace either file unless told to.
        let again = try CLI.run(run)
        #expect(again.status != 0 && again.stderr.contains("already exists"), "stderr: \(again.stderr)")
    }

    @Test func bestCheckpointNeedsItsOwnFileAndAValidationSet() throws {
        let path = temporaryPath("same.ckpt")
        let same = try CLI.run(["train", "--task", "order"] + tiny + ["--checkpoint", path, "--best-checkpoint", path])
        #expect(same.status != 0 && same.stderr.contains("another file than --checkpoint"), "stderr: \(same.stderr)")
        let noValidation = try CLI.run(["train", "--task", "order", "--length", "8", "--train-size", "80", "--val-size", "0",
                                        "--test-size", "20", "--best-checkpoint", path, "--json"])
        #expect(noValidation.status != 0 && noValidation.stdout.contains("needs a validation set"), "stdout: \(noValidation.stdout)")
        #expect(!FileManager.default.fileExists(atPath: path))
        // Refused before any file is read: the training file named here does not exist.
        let noValidationFile = try CLI.run(["train", "--task", "listops", "--length", "64", "--train-data", temporaryPath("absent.tsv"),
                                            "--best-checkpoint", path])
        #expect(noValidationFile.status != 0 && noValidationFile.stderr.contains("needs a validation set"), "stderr: \(noValidationFile.stderr)")
    }

    @Test func badArgumentsFailClearly() throws {
        let short = try CLI.run(["train", "--task", "adding", "--length", "1"])
        #expect(short.status != 0)
        #expect(short.stderr.contains("--length must be at least 2"))
        let zeroBatch = try CLI.run(["train", "--task", "order", "--length", "8", "--batch", "0"])
        #expect(zeroBatch.status != 0)
        #expect(zeroBatch.stderr.contains("--batch must be at least 1"))
        let noFile = try CLI.run(["train", "--task", "order", "--length", "8", "--resume", "--checkpoint", temporaryPath("missing.ckpt")])
        #expect(noFile.status != 0)
        #expect(noFile.stderr.contains("no checkpoint"))
    }

    @Test func resumingAnotherShapeOrACorruptFileIsRefused() throws {
        let path = temporaryPath("shape.ckpt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try CLI.run(["train", "--task", "order"] + tiny + ["--epochs", "1", "--checkpoint", path])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let other = try CLI.run(["train", "--task", "order", "--length", "16", "--train-size", "80", "--val-size", "20",
                                 "--test-size", "20", "--seed", "3", "--epochs", "2", "--checkpoint", path, "--resume"])
        #expect(other.status != 0)
        #expect(other.stderr.contains("length: 8 vs 16"), "stderr: \(other.stderr)")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let corrupt = try CLI.run(["train", "--task", "order"] + tiny + ["--epochs", "2", "--checkpoint", path, "--resume"])
        #expect(corrupt.status != 0)
        #expect(corrupt.stderr.contains("not a valid checkpoint"), "stderr: \(corrupt.stderr)")
    }
}
