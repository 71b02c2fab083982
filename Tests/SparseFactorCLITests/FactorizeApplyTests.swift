import Foundation
import SparseFactor
import Testing

// `sparsefactor apply`: a saved approximation times vectors, checked against the dense product
// of the saved factors multiplied through BLAS.

@Suite struct FactorizeApplyTests {
    /// Saves a fitted 16×16 approximation in `dir` and returns its dense matrix W₁⋯W_M.
    func savedApproximation(_ dir: ScratchDirectory) throws -> Matrix<Double> {
        try writeMatrix(dir, "a.npy", rows: 16, columns: 16, seed: 20)
        let fit = try CLI.run(["factorize", dir.path("a.npy"), "--iterations", "10", "--save", dir.path("f.sfchain")])
        #expect(fit.status == 0, "stderr: \(fit.stderr)")
        return try FactorFile.load(from: URL(fileURLWithPath: dir.path("f.sfchain"))).denseMatrix()
    }

    @Test func appliesToNpyVectorsAndWritesNpy() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        let w = try savedApproximation(dir)
        let x = try writeMatrix(dir, "x.npy", rows: 16, columns: 3, seed: 21)
        for transpose in [false, true] {
            let result = try CLI.run(["apply", dir.path("f.sfchain"), dir.path("x.npy"), "--output", dir.path("y.npy")]
                                     + (transpose ? ["--transpose"] : []))
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let y = try NpyReader.read(url: URL(fileURLWithPath: dir.path("y.npy")))
            let want = try (transpose ? w.transposed : w).multiplied(by: x)
            #expect(y.rows == 16 && y.columns == 3)
            #expect(distance(y, want) <= 1e-12 * want.frobeniusNorm)
            #expect(want.frobeniusNorm > 0.1)
        }
    }

    @Test func appliesToACSVVectorAndPrints() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        let w = try savedApproximation(dir)
        // One row of 16 numbers: a single vector, given back as a row.
        let v = (0..<16).map { Double($0) - 7.5 }
        try Data((v.map { "\($0)" }.joined(separator: ",") + "\n").utf8).write(to: URL(fileURLWithPath: dir.path("v.csv")))
        let printed = try CLI.run(["apply", dir.path("f.sfchain"), dir.path("v.csv")])
        #expect(printed.status == 0, "stderr: \(printed.stderr)")
        let lines = printed.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let got = lines.first.map { $0.split(separator: ",").compactMap { Double($0) } } ?? []
        let want = try w.multiplied(by: Matrix(rows: 16, columns: 1, values: v)).values
        #expect(got.count == 16)
        for (g, e) in zip(got, want) { #expect(abs(g - e) <= 1e-12 * (abs(e) + 1)) }

        let written = try CLI.run(["apply", dir.path("f.sfchain"), dir.path("v.csv"), "--output", dir.path("out.csv")])
        #expect(written.status == 0, "stderr: \(written.stderr)")
        #expect(try String(contentsOfFile: dir.path("out.csv"), encoding: .utf8) == printed.stdout)
    }

    @Test func refusesMismatchedOrMissingInput() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        _ = try savedApproximation(dir)
        try writeMatrix(dir, "x.npy", rows: 15, columns: 2, seed: 22)
        let old = Data("keep me".utf8)
        try old.write(to: URL(fileURLWithPath: dir.path("y.npy")))

        let wrongRows = try CLI.run(["apply", dir.path("f.sfchain"), dir.path("x.npy"), "--output", dir.path("y.npy")])
        #expect(wrongRows.status != 0)
        #expect(wrongRows.stderr.contains("N = 16 rows"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("y.npy"))) == old)

        let noFactors = try CLI.run(["apply", dir.path("none.sfchain"), dir.path("x.npy")])
        #expect(noFactors.status != 0)
        #expect(noFactors.stderr.contains("none.sfchain"))

        let notFactors = try CLI.run(["apply", dir.path("a.npy"), dir.path("x.npy")])
        #expect(notFactors.status != 0)
        #expect(notFactors.stderr.contains("a.npy"))

        let badExtension = try CLI.run(["apply", dir.path("f.sfchain"), dir.path("x.npy"), "--output", dir.path("y.txt")])
        #expect(badExtension.status != 0)
        #expect(badExtension.stderr.contains("--output must end in .npy or .csv"))
    }
}
