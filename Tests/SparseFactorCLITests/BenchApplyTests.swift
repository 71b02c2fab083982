import Foundation
import SparseFactor
import Testing

// `bench apply` end to end: what it reports is the chain it describes, the dense side computes the
// same product, the dense side is skipped (with the reason) over the memory limit, and bad sizes fail.
// No timing is asserted beyond the report's own consistency.

@Suite struct BenchApplyTests {
    @Test(arguments: [("float64", 1e-13), ("float32", 1e-5)])
    func chainAndDenseProductsAgree(precision: String, tolerance: Double) throws {
        let result = try CLI.run(["bench", "apply", "--n", "48", "--channels", "5", "--precision", precision,
                                  "--repeats", "3", "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let json = try #require(result.lastJSON, "stdout: \(result.stdout)")
        let topology = try ChordTopology(size: 48)
        #expect(json["n"] as? Int == 48 && json["channels"] as? Int == 5)
        #expect(json["factors"] as? Int == 6 && json["links"] as? Int == topology.linksPerRow)
        #expect(json["nonzeros"] as? Int == topology.nonzeros(factors: 6))
        #expect(json["dtype"] as? String == precision)
        #expect(json["repeats"] as? Int == 3 && json["dense_repeats"] as? Int == 3)
        let ms = try #require(json["ms"] as? Double), fastest = try #require(json["ms_min"] as? Double)
        #expect(fastest > 0 && fastest <= ms)
        let dense = try #require(json["dense_ms"] as? Double)
        // The dense side names the OpenBLAS kernels it ran, as this process's OpenBLAS chose them.
        #expect(json["blas_core"] as? String == Parallelism.blasCore && !Parallelism.blasCore.isEmpty)
        #expect(abs(try #require(json["ratio"] as? Double) - dense / ms) <= 1e-12 * dense / ms)
        // A·X with A = W1⋯WM built from the chain is W1⋯WM·X up to rounding.
        let difference = try #require(json["max_difference"] as? Double)
        #expect(difference <= tolerance, "max difference \(difference)")
    }

    @Test func denseSideIsSkippedOverTheMemoryLimit() throws {
        let limited = try CLI.run(["bench", "apply", "--n", "1024", "--channels", "2", "--repeats", "1", "--json"],
                                  environment: ["SPARSEFACTOR_MEMORY_LIMIT": "2M"])
        #expect(limited.status == 0, "stderr: \(limited.stderr)")
        let json = try #require(limited.lastJSON)
        #expect(json["ms"] is Double)
        #expect(json["dense_ms"] == nil && json["ratio"] == nil)
        #expect((json["dense_skipped"] as? String)?.contains("over the limit of 2.0 MiB") == true, "\(json)")
        let skipped = try CLI.run(["bench", "apply", "--n", "64", "--channels", "2", "--repeats", "1", "--no-dense", "--json"])
        #expect(skipped.lastJSON?["dense_skipped"] as? String == "--no-dense")
    }

    /// `--factors` times a saved chain (N from the file); `--matrix` puts a given matrix on the dense side and
    /// reports the chain's error on X: 0 for the chain's own dense form, exactly 1/2 for twice it (whatever X is).
    @Test func savedFactorsAgainstAGivenMatrix() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        try writeMatrix(dir, "a.npy", rows: 40, columns: 40, seed: 30)
        let fit = try CLI.run(["factorize", dir.path("a.npy"), "--iterations", "5", "--save", dir.path("f.sfchain")])
        #expect(fit.status == 0, "stderr: \(fit.stderr)")
        let w = try FactorFile.load(from: URL(fileURLWithPath: dir.path("f.sfchain"))).denseMatrix()
        try NpyWriter.write(w, to: URL(fileURLWithPath: dir.path("w.npy")))
        try NpyWriter.write(Matrix(rows: 40, columns: 40, values: w.values.map { 2 * $0 }), to: URL(fileURLWithPath: dir.path("w2.npy")))
        for (file, error) in [("w.npy", 0.0), ("w2.npy", 0.5)] {
            let result = try CLI.run(["bench", "apply", "--factors", dir.path("f.sfchain"), "--matrix", dir.path(file),
                                      "--channels", "3", "--repeats", "1", "--json"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let json = try #require(result.lastJSON, "stdout: \(result.stdout)")
            #expect(json["n"] as? Int == 40 && json["factors_file"] as? String == dir.path("f.sfchain"))
            #expect(json["matrix"] as? String == dir.path(file) && json["max_difference"] == nil)
            let measured = try #require(json["relative_error_on_x"] as? Double)
            #expect(abs(measured - error) <= 1e-12, "\(file): \(measured)")
        }
        // Sizes that disagree, and a dense side both named and turned off, fail with the reason.
        try writeMatrix(dir, "b.npy", rows: 41, columns: 41, seed: 31)
        let cases: [([String], Int32, String)] = [
            (["--matrix", dir.path("b.npy")], 65, "a square matrix of size 40 (the factors' N)"),
            (["--n", "64"], 65, "factors of N = 40"),
            (["--matrix", dir.path("w.npy"), "--no-dense"], 64, "give one of them"),
        ]
        for (options, code, message) in cases {
            let result = try CLI.run(["bench", "apply", "--factors", dir.path("f.sfchain"), "--repeats", "1"] + options + ["--json"])
            #expect(result.status == code && result.stderr.contains(message), "\(options): exit \(result.status); stderr \(result.stderr)")
        }
        // float32 converts the matrix while the double one is still held: 12·N² bytes at once (19,200 for
        // N = 40), checked before the copy. Under a 16 KiB limit the reader's 12,800 bytes pass, the copy does not.
        let tight = try CLI.run(["bench", "apply", "--factors", dir.path("f.sfchain"), "--matrix", dir.path("w.npy"),
                                 "--precision", "float32", "--channels", "3", "--repeats", "1", "--json"],
                                environment: ["SPARSEFACTOR_MEMORY_LIMIT": "16K"])
        #expect(tight.status != 0 && tight.stderr.contains("and its Float copy needs about 18.8 KiB"), "exit \(tight.status); stderr \(tight.stderr)")
        let roomy = try CLI.run(["bench", "apply", "--factors", dir.path("f.sfchain"), "--matrix", dir.path("w.npy"),
                                 "--precision", "float32", "--channels", "3", "--repeats", "1", "--json"],
                                environment: ["SPARSEFACTOR_MEMORY_LIMIT": "20K"])
        #expect(roomy.status == 0, "stderr: \(roomy.stderr)")
        #expect(try #require(roomy.lastJSON?["relative_error_on_x"] as? Double) <= 1e-5)
    }

    @Test func badSizesFailClearly() throws {
        let cases: [([String], Int32, String)] = [
            (["--n", "1"], 64, "--n must be at least 2, got 1"),
            (["--channels", "0"], 64, "--channels must be at least 1, got 0"),
            (["--precision", "float16"], 64, "float16"),
            (["--repeats", "0"], 64, "--repeats must be at least 1"),
            (["--n", String(Int.max)], 65, "too large"),
            (["--n", "64", "--channels", String(Int.max)], 65, "more memory than can be counted"),
        ]
        for (options, code, message) in cases {
            let result = try CLI.run(["bench", "apply"] + options + ["--json"])
            #expect(!result.signaled, "\(options)")
            #expect(result.status == code, "\(options): exit \(result.status); stderr \(result.stderr)")
            #expect(result.stderr.contains(message), "\(options): stderr \(result.stderr)")
            #expect((result.lastJSON?["error"] as? String)?.isEmpty == false, "\(options): stdout \(result.stdout)")
        }
    }
}
