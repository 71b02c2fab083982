import Foundation
import SparseFactor
import Testing

/// Hostile input through the command line: each gives one clear message and its documented exit code,
/// never a signal, and with --json a JSON error object as the last line of standard output.
@Suite struct HardeningTests {
    static let big = String(Int.max)
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sf-hardening-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func expectFailure(_ arguments: [String], code: Int32, message: String, kind: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try CLI.run(arguments + (kind != nil ? ["--json"] : []))
        #expect(!result.signaled, "\(arguments): ended by a signal", sourceLocation: sourceLocation)
        #expect(result.status == code, "\(arguments): exit \(result.status), expected \(code); stderr: \(result.stderr)",
                sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "\(arguments): stderr \(result.stderr)", sourceLocation: sourceLocation)
        if let kind {
            let json = result.lastJSON
            #expect(json?["kind"] as? String == kind, "\(arguments): last line \(result.stdout.suffix(200))", sourceLocation: sourceLocation)
            #expect((json?["error"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        }
    }

    @Test func hugeSizesAreRefusedBeforeAnyAllocation() throws {
        try expectFailure(["bench", "spmm", "--channels", Self.big], code: 65, message: "more memory than can be counted", kind: "too-large")
        try expectFailure(["bench", "spmm", "--n", Self.big], code: 65, message: "too large", kind: "too-large")
        try expectFailure(["bench", "objective", "--n", "4611686018427387904"], code: 65, message: "too large", kind: "too-large")
        try expectFailure(["bench", "objective", "--n", "100000"], code: 65, message: "GiB, over the limit of", kind: "too-large")
        try expectFailure(["demo", "--n", "100000"], code: 65, message: "GiB, over the limit of", kind: "too-large")
        try expectFailure(["demo", "--n", Self.big], code: 65, message: "too large")
        try expectFailure(["bench", "step", "--length", Self.big], code: 65, message: "too large")
        try expectFailure(["bench", "step", "--length", "16", "--batch", Self.big], code: 65, message: "training step", kind: "too-large")
        try expectFailure(["train", "--task", "adding", "--length", Self.big], code: 65, message: "too large")
        try expectFailure(["train", "--task", "adding", "--length", "16", "--batch", Self.big], code: 65, message: "training step")
        try expectFailure(["train", "--task", "adding", "--length", "16", "--train-size", Self.big, "--epochs", "2"],
                          code: 65, message: "training sequences")
        try expectFailure(["train", "--task", "adding", "--length", "16", "--factor-mlp", "[100000000, GELU]"],
                          code: 65, message: "parameters", kind: "too-large")
    }

    @Test func hostileFilesGiveDataErrors() throws {
        let edges = try file("e.txt", "0 1\n1 2\n2 \(Self.big)\n")
        try expectFailure(["factorize", edges], code: 65, message: "node id", kind: "too-large")
        for header in ["\(Self.big) 1 0", "3 \(Self.big) 0"] {
            let off = try file("m.off", "OFF\n\(header)\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")
            try expectFailure(["factorize", off], code: 74, message: "the file has only", kind: "io")
        }
        let faceSize = try file("f.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n\(Self.big) 0 1 2\n")
        try expectFailure(["factorize", faceSize], code: 74, message: "expected a face", kind: "io")
        // A tiny bandwidth is a valid kernel: the identity (exp(−(d/h)²/2) is 1 on the diagonal, 0 off it), not NaN.
        let table = try file("t.csv", "1,2\n3,4\n5,7\n")
        let tiny = try CLI.run(["factorize", table, "--transform", "kernel:bandwidth=1e-300", "--iterations", "2", "--json"])
        #expect(tiny.status == 0, "stderr: \(tiny.stderr)")
        // Finite input whose product overflows is an error, not NaN output with exit 0.
        let factors = directory.appendingPathComponent("f.sfchain")
        try FactorFile.save(try FactorChain<Double>(topology: ChordTopology(size: 4), factorCount: 1,
                                                    values: [Double](repeating: 1, count: 12)), to: factors)
        let huge = try file("huge.csv", "1e308,1e308,1e308,1e308\n")
        try expectFailure(["apply", factors.path, huge], code: 65, message: "overflows Double")
    }

    @Test func usageErrorsKeepCode64AndGiveJSON() throws {
        try expectFailure(["bench", "spmm", "--bogus"], code: 64, message: "Unknown option", kind: "usage")
        try expectFailure(["bench", "spmm", "--threads", "-3"], code: 64, message: "--threads must be at least 1, got -3", kind: "usage")
        try expectFailure(["bench", "spmm", "--n", "abc"], code: 64, message: "abc", kind: "usage")
    }

