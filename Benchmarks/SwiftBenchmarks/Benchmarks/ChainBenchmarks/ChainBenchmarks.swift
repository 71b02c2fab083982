import Benchmark
import SparseFactor

/// Random values in [-1, 1) from a fixed seed.
private func randomBatch(count: Int, rows: Int, columns: Int, seed: UInt64) -> MatrixBatch<Float> {
    var rng = SeededGenerator(seed: seed)
    let values = (0..<(count * rows * columns)).map { _ in Float(rng.nextUnit() * 2 - 1) }
    return try! MatrixBatch(count: count, rows: rows, columns: columns, values: values)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2))

    // One factor × dense block, the reference sizes.
    for (n, channels) in [(16384, 64), (65536, 64), (1024, 8)] {
        Benchmark("factor × block N=\(n) C=\(channels)") { benchmark in
            let topology = try ChordTopology(size: n)
            let factor = try FactorChain<Float>.rowNormalized(topology: topology, factorCount: 1, seed: 1)
            let x = randomBatch(count: 1, rows: n, columns: channels, seed: 2)
            var y = try MatrixBatch<Float>(count: 1, rows: n, columns: channels)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { try factor.apply(x, into: &y) }
        }
    }

    // A whole chain forward + backward, as one training step of the parametric model does (batch 40, N = 1024, C = 8).
    Benchmark("chain forward+backward B=40 N=1024 C=8") { benchmark in
        let topology = try ChordTopology(size: 1024)
        let m = topology.defaultFactorCount
        var rng = SeededGenerator(seed: 3)
        let values = (0..<(40 * m * topology.nonzerosPerFactor)).map { _ in Float(rng.nextUnit()) / Float(topology.linksPerRow) }
        let chains = try FactorChainBatch<Float>(topology: topology, count: 40, values: values)
        let x = randomBatch(count: 40, rows: 1024, columns: 8, seed: 4)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let tape = try chains.forward(x)
            blackHole(try chains.backward(tape, outputGradient: tape.output))
        }
    }

    // Dense reconstruction (the chain applied to the identity), as the non-parametric fit does per evaluation.
    Benchmark("dense reconstruction N=512 float64") { benchmark in
        let topology = try ChordTopology(size: 512)
        let chain = try FactorChain<Double>.rowNormalized(topology: topology, seed: 5)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try chain.denseMatrix()) }
    }
}
