import Foundation
import SparseFactor
import Testing

// `sparsefactor factorize` end to end: the JSON report checked against the saved factors, bad
// input, and the atomic --save.

/// A fresh temporary directory, removed by `cleanUp()`.
struct ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sf-factorize-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }
    func cleanUp() { try? FileManager.default.removeItem(at: url) }
}

/// A seeded N×N (or rows×columns) matrix saved as .npy.
@discardableResult
func writeMatrix(_ dir: ScratchDirectory, _ name: String, rows: Int, columns: Int, seed: UInt64,
                 edit: (inout Matrix<Double>) -> Void = { _ in }) throws -> Matrix<Double> {
    var rng = SeededGenerator(seed: seed)
    var m = try Matrix<Double>(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in rng.nextUnit() * 2 - 1 })
    edit(&m)
    try NpyWriter.write(m, to: URL(fileURLWithPath: dir.path(name)))
    return m
}

/// ‖A − B‖_F.
func distance(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
    zip(a.values, b.values).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
}

@Suite struct FactorizeCommandTests {
    @Test func jsonReportMatchesTheSavedFactors() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        let a = try writeMatrix(dir, "a.npy", rows: 16, columns: 16, seed: 1)
        let result = try CLI.run(["factorize", dir.path("a.npy"), "--iterations", "30", "--seed", "3",
                                  "--save", dir.path("a.sfchain"), "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let json = try #require(result.lastJSON, "stdout: \(result.stdout)")
        for key in ["n", "factors", "links", "nonzeros", "sf_error", "sf_relative_error", "tsvd_rank", "tsvd_error",
                    "tsvd_relative_error", "iterations", "seconds", "stop_reason", "optimizer", "tsvd_params", "sf_params"] {
            #expect(json[key] != nil, "missing key \(key)")
        }
        #expect(json["n"] as? Int == 16)
        #expect(json["factors"] as? Int == 4)
        #expect(json["links"] as? Int == 5)
        #expect(json["nonzeros"] as? Int == 320)
        #expect(json["sf_params"] as? Int == 320)
        #expect(json["tsvd_rank"] as? Int == 8)          // ⌈4²/2⌉
        #expect(json["tsvd_params"] as? Int == 256)      // 2·16·8
        #expect(json["optimizer"] as? String == "lbfgs")
        #expect(json["iterations"] as? Int == 30)
        #expect(json["stop_reason"] as? String == "max_iterations")
        let within = try #require(json["iterations_to_1_percent"] as? Int)
        #expect(within >= 0 && within <= 30)
        #expect(try #require(json["seconds_to_1_percent"] as? Double) <= (try #require(json["seconds"] as? Double)))

        // The reported errors are the true ones: recompute them from the saved factors and an SVD.
        let chain = try FactorFile.load(from: URL(fileURLWithPath: dir.path("a.sfchain")))
        let sfError = distance(a, try chain.denseMatrix())
        let reported = try #require(json["sf_error"] as? Double)
        #expect(abs(reported - sfError) <= 1e-9 * a.frobeniusNorm)
        #expect(abs(try #require(json["sf_relative_error"] as? Double) - sfError / a.frobeniusNorm) <= 1e-9)
        let sigma = try SingularValueDecomposition.singularValues(of: a)
        let tail = sigma[8...].reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(try #require(json["tsvd_error"] as? Double) - tail) <= 1e-9 * a.frobeniusNorm)
        #expect(abs(try #require(json["tsvd_relative_error"] as? Double) - tail / a.frobeniusNorm) <= 1e-9)
        #expect(try dir.contents() == ["a.npy", "a.sfchain"])   // no temporary file left behind
    }

    @Test func humanSummaryWithoutJSON() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        try writeMatrix(dir, "a.npy", rows: 8, columns: 8, seed: 2)
        let result = try CLI.run(["factorize", dir.path("a.npy"), "--iterations", "5"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("N = 8, M = 3 factors × K = 4 links, 96 non-zeros"))
        #expect(result.stdout.contains("sparse factors: relative error"))
        #expect(result.stdout.contains("truncated SVD:  relative error"))
        #expect(result.lastJSON == nil)
        #expect(result.stderr.isEmpty, "no progress line when not on a terminal: \(result.stderr)")
    }

    @Test func optionsReachTheFit() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        try writeMatrix(dir, "a.npy", rows: 16, columns: 16, seed: 4)
        let adam = try CLI.run(["factorize", dir.path("a.npy"), "--optimizer", "adam", "--lr", "0.02", "--iterations", "7",
                                "--tsvd-rank", "matched", "--json"])
        #expect(adam.status == 0, "stderr: \(adam.stderr)")
        let json = try #require(adam.lastJSON)
        #expect(json["optimizer"] as? String == "adam")
        #expect(json["iterations"] as? Int == 7)
        #expect(json["tsvd_rank"] as? Int == 10)         // ⌊320 / (2·16)⌋
        #expect(json["tsvd_rank_rule"] as? String == "matched")

        let limited = try CLI.run(["factorize", dir.path("a.npy"), "--time-limit", "0", "--json"])
        #expect(limited.lastJSON?["stop_reason"] as? String == "time_limit")
        let cpuLimited = try CLI.run(["factorize", dir.path("a.npy"), "--cpu-limit", "0", "--json"])
        #expect(cpuLimited.lastJSON?["stop_reason"] as? String == "cpu_time_limit")
        #expect(cpuLimited.lastJSON?["cpu_limit"] as? Double == 0 && (cpuLimited.lastJSON?["cpu_seconds"] as? Double ?? -1) >= 0)
        #expect((cpuLimited.lastJSON?["cpu_seconds_to_1_percent"] as? Double ?? -1) >= 0)
        let badCPU = try CLI.run(["factorize", dir.path("a.npy"), "--cpu-limit", "-1", "--json"])
        #expect(badCPU.status == 64 && badCPU.stderr.contains("--cpu-limit must be at least 0 seconds, got -1.0"), "\(badCPU.stderr)")
        let fixed = try CLI.run(["factorize", dir.path("a.npy"), "--iterations", "1", "--tsvd-rank", "16", "--json"])
        #expect(fixed.lastJSON?["tsvd_error"] as? Double == 0)

        let window = try CLI.run(["factorize", dir.path("a.npy"), "--iterations", "500", "--improvement-tolerance", "0.5",
                                  "--improvement-window", "5", "--json"])
        #expect(window.lastJSON?["stop_reason"] as? String == "relative_improvement")
        let stoppedAt = try #require(window.lastJSON?["iterations"] as? Int)
        #expect(stoppedAt >= 5 && stoppedAt < 500, "a window of 5 iterations is the earliest the test can stop; stopped at \(stoppedAt)")
        let badWindow = try CLI.run(["factorize", dir.path("a.npy"), "--improvement-window", "0"])
        #expect(badWindow.status != 0)
        #expect(badWindow.stderr.contains("--improvement-window must be at least 1, got 0"))
        let lrWithoutAdam = try CLI.run(["factorize", dir.path("a.npy"), "--lr", "0.1"])
        #expect(lrWithoutAdam.status != 0)
        #expect(lrWithoutAdam.stderr.contains("--lr applies to --optimizer adam only"))
        let badRank = try CLI.run(["factorize", dir.path("a.npy"), "--tsvd-rank", "lots"])
        #expect(badRank.status != 0)
        #expect(badRank.stderr.contains("--tsvd-rank must be paper, matched or a rank"))
    }

    /// `--precision float32` runs the float kernel: the JSON says so, and its error (the saved
    /// factors' error, computed in double) is close to the float64 fit's from the same start.
    @Test func precisionReachesTheFit() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        let a = try writeMatrix(dir, "a.npy", rows: 32, columns: 32, seed: 12)
        var errors: [String: Double] = [:]
        for precision in ["float64", "float32"] {
            let result = try CLI.run(["factorize", dir.path("a.npy"), "--iterations", "50", "--seed", "2", "--precision", precision,
                                      "--save", dir.path("\(precision).sfchain"), "--json"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let json = try #require(result.lastJSON)
            #expect(json["precision"] as? String == precision)
            let chain = try FactorFile.load(from: URL(fileURLWithPath: dir.path("\(precision).sfchain")))
            let exact = distance(a, try chain.denseMatrix()) / a.frobeniusNorm
            let reported = try #require(json["sf_relative_error"] as? Double)
            #expect(abs(reported - exact) <= 1e-9, "\(precision): reported \(reported), saved factors give \(exact)")
            errors[precision] = reported
        }
        let (e64, e32) = (try #require(errors["float64"]), try #require(errors["float32"]))
        #expect(e64 != e32)
        #expect(abs(e32 - e64) <= 0.01 * e64, "float32 \(e32) vs float64 \(e64)")
        let bad = try CLI.run(["factorize", dir.path("a.npy"), "--precision", "float16"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("float16"))
        let matrixFree = try CLI.run(["factorize", dir.path("a.npy"), "--matrix-free", "--precision", "float32"])
        #expect(matrixFree.status != 0)
        #expect(matrixFree.stderr.contains("matrix-free objective is float64 only"))
    }

    @Test func sameSeedSameFactorsAtAnyThreadCount() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        // N = 128 so the kernels do split rows across threads.
        try writeMatrix(dir, "a.npy", rows: 128, columns: 128, seed: 5)
        var files: [Data] = []
        for (i, threads) in ["1", "2", "2"].enumerated() {
            let result = try CLI.run(["factorize", dir.path("a.npy"), "--iterations", "4", "--seed", "9", "--threads", threads,
                                      "--save", dir.path("f\(i).sfchain")])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            files.append(try Data(contentsOf: URL(fileURLWithPath: dir.path("f\(i).sfchain"))))
        }
        #expect(files[0] == files[1])
        #expect(files[1] == files[2])
    }

    @Test func badInputFailsWithAClearMessage() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        try writeMatrix(dir, "rect.npy", rows: 4, columns: 6, seed: 6)
        try writeMatrix(dir, "nan.npy", rows: 8, columns: 8, seed: 7) { $0[2, 5] = .nan }
        try writeMatrix(dir, "inf.npy", rows: 8, columns: 8, seed: 7) { $0[0, 1] = -.infinity }
        try writeMatrix(dir, "tiny.npy", rows: 1, columns: 1, seed: 8)
        try writeMatrix(dir, "zero.npy", rows: 4, columns: 4, seed: 8) { $0.values = [Double](repeating: 0, count: 16) }
        try Data("not a numpy file".utf8).write(to: URL(fileURLWithPath: dir.path("corrupt.npy")))
        let cases: [(String, String)] = [
            ("rect.npy", "square matrix"),
            ("nan.npy", "nan"),
            ("inf.npy", "inf"),
            ("tiny.npy", "N must be at least 2"),
            ("zero.npy", "all zeros"),
            ("missing.npy", "no such file"),
            ("corrupt.npy", "corrupt.npy"),
        ]
        for (file, message) in cases {
            let result = try CLI.run(["factorize", dir.path(file), "--iterations", "2", "--json"])
            #expect(result.status != 0, "\(file) should fail")
            #expect(result.stderr.contains(message), "\(file): stderr \(result.stderr)")
            #expect(result.status == (file == "missing.npy" || file == "corrupt.npy" ? 74 : 65), "\(file): exit \(result.status)")
            let error = result.lastJSON?["error"] as? String
            #expect(error?.contains(message) == true, "\(file): the JSON error object names the problem: \(result.stdout)")
        }
        let badTransform = try CLI.run(["factorize", dir.path("nan.npy"), "--transform", "sideways"])
        #expect(badTransform.status != 0)
        #expect(badTransform.stderr.contains("unknown transform"))
    }

    @Test func saveReplacesTheTargetOnlyWhenTheRunSucceeds() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        try writeMatrix(dir, "a.npy", rows: 8, columns: 8, seed: 10)
        try writeMatrix(dir, "nan.npy", rows: 8, columns: 8, seed: 10) { $0[1, 1] = .nan }
        let target = URL(fileURLWithPath: dir.path("out.sfchain"))
        let old = Data("previous content".utf8)
        try old.write(to: target)

        let failed = try CLI.run(["factorize", dir.path("nan.npy"), "--save", target.path])
        #expect(failed.status != 0)
        #expect(try Data(contentsOf: target) == old)
        #expect(try dir.contents() == ["a.npy", "nan.npy", "out.sfchain"])

        let missingDirectory = try CLI.run(["factorize", dir.path("a.npy"), "--save", dir.path("no/such/dir/out.sfchain")])
        #expect(missingDirectory.status != 0)
        #expect(missingDirectory.stderr.contains("does not exist"))

        let succeeded = try CLI.run(["factorize", dir.path("a.npy"), "--iterations", "3", "--save", target.path])
        #expect(succeeded.status == 0, "stderr: \(succeeded.stderr)")
        let chain = try FactorFile.load(from: target)
        #expect(chain.topology.size == 8 && chain.factorCount == 3)
        #expect(try dir.contents() == ["a.npy", "nan.npy", "out.sfchain"])
    }
}
