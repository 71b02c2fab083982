import Foundation
import Testing

@Suite struct DemoCommandTests {
    @Test func demoFactorizesAndChecksTheKernels() throws {
        let result = try CLI.run(["demo", "--n", "32", "--iterations", "30", "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let json = try #require(result.lastJSON)
        #expect(json["n"] as? Int == 32)
        #expect(json["factors"] as? Int == 5)
        #expect(json["links"] as? Int == 6)
        #expect(json["nonzeros"] as? Int == 5 * 32 * 6)
        #expect(json["tsvd_rank"] as? Int == 13)
        let sf = try #require(json["sf_relative_error"] as? Double)
        #expect(sf > 0 && sf < 1, "30 L-BFGS iterations must improve on the initialization")
        let difference = try #require(json["kernel_vs_blas_max_difference"] as? Double)
        #expect(difference < 1e-10)
    }

    @Test func demoPrintsAHumanSummary() throws {
        let result = try CLI.run(["demo", "--n", "16", "--iterations", "5"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("Chord factors: M = 4 factors, K = 5 links per row"))
        #expect(result.stdout.contains("Truncated SVD:  relative error"))
    }

    @Test func demoRefusesTooSmallN() throws {
        for n in ["1", "3"] {
            let result = try CLI.run(["demo", "--n", n])
            #expect(result.status == 64, "a usage error: \(result.stderr)")
            #expect(result.stderr.contains("--n must be at least 16"), "stderr: \(result.stderr)")
        }
    }
}
