import SparseFactorCore

// Applies one Chord factor and checks it against a direct evaluation, then reports the
// threads the kernels ran on.
let n = 4096, channels = 16
let topology = try ChordTopology(size: n)
let factor = try FactorChain<Double>.rowNormalized(topology: topology, factorCount: 1, seed: 1)
var rng = SeededGenerator(seed: 2)
let x = try Matrix<Double>(rows: n, columns: channels, values: (0..<(n * channels)).map { _ in rng.nextUnit() })
let y = try factor(x)
var worst = 0.0
for i in stride(from: 0, to: n, by: 97) {
    for c in 0..<channels {
        var direct = 0.0
        for k in 0..<topology.linksPerRow { direct += factor.value(factor: 0, row: i, link: k) * x[topology.column(row: i, link: k), c] }
        worst = max(worst, abs(direct - y[i, c]))
    }
}
print("consumer: version=\(SparseFactorVersion.string) threads=\(Parallelism.effectiveThreads) dispatch=\(Parallelism.cpuDispatch) max_difference=\(worst)")
if worst > 1e-12 { fatalError("the kernel disagrees with the direct evaluation") }
