import ArgumentParser
import SparseFactor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks of the kernels.", subcommands: [BenchSpmm.self])
}

struct BenchSpmm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spmm", abstract: "Time one Chord factor × dense block product.")
    func run() throws {}
}