    @Test func inputFilesThatAreNotRegularFiles() throws {
        try expectFailure(["factorize", directory.path], code: 74, message: "is a directory, not a regular file", kind: "io")
        try expectFailure(["factorize", ""], code: 64, message: "FILE is an empty path", kind: "usage")
        try expectFailure(["factorize", directory.appendingPathComponent("missing.npy").path], code: 74, message: "no such file", kind: "io")
        let loop = directory.appendingPathComponent("loop.npy")
        try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: loop.path)
        try expectFailure(["factorize", loop.path], code: 74, message: "symbolic links", kind: "io")
    }

    @Test func writingToAFullStandardOutputFails() throws {
        let factors = directory.appendingPathComponent("f.sfchain")
        try FactorFile.save(try FactorChain<Double>.rowNormalized(topology: ChordTopology(size: 8), seed: 1), to: factors)
        let vectors = try file("v.csv", "1,2,3,4,5,6,7,8\n")
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["apply", factors.path, vectors]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
        let err = Pipe()
        process.standardError = err
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 74, "exit \(process.terminationStatus): \(message)")
        #expect(message.contains("cannot write standard output"), "stderr: \(message)")
    }

    @Test func anOutputThatIsNotARegularFileIsLeftAlone() throws {
        let fifo = directory.appendingPathComponent("fifo")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let matrix = directory.appendingPathComponent("a.npy")
        try NpyWriter.write(try Matrix<Double>(rows: 8, columns: 8, values: (0..<64).map { Double($0 % 7) }), to: matrix)
        try expectFailure(["factorize", matrix.path, "--iterations", "1", "--save", fifo.path], code: 74,
                          message: "is a FIFO (named pipe), not a regular file: refusing to replace it", kind: "io")
        try expectFailure(["train", "--task", "adding", "--length", "8", "--checkpoint", fifo.path], code: 74, message: "not a regular file")
        var info = stat()
        #expect(lstat(fifo.path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "the FIFO is still a FIFO")
    }

    @Test func trainRefusesAnotherRunsCheckpointWithoutOverwrite() throws {
        let checkpoint = try file("run.ckpt", "not yours")
        let tiny = ["--length", "8", "--train-size", "40", "--val-size", "0", "--test-size", "0", "--epochs", "1"]
        try expectFailure(["train", "--task", "adding"] + tiny + ["--checkpoint", checkpoint], code: 74,
                          message: "give --resume to continue it or --overwrite to start anew", kind: "io")
        #expect(try String(contentsOfFile: checkpoint, encoding: .utf8) == "not yours", "refused, so untouched")
        let overwritten = try CLI.run(["train", "--task", "adding"] + tiny + ["--checkpoint", checkpoint, "--overwrite"])
        #expect(overwritten.status == 0, "stderr: \(overwritten.stderr)")
        #expect(try TrainingCheckpoint.read(from: URL(fileURLWithPath: checkpoint)).progress.epoch == 1)
    }
}

/// `factorize --matrix-free` from the command line: its JSON, and its usage errors.
@Suite struct FactorizeMatrixFreeTests {
    @Test func matrixFreeFitReportsItsErrorAndExitCodes() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sf-matrix-free-\(UUID().uuidString).edges")
        defer { try? FileManager.default.removeItem(at: url) }
        var edges: [String] = []
        for i in 0..<64 {
            edges.append("\(i) \((i * 7 + 3) % 64)")
            edges.append("\(i) \((i * 13 + 5) % 64)")
        }
        try Data(edges.joined(separator: "\n").utf8).write(to: url)
        let exact = try CLI.run(["factorize", url.path, "--matrix-free", "--iterations", "300", "--probes", "16", "--json"])
        #expect(exact.status == 0, "\(exact.stderr)")
        let j = try #require(exact.lastJSON)
        #expect(j["matrix_free"] as? Bool == true && j["optimizer"] as? String == "adam" && j["n"] as? Int == 64)
        let estimate = try #require(j["error_estimate"] as? [String: Any])
        #expect(estimate["kind"] as? String == "exact")
        let error = try #require(j["sf_relative_error"] as? Double)
        let start = try #require(j["start_relative_error"] as? Double)
        #expect(error < 0.9 * start, "\(error) vs start \(start)")

        let sampled = try CLI.run(["factorize", url.path, "--matrix-free", "--iterations", "300", "--probes", "16",
                                   "--exact-error-limit", "0", "--held-out-probes", "256", "--json"])
        let s = try #require(sampled.lastJSON?["error_estimate"] as? [String: Any])
        #expect(s["kind"] as? String == "estimated" && s["probes"] as? Int == 256)
        let (lower, upper) = (try #require(s["lower"] as? Double), try #require(s["upper"] as? Double))
        #expect(lower <= error && error <= upper, "[\(lower), \(upper)] vs exact \(error)")

        for bad in [["--probes", "0"], ["--held-out-probes", "1"], ["--export-matrix", "/tmp/x.npy"]] {
            let r = try CLI.run(["factorize", url.path, "--matrix-free", "--json"] + bad)
            #expect(r.status == 64 && r.lastJSON?["kind"] as? String == "usage", "\(bad): \(r.status) \(r.stderr)")
        }
        let r = try CLI.run(["factorize", url.path, "--probes", "8"])
        #expect(r.status == 64 && r.stderr.contains("--matrix-free only"))
    }
}
