import ArgumentParser
import Foundation
import SparseFactor

struct SparseFactorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sparsefactor",
        abstract: "Sparse factorization of square matrices with Chord-pattern factors.",
        discussion: """
            Exit status: 0 success, 64 usage (unknown option, bad value syntax, out-of-range option), \
            65 bad data or a size over the limits, 70 internal kernel failure, 74 input/output failure, \
            1 anything else. With --json, a failure's last line on standard output is one JSON object \
            {"error": "...", "kind": "..."}.
            """,
        version: SparseFactorVersion.string,
        subcommands: [Demo.self, Bench.self, Train.self, Evaluate.self, DataCommand.self, Factorize.self, Apply.self])
}

/// Prints one JSON object on a line of its own (the last line of a command run with --json).
func printJSONLine(_ object: [String: Any]) {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    print(String(decoding: data, as: UTF8.self))
}

/// Runs a command body; a failure prints one message (no usage banner) and, with `json`, a JSON
/// error object, then exits with the failure's documented code (``CommandFailure``).
func runReportingErrors(json: Bool, _ body: () throws -> Void) throws {
    do { try body() } catch let exit as ExitCode { throw exit } catch {
        let failure = CommandFailure(error)
        failure.report(json: json)
        throw ExitCode(failure.code)
    }
}

/// The kernels a command ran on, for its JSON: the CPU's code path, OpenBLAS's kernel family and, when
/// OpenBLAS fell back to a pre-AVX2 one, the `OPENBLAS_CORETYPE` value for better ones (else null).
func kernelJSONFields() -> [String: Any] {
    ["cpu": Parallelism.cpuDispatch, "blas_core": Parallelism.blasCore,
     "blas_core_suggested": Parallelism.suggestedBLASCore.map { $0 as Any } ?? NSNull()]
}

/// A note on standard error when OpenBLAS runs pre-AVX2 kernels on a CPU with AVX2 or AVX-512 and
/// `OPENBLAS_CORETYPE` is unset (``Parallelism/suggestedBLASCore``): dense layers, most of a
/// baseline's step, then run up to 2× slower, which matters when models are compared by time.
func noteGenericBLAS() {
    guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil, let core = Parallelism.suggestedBLASCore else { return }
    FileHandle.standardError.write(Data("""
        sparsefactor: note: OpenBLAS runs its generic "\(Parallelism.blasCore)" kernels on this \(Parallelism.cpuDispatch) CPU, \
        which slows dense layers (the attention baselines' steps up to 2×); start with OPENBLAS_CORETYPE=\(core) for its vector kernels

        """.utf8))
}
