import Foundation
import SparseFactor
import Testing

// `factorize` with the pattern options: each reaches the fit (the saved factors have the pattern the
// library builds from the same arguments, and the reported error is the saved factors' true error),
// the JSON names the pattern, and bad values fail with the documented code and a JSON error object.

@Suite struct FactorizeTopologyTests {
    /// Runs `factorize` on a seeded 16×16 matrix with `options`, saving the factors; returns the JSON and the chain.
    func fit(_ options: [String], dir: ScratchDirectory) throws -> (json: [String: Any], chain: FactorChain<Double>, a: Matrix<Double>) {
        let a = try writeMatrix(dir, "a.npy", rows: 16, columns: 16, seed: 21)
        let result = try CLI.run(["factorize", dir.path("a.npy"), "--iterations", "20", "--save", dir.path("a.sfchain"), "--json"] + options)
        #expect(result.status == 0, "\(options): stderr \(result.stderr)")
        let json = try #require(result.lastJSON, "\(options): stdout \(result.stdout)")
        let chain = try FactorFile.load(from: URL(fileURLWithPath: dir.path("a.sfchain")))
        let reported = try #require(json["sf_error"] as? Double)
        #expect(abs(reported - distance(a, try chain.denseMatrix())) <= 1e-9 * a.frobeniusNorm, "\(options)")
        return (json, chain, a)
    }

    @Test func eachPatternOptionReachesTheFit() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        let cases: [([String], ChordTopology, Int)] = [
            (["--symmetric"], try ChordTopology(size: 16, symmetric: true), 4),
            (["--base", "3", "--factors", "2"], try ChordTopology(size: 16, base: 3), 2),
            (["--offsets", "1,5,11", "--no-self-link"], try ChordTopology(size: 16, offsets: [1, 5, 11], selfLink: false), 4),
            (["--offsets", "3,1"], try ChordTopology(size: 16, offsets: [0, 3, 1]), 4),
            (["--permutation-seed", "7", "--factors", "6"], try ChordTopology(size: 16, permutationSeed: 7), 6),
            (["--no-self-link", "--symmetric"], try ChordTopology(size: 16, symmetric: true, selfLink: false), 4),
        ]
        for (options, expected, m) in cases {
            let (json, chain, _) = try fit(options, dir: dir)
            #expect(chain.topology == expected, "\(options): saved offsets \(chain.topology.offsets)")
            #expect(chain.factorCount == m, "\(options)")
            #expect(json["factors"] as? Int == m && json["links"] as? Int == expected.linksPerRow, "\(options)")
            #expect(json["nonzeros"] as? Int == m * 16 * expected.linksPerRow, "\(options)")
            let topology = try #require(json["topology"] as? [String: Any], "\(options)")
            #expect(topology["offsets"] as? [Int] == expected.offsets, "\(options)")
            #expect(topology["links"] as? Int == expected.linksPerRow && topology["factors"] as? Int == m, "\(options)")
            #expect(topology["merged_links"] as? Int == expected.mergedLinks, "\(options)")
            #expect(topology["self_link"] as? Bool == !options.contains("--no-self-link"), "\(options)")
            #expect(topology["symmetric"] as? Bool == options.contains("--symmetric"), "\(options)")
            #expect(topology["pattern"] as? String == (options.contains("--offsets") ? "offsets" : "chord"), "\(options)")
            if let seed = expected.permutationSeed {
                #expect((topology["permutation_seed"] as? NSNumber)?.uint64Value == seed)
            } else {
                #expect(topology["permutation_seed"] is NSNull, "\(options)")
            }
        }
    }

    @Test func theDefaultPatternIsReportedToo() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        let (json, chain, _) = try fit([], dir: dir)
        #expect(chain.topology == (try ChordTopology(size: 16)))
        let topology = try #require(json["topology"] as? [String: Any])
        #expect(topology["offsets"] as? [Int] == [0, 1, 2, 4, 8])
        #expect(topology["base"] as? Int == 2 && topology["symmetric"] as? Bool == false)
    }

    @Test func badPatternValuesFailClearly() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanUp() }
        try writeMatrix(dir, "a.npy", rows: 16, columns: 16, seed: 22)
        let cases: [([String], Int32, String, String)] = [
            (["--offsets", "1,2,1"], 64, "must not repeat an offset, got 1 twice", "usage"),
            (["--offsets", "-3"], 64, "--offsets must be positive", "usage"),
            (["--offsets", "0,1"], 64, "0 is added unless --no-self-link", "usage"),
            (["--offsets", "1,x"], 64, "comma-separated integers, got \"x\"", "usage"),
            (["--offsets", "1,16"], 65, "--offsets must be in 1…15 for this 16×16 matrix, got 16", "invalid-argument"),
            (["--offsets", "2", "--symmetric"], 64, "cannot be combined", "usage"),
            (["--offsets", "2", "--base", "3"], 64, "cannot be combined", "usage"),
            (["--factors", "0"], 64, "--factors must be between 1 and 4096, got 0", "usage"),
            (["--factors", "-2"], 64, "got -2", "usage"),
            (["--base", "1"], 64, "--base must be at least 2, got 1", "usage"),
            (["--permutation-seed", "-1"], 64, "-1", "usage"),
        ]
        for (options, code, message, kind) in cases {
            let result = try CLI.run(["factorize", dir.path("a.npy"), "--iterations", "2", "--json"] + options)
            #expect(!result.signaled, "\(options)")
            #expect(result.status == code, "\(options): exit \(result.status); stderr \(result.stderr)")
            #expect(result.stderr.contains(message), "\(options): stderr \(result.stderr)")
            #expect(result.lastJSON?["kind"] as? String == kind, "\(options): stdout \(result.stdout)")
            #expect((result.lastJSON?["error"] as? String)?.contains(message) == true, "\(options)")
        }
    }
}
