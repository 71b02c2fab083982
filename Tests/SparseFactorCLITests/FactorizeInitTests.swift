import Foundation
import SparseFactor
import SparseFactorTestSupport
import Testing

// `factorize --init diagonal`: the start is diag(A) (checked on the saved factors), a fit from it ends no
// worse than that, and a pattern without the self-link or a bad value is refused. `--sparsity butterfly
// --init gaussian --symmetric` recovers a Walsh–Hadamard matrix (Sylvester's formula) to round-off.

@Suite struct FactorizeInitTests {
    /// A 32×32 diagonally dominant matrix: diagonal in [2, 4), off-diagonal entries in ±0.05.
    func dominant(_ dir: ScratchDirectory) throws -> Matrix<Double> {
        try writeMatrix(dir, "d.npy", rows: 32, columns: 32, seed: 31) { a in
            for i in 0..<32 { for j in 0..<32 { a[i, j] = i == j ? 3 + a[i, j] : 0.05 * a[i, j] } }
        }
    }

    func offDiagonalError(_ a: Matrix<Double>) -> Double {
        var rest = a
        for i in 0..<a.rows { rest[i, i] = 0 }
        return rest.frobeniusNorm / a.frobeniusNorm
    }

    @Test func theDiagonalStartAndAFitFromIt() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        let a = try dominant(dir)
        let best = offDiagonalError(a)
        for iterations in [0, 30] {
            let result = try CLI.run(["factorize", dir.path("d.npy"), "--init", "diagonal", "--init-noise", "0",
                                      "--iterations", String(iterations), "--save", dir.path("d.sfchain"), "--json"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let json = try #require(result.lastJSON, "stdout: \(result.stdout)")
            #expect(json["init"] as? String == "diagonal" && json["init_noise"] as? Double == 0)
            let start = try #require(json["start_relative_error"] as? Double)
            #expect(abs(start - best) <= 1e-12, "start \(start), diagonal \(best)")
            let chain = try FactorFile.load(from: URL(fileURLWithPath: dir.path("d.sfchain")))
            let error = distance(a, try chain.denseMatrix()) / a.frobeniusNorm
            #expect(abs(try #require(json["sf_relative_error"] as? Double) - error) <= 1e-9)
            if iterations == 0 {
                #expect(abs(error - best) <= 1e-12, "the saved start is diag(A): \(error) against \(best)")
            } else {
                #expect(error < best, "the fit improved on the diagonal: \(error) against \(best)")
            }
        }
        let paper = try CLI.run(["factorize", dir.path("d.npy"), "--init", "paper", "--iterations", "0", "--json"])
        #expect(paper.lastJSON?["init"] as? String == "paper" && paper.lastJSON?["init_noise"] as? Double == 0.01)
        #expect(paper.lastJSON?["init_used"] as? String == "paper")
        // auto, the default: this matrix's diagonal leaves far less than 0.6 of it, so the start is exactly diag(A).
        let auto = try CLI.run(["factorize", dir.path("d.npy"), "--iterations", "0", "--json"])
        #expect(auto.lastJSON?["init"] as? String == "auto" && auto.lastJSON?["init_used"] as? String == "diagonal", "\(auto.stderr)")
        #expect(auto.lastJSON?["init_noise"] as? Double == 0 && auto.lastJSON?["init_rejected"] == nil)
        #expect(abs(try #require(auto.lastJSON?["start_relative_error"] as? Double) - best) <= 1e-12)
    }

    // auto on a matrix whose diagonal leaves about 0.68 of it (above the threshold), with a paper fit of 5
    // iterations that does not get there: the fit is done again from diag(A), and the JSON says so.
    @Test func autoFitsAgainFromTheDiagonal() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        let a = try writeMatrix(dir, "m.npy", rows: 32, columns: 32, seed: 7) { a in for i in 0..<32 { a[i, i] = 3.5 } }
        let best = offDiagonalError(a)
        #expect(best > 0.6 && best < 0.75, "the case needs diag(A) to leave more than the threshold: \(best)")
        let result = try CLI.run(["factorize", dir.path("m.npy"), "--iterations", "5", "--json"])
        let json = try #require(result.lastJSON, "stdout: \(result.stdout) stderr: \(result.stderr)")
        #expect(json["init_used"] as? String == "diagonal" && json["init_noise"] as? Double == 0)
        let rejected = try #require(json["init_rejected"] as? [String: Any])
        #expect(rejected["init"] as? String == "paper" && rejected["iterations"] as? Int == 5)
        #expect(abs(try #require(rejected["diagonal_relative_error"] as? Double) - best) <= 1e-12)
        #expect(try #require(rejected["relative_error"] as? Double) >= best)
        #expect(try #require(json["sf_relative_error"] as? Double) < best)
        let text = try CLI.run(["factorize", dir.path("m.npy"), "--iterations", "5"])
        #expect(text.stdout.contains("fitted again from the diagonal"), "\(text.stdout)")
    }

    @Test func butterflySparsityFindsHadamard() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        let n = 32
        let h = try sylvesterHadamard(n)
        try NpyWriter.write(h, to: URL(fileURLWithPath: dir.path("h.npy")))
        let result = try CLI.run(["factorize", dir.path("h.npy"), "--symmetric", "--sparsity", "butterfly", "--init", "gaussian",
                                  "--iterations", "3000", "--gradient-tolerance", "0", "--improvement-tolerance", "0",
                                  "--save", dir.path("h.sfchain"), "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let json = try #require(result.lastJSON, "stdout: \(result.stdout)")
        #expect(json["sparsity"] as? String == "butterfly" && json["init"] as? String == "gaussian")
        let chain = try FactorFile.load(from: URL(fileURLWithPath: dir.path("h.sfchain")))
        let error = distance(h, try chain.denseMatrix()) / h.frobeniusNorm
        #expect(error <= 1e-9, "relative error \(error)")
        // Each row of each factor keeps at most two non-zeros: itself and its butterfly partner.
        let k = chain.topology.linksPerRow
        for row in 0..<(chain.factorCount * n) {
            #expect(chain.values[(row * k)..<((row + 1) * k)].filter { $0 != 0 }.count <= 2)
        }
    }

    @Test func badStartsAreRefused() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        _ = try dominant(dir)
        let cases: [([String], Int32, String, String)] = [
            (["--init", "diagonal", "--no-self-link"], 65, "the diagonal initialization needs the self-link", "invalid-argument"),
            (["--init", "identity"], 64, "identity", "usage"),
            (["--init-noise", "-1"], 64, "--init-noise must be a finite number ≥ 0, got -1", "usage"),
            (["--init-noise", "nan"], 64, "--init-noise must be a finite number ≥ 0", "usage"),
            (["--sparsity", "butterfly", "--permutation-seed", "3"], 65, "needs an unpermuted ring", "invalid-argument"),
            (["--sparsity", "butterfly", "--factors", "6"], 65, "at most ⌈log2 N⌉ = 5 factors", "invalid-argument"),
            (["--sparsity", "blocks"], 64, "blocks", "usage"),
        ]
        for (options, code, message, kind) in cases {
            let result = try CLI.run(["factorize", dir.path("d.npy"), "--iterations", "2", "--json"] + options)
            #expect(!result.signaled && result.status == code, "\(options): exit \(result.status); stderr \(result.stderr)")
            #expect(result.stderr.contains(message), "\(options): stderr \(result.stderr)")
            #expect(result.lastJSON?["kind"] as? String == kind, "\(options): stdout \(result.stdout)")
        }
    }
}
