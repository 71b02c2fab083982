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
