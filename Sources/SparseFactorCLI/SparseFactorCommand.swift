import ArgumentParser
import Foundation
import SparseFactor

@main
struct SparseFactorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sparsefactor",
        abstract: "Sparse factorization of square matrices with Chord-pattern factors.",
        version: SparseFactorVersion.string,
        subcommands: [Demo.self, Bench.self, Train.self, Factorize.self, Apply.self])
}

/// Prints one JSON object on a line of its own (the last line of a command run with --json).
func printJSONLine(_ object: [String: Any]) {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    print(String(decoding: data, as: UTF8.self))
}

/// Runs a command body, turning library errors into a clear message and a non-zero exit.
func runReportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let error as SparseFactorError {
        throw ValidationError(error.description)
    }
}
