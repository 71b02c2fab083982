import SparseFactorCore
import SparseFactorDistributed
import SparseFactorFitting

// Fits one generated 200×200 matrix with its objective split over the ranks of mpirun, and prints the
// fit's error and a checksum of the factors' bits: every rank must print the same, for any rank count.
let group: any ProcessGroup = MPIProcessGroup.isLaunched ? try MPIProcessGroup.world() : SingleProcess()
var rng = SeededGenerator(seed: 5)
let n = 200
let a = try Matrix<Double>(rows: n, columns: n, values: (0..<(n * n)).map { _ in rng.nextUnit() < 0.05 ? rng.nextUnit() - 0.5 : 0 })
var options = FitOptions()
options.maxIterations = 20
let fit = try fitFactors(a, options: options, group: group)
let checksum = fit.chain.values.reduce(UInt64(0)) { ($0 &* 1_099_511_628_211) ^ $1.bitPattern }
print("distributed consumer: rank \(group.rank) of \(group.size): relative error \(fit.relativeError), factors checksum \(checksum)")
(group as? MPIProcessGroup)?.finalize()
