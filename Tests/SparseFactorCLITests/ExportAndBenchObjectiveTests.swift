import Foundation
import SparseFactor
import Testing

// `factorize --export-matrix` (the transformed matrix, for pyfaust and other tools) and
// `bench objective` (the timing subcommand of the speed comparison), end to end.

@Suite struct ExportAndBenchObjectiveTests {
    /// A data table whose covariance is computed here by the textbook formula, as the oracle.
    static let table: [[Double]] = [[1, 2, 0.5], [3, -1, 2], [0, 4, 1], [2, 2, -3], [5, 0, 0], [-1, 3, 2.5], [4, 1, 1]]

    static func covarianceOracle() throws -> Matrix<Double> {
        let rows = Double(table.count), cols = table[0].count
        let means = (0..<cols).map { j in table.reduce(0) { $0 + $1[j] } / rows }
        var c = try Matrix<Double>(rows: cols, columns: cols)
        for i in 0..<cols {
            for j in 0..<cols {
                c[i, j] = table.reduce(0) { $0 + ($1[i] - means[i]) * ($1[j] - means[j]) } / (rows - 1)
            }
        }
        return c
    }

    @Test func exportWritesTheTransformedMatrix() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        let csv = Self.table.map { $0.map { String($0) }.joined(separator: ",") }.joined(separator: "\n") + "\n"
        try csv.write(toFile: dir.path("t.csv"), atomically: true, encoding: .utf8)
        // An existing file at the target is replaced by the complete new one.
        try Data("not a matrix".utf8).write(to: URL(fileURLWithPath: dir.path("c.npy")))
        let result = try CLI.run(["factorize", dir.path("t.csv"), "--transform", "covariance", "--iterations", "3",
                                  "--export-matrix", dir.path("c.npy"), "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let json = try #require(result.lastJSON, "stdout: \(result.stdout)")
        #expect(json["n"] as? Int == 3)
        #expect(json["exported_matrix"] as? String == dir.path("c.npy"))
        let exported = try NpyReader.read(url: URL(fileURLWithPath: dir.path("c.npy")))
        let oracle = try Self.covarianceOracle()
        #expect(exported.rows == 3 && exported.columns == 3)
        #expect(distance(exported, oracle) < 1e-12 * oracle.frobeniusNorm)
        // The JSON's norm is the exported matrix's norm: the fit ran on the same matrix.
        let norm = try #require(json["matrix_norm"] as? Double)
        #expect(abs(norm - oracle.frobeniusNorm) < 1e-12 * norm)
        #expect(try dir.contents() == ["c.npy", "t.csv"])    // no temporary file left behind
    }

    @Test func exportTargetIsCheckedBeforeAnyWork() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        try writeMatrix(dir, "a.npy", rows: 8, columns: 8, seed: 4)
        let wrongExtension = try CLI.run(["factorize", dir.path("a.npy"), "--export-matrix", dir.path("a.csv")])
        #expect(wrongExtension.status != 0)
        #expect(wrongExtension.stderr.contains(".npy"), "stderr: \(wrongExtension.stderr)")
        let missingDirectory = try CLI.run(["factorize", dir.path("a.npy"), "--export-matrix", dir.path("nowhere/a2.npy")])
        #expect(missingDirectory.status != 0)
        #expect(missingDirectory.stderr.contains("does not exist"), "stderr: \(missingDirectory.stderr)")
        #expect(try dir.contents() == ["a.npy"])
    }

    @Test func benchObjectiveReportsTheTrueLoss() throws {
        let n = 12, seed: UInt64 = 5
        let result = try CLI.run(["bench", "objective", "--n", "\(n)", "--repeats", "2", "--seed", "\(seed)", "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let json = try #require(result.lastJSON, "stdout: \(result.stdout)")
        #expect(json["n"] as? Int == n)
        #expect(json["factors"] as? Int == 4)       // ⌈log2 12⌉
        #expect(json["links"] as? Int == 5)         // 0, 1, 2, 4, 8
        #expect(json["repeats"] as? Int == 2)
        #expect(json["dtype"] as? String == "float64")
        let seconds = try #require(json["seconds_per_evaluation"] as? Double)
        #expect(seconds > 0)

        // Oracle: the same seeded target and initial factors, the product formed densely.
        var rng = SeededGenerator(seed: seed)
        let a = try Matrix<Double>(rows: n, columns: n, values: (0..<(n * n)).map { _ in rng.nextUnit() * 2 - 1 })
        let chain = try FactorChain<Double>.rowNormalized(topology: ChordTopology(size: n), seed: seed)
        let expected = 0.5 * pow(distance(a, try chain.denseMatrix()), 2)
        let loss = try #require(json["objective"] as? Double)
        #expect(abs(loss - expected) < 1e-10 * expected)
    }

    @Test func benchObjectiveRefusesBadSizes() throws {
        let tiny = try CLI.run(["bench", "objective", "--n", "1"])
        #expect(tiny.status != 0)
        #expect(tiny.stderr.contains("at least 2"), "stderr: \(tiny.stderr)")
        let noRepeats = try CLI.run(["bench", "objective", "--n", "8", "--repeats", "0"])
        #expect(noRepeats.status != 0)
        #expect(noRepeats.stderr.contains("--repeats"), "stderr: \(noRepeats.stderr)")
    }
}
