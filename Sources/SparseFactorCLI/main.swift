import ArgumentParser
import Foundation

// The entry point: ArgumentParser parses and runs the command; what it cannot tell a script is
// added here. Usage errors also give a JSON error object under --json, and a standard output that
// could not be written (a full disk, a closed pipe) is a failure, not exit 0.
signal(SIGPIPE, SIG_IGN)   // a closed pipe becomes a write error (EPIPE) reported below, never a signal
Processes.silenceFollowers()   // under mpirun, rank 0 alone writes standard output
let arguments = Array(CommandLine.arguments.dropFirst())
do {
    var command = try SparseFactorCommand.parseAsRoot(arguments)
    try command.run()
} catch let exit as ExitCode {
    finishStandardOutput()
    Processes.finish(code: exit.rawValue)
} catch {
    let code = SparseFactorCommand.exitCode(for: error)
    if arguments.contains("--json"), code != .success {
        printJSONLine(["error": SparseFactorCommand.message(for: error), "kind": "usage"])
    }
    finishStandardOutput()
    if code == .success || Processes.launchRank == 0 {
        SparseFactorCommand.exit(withError: error)   // help, version and usage text; a usage error is every rank's: rank 0 says it
    }
    Processes.finish(code: code.rawValue)
}
finishStandardOutput()
Processes.finish(code: 0)

/// Flushes standard output; if a write fails, says so and exits with the I/O code. (A failed write
/// keeps failing on a full disk or a closed pipe, so the final flush of what is buffered reports it;
/// `fflush(nil)` flushes every stream without naming the `stdout` global, which Swift 6 refuses.)
func finishStandardOutput() {
    guard fflush(nil) != 0 else { return }
    let reason = String(cString: strerror(errno))
    FileHandle.standardError.write(Data("sparsefactor: I/O error: cannot write standard output: \(reason)\n".utf8))
    Foundation.exit(CommandFailure.io)
}
