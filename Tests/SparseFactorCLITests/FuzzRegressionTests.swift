import Foundation
import SparseFactor
import Testing

/// Every input the fuzzers found (Fuzz/regressions/TARGET/), read the way the harness reads it
/// (FuzzTarget.swift is the harness's own file): each must be refused with a SparseFactorError,
/// never crash the process.
@Suite struct FuzzRegressionTests {
    static let regressions = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/regressions")

    static var inputs: [(target: String, file: URL)] {
        let fm = FileManager.default
        let targets = (try? fm.contentsOfDirectory(atPath: regressions.path)) ?? []
        return targets.sorted().flatMap { target in
            ((try? fm.contentsOfDirectory(atPath: regressions.appendingPathComponent(target).path)) ?? []).sorted().map {
                (target, regressions.appendingPathComponent(target).appendingPathComponent($0))
            }
        }
    }

    @Test func thereAreRegressionInputs() {
        #expect(Self.inputs.count >= 1, "no inputs under \(Self.regressions.path)")
    }

    @Test func everyFindingIsRefusedCleanly() throws {
        for (name, file) in Self.inputs {
            let target = try #require(FuzzTarget(name: name), "\(name) names no fuzz target")
            let data = try Data(contentsOf: file)
            #expect(throws: SparseFactorError.self, "\(name)/\(file.lastPathComponent)") { try target.read(data) }
        }
    }
}
