import Foundation
import SparseFactor
import SparseFactorDistributed

/// The processes of one `sparsefactor` run: under an MPI launcher (`mpirun -np R sparsefactor …`)
/// the ranks of MPI's world, started by the first command that splits its work (`factorize`,
/// `train`); otherwise this process alone, and MPI is never started. Only rank 0 writes standard
/// output and files; every rank reports its own errors on standard error.
enum Processes {
    /// The rank the launcher gave this process, known before MPI starts (0 without a launcher).
    static let launchRank: Int = {
        let environment = ProcessInfo.processInfo.environment
        let rank = ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"].lazy.compactMap { environment[$0].flatMap(Int.init) }.first
        return rank ?? 0
    }()

    nonisolated(unsafe) private static var world: MPIProcessGroup?

    /// Whether this process writes the run's outputs: rank 0, or the only process.
    static var isLeader: Bool { launchRank == 0 }

    /// MPI's world under a launcher (started on the first call; any -np, 1 included, so that every
    /// rank count splits the same way), else nil: this process alone, without MPI.
    static func group() throws -> (any ProcessGroup)? {
        guard MPIProcessGroup.isLaunched else { return nil }
        let group = try MPIProcessGroup.world()
        world = group
        return group
    }

    /// Ranks other than 0 write nothing on standard output (the results, JSON and progress are rank 0's).
    static func silenceFollowers() {
        guard launchRank > 0 else { return }
        let null = open("/dev/null", O_WRONLY)
        guard null >= 0 else { return }
        dup2(null, STDOUT_FILENO)   // the descriptor under C's stdout and FileHandle.standardOutput alike
        close(null)
    }

    /// The last step of a run that ends with `code`: MPI is finalized after a success; after a failure
    /// in a job of several ranks the whole job is ended (MPI_Abort with the code), since the other ranks
    /// may be waiting for this one in a collective call. Without MPI, a plain exit.
    static func finish(code: Int32) -> Never {
        if let world {
            if code == 0 || world.size == 1 {
                world.finalize()
            } else {
                world.abort(code: code)
            }
        }
        exit(code)
    }

    /// The prefix of a rank's error message ("rank 2: "), empty for rank 0. A rank other than 0 waits
    /// half a second first: when rank 0 met the same error (the usual case: every rank reads the same
    /// input) its abort ends the job before the message would be repeated.
    static func errorPrefix() -> String {
        guard launchRank > 0 else { return "" }
        if world != nil { usleep(500_000) }
        return "rank \(launchRank): "
    }
}
