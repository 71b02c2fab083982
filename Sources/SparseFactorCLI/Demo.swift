import ArgumentParser
import SparseFactor

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply a Chord factor chain to a block and check it against the dense product.")
    @Option(help: "Matrix size N (≥ 2).") var n: Int = 1024
    @Option(help: "Channels C of the block.") var channels: Int = 8
    @Option(help: "Random seed.") var seed: UInt64 = 1

    func run() throws {
        try runReportingErrors {
            let topology = try ChordTopology(size: n)
            print("Chord topology: N = \(n), K = \(topology.linksPerRow) links per row, M = \(topology.defaultFactorCount) factors, \(topology.nonzeros(factors: topology.defaultFactorCount)) non-zeros")
        }
    }
}
