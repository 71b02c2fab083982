import SparseFactorCore
import SparseFactorDistributed
import Testing

/// The MPI group as a singleton (this test process is not started by mpirun): world() starts MPI once
/// and hands back the same group, gathers of one rank return their input, bad counts are refused
/// before any MPI call, and after finalize MPI cannot start again. The multi-rank behaviour (ranks'
/// pieces gathered in rank order, bit-identical fits and training for 1, 2 and 3 ranks, a killed rank)
/// is tested under mpirun by scripts/test-distributed.sh. One test: MPI starts and ends once per process.
@Suite struct MPIProcessGroupTests {
    @Test func singletonWorldGathersItsOwnPieces() throws {
        #expect(!MPIProcessGroup.isLaunched, "this test runs without mpirun")
        let world = try MPIProcessGroup.world()
        #expect(world.rank == 0 && world.size == 1)
        #expect(try MPIProcessGroup.world() === world)
        #expect(world.libraryVersion.contains("MPI"), "version line: \(world.libraryVersion)")

        let doubles: [Double] = [1.5, -0.0, .infinity, .leastNonzeroMagnitude]
        let gathered = try world.allGather(doubles, counts: [4])
        #expect(gathered.map(\.bitPattern) == doubles.map(\.bitPattern))
        let floats: [Float] = [2, 7, -1]
        #expect(try world.allGather(floats, counts: [3]) == floats)
        #expect(try world.allGather([Double](), counts: [0]).isEmpty)
        #expect(world.pieces(8) == 0..<8 && world.counts(8, each: 3) == [24])
        #expect(try world.allToAll(doubles, sendCounts: [4], receiveCounts: [4]).map(\.bitPattern) == doubles.map(\.bitPattern))
        #expect(try world.treeSum(pieces: 5, length: 2) { p in [Double(p), 1] } == [10, 5])
        #expect(throws: SparseFactorError.self) { _ = try world.allToAll(doubles, sendCounts: [3], receiveCounts: [4]) }

        #expect(throws: SparseFactorError.self) { _ = try world.allGather(doubles, counts: [3]) }       // not this rank's count
        #expect(throws: SparseFactorError.self) { _ = try world.allGather(doubles, counts: [4, 4]) }    // not one count per rank
        #expect(throws: SparseFactorError.self) { _ = try world.allGather(doubles, counts: [-4]) }

        world.finalize()
        #expect(throws: SparseFactorError.self) { _ = try MPIProcessGroup.world() }
    }
}
