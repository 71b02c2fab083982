import CSparseFactorKernels
import CSparseFactorReference
import Testing

// Shared helpers of the kernel tests: typed access to the f32/f64 C entry points, an
// independently built Chord index, seeded data and a tolerance check.

let kernelOK = Int32(SF_OK.rawValue)
let kernelArgumentError = Int32(SF_ERR_ARGUMENT.rawValue)

/// SplitMix64. CSparseFactorKernelsTests links only the C targets, so SparseFactor's `SeededGenerator`
/// is out of reach; the data only needs to be the same on every run.
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

typealias MutPtr<T> = UnsafeMutablePointer<T>?
typealias ConstPtr<T> = UnsafePointer<T>?
typealias IndexPtr = UnsafePointer<Int64>?

/// The kernels of one scalar type, fast and reference, under one name so every test is
/// written once for Float and Double.
protocol TestScalar: BinaryFloatingPoint, Sendable where RawSignificand: FixedWidthInteger {
    /// Relative tolerance between the fast path (vectorized, maybe FMA) and the reference.
    static var kernelTolerance: Double { get }

    static var factorForward: (MutPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, IndexPtr, Int64, Int64, Int64, Int64, Int64) -> Int32 { get }
    static var factorTransposeForward: (MutPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, IndexPtr, IndexPtr, Int64, Int64, Int64, Int64, Int64) -> Int32 { get }
    static var factorBackward: (MutPtr<Self>, MutPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, IndexPtr, IndexPtr, IndexPtr,
                                Int64, Int64, Int64, Int64, Int64) -> Int32 { get }
    static var chainForward: (MutPtr<Self>, MutPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, IndexPtr, Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 { get }
    static var chainTransposeForward: (MutPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, IndexPtr, IndexPtr, Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 { get }
    static var chainBackward: (MutPtr<Self>, MutPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, IndexPtr, IndexPtr, IndexPtr,
                               Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 { get }

    static var refFactorForward: (MutPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, IndexPtr, Int64, Int64, Int64, Int64, Int64) -> Int32 { get }
    static var refFactorTransposeForward: (MutPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, IndexPtr, Int64, Int64, Int64, Int64, Int64) -> Int32 { get }
    static var refFactorBackward: (MutPtr<Self>, MutPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, IndexPtr,
                                   Int64, Int64, Int64, Int64, Int64) -> Int32 { get }
    static var refChainForward: (MutPtr<Self>, MutPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, IndexPtr, Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 { get }
    static var refChainBackward: (MutPtr<Self>, MutPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, IndexPtr,
                                  Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 { get }

    static var chainObjective: (MutPtr<Double>, MutPtr<Self>, MutPtr<Self>, ConstPtr<Self>, ConstPtr<Self>, IndexPtr, IndexPtr, IndexPtr,
                                Int64, Int64, Int64, Int64) -> Int32 { get }
    static var chainObjectiveScratch: (Int64, Int64, Int64) -> Int64 { get }
}

extension Float: TestScalar {
    // Chains of 13 factors of 14 links: ~200 roundings per output, each up to 6e-8 relative.
    static var kernelTolerance: Double { 2e-4 }
    static var factorForward: (MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, IndexPtr, Int64, Int64, Int64, Int64, Int64) -> Int32 { sf_factor_forward_f32 }
    static var factorTransposeForward: (MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, IndexPtr, IndexPtr, Int64, Int64, Int64, Int64, Int64) -> Int32 {
        sf_factor_transpose_forward_f32
    }
    static var factorBackward: (MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, IndexPtr, IndexPtr, IndexPtr,
                                Int64, Int64, Int64, Int64, Int64) -> Int32 { sf_factor_backward_f32 }
    static var chainForward: (MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, IndexPtr, Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 {
        sf_chain_forward_f32
    }
    static var chainTransposeForward: (MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, IndexPtr, IndexPtr, Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 {
        sf_chain_transpose_forward_f32
    }
    static var chainBackward: (MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, IndexPtr, IndexPtr, IndexPtr,
                               Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 { sf_chain_backward_f32 }
    static var refFactorForward: (MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, IndexPtr, Int64, Int64, Int64, Int64, Int64) -> Int32 {
        sf_ref_factor_forward_f32
    }
    static var refFactorTransposeForward: (MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, IndexPtr, Int64, Int64, Int64, Int64, Int64) -> Int32 {
        sf_ref_factor_transpose_forward_f32
    }
    static var refFactorBackward: (MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, IndexPtr,
                                   Int64, Int64, Int64, Int64, Int64) -> Int32 { sf_ref_factor_backward_f32 }
    static var refChainForward: (MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, IndexPtr, Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 {
        sf_ref_chain_forward_f32
    }
    static var refChainBackward: (MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, IndexPtr,
                                  Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 { sf_ref_chain_backward_f32 }
    static var chainObjective: (MutPtr<Double>, MutPtr<Float>, MutPtr<Float>, ConstPtr<Float>, ConstPtr<Float>, IndexPtr, IndexPtr, IndexPtr,
                                Int64, Int64, Int64, Int64) -> Int32 { sf_chain_objective_f32 }
    static var chainObjectiveScratch: (Int64, Int64, Int64) -> Int64 { sf_chain_objective_scratch_f32 }
}

extension Double: TestScalar {
    static var kernelTolerance: Double { 1e-11 }
    static var factorForward: (MutPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, IndexPtr, Int64, Int64, Int64, Int64, Int64) -> Int32 { sf_factor_forward_f64 }
    static var factorTransposeForward: (MutPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, IndexPtr, IndexPtr, Int64, Int64, Int64, Int64, Int64) -> Int32 {
        sf_factor_transpose_forward_f64
    }
    static var factorBackward: (MutPtr<Double>, MutPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, IndexPtr, IndexPtr, IndexPtr,
                                Int64, Int64, Int64, Int64, Int64) -> Int32 { sf_factor_backward_f64 }
    static var chainForward: (MutPtr<Double>, MutPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, IndexPtr, Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 {
        sf_chain_forward_f64
    }
    static var chainTransposeForward: (MutPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, IndexPtr, IndexPtr, Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 {
        sf_chain_transpose_forward_f64
    }
    static var chainBackward: (MutPtr<Double>, MutPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, IndexPtr, IndexPtr, IndexPtr,
                               Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 { sf_chain_backward_f64 }
    static var refFactorForward: (MutPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, IndexPtr, Int64, Int64, Int64, Int64, Int64) -> Int32 {
        sf_ref_factor_forward_f64
    }
    static var refFactorTransposeForward: (MutPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, IndexPtr, Int64, Int64, Int64, Int64, Int64) -> Int32 {
        sf_ref_factor_transpose_forward_f64
    }
    static var refFactorBackward: (MutPtr<Double>, MutPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, IndexPtr,
                                   Int64, Int64, Int64, Int64, Int64) -> Int32 { sf_ref_factor_backward_f64 }
    static var refChainForward: (MutPtr<Double>, MutPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, IndexPtr, Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 {
        sf_ref_chain_forward_f64
    }
    static var refChainBackward: (MutPtr<Double>, MutPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, IndexPtr,
                                  Int64, Int64, Int64, Int64, Int64, Int64) -> Int32 { sf_ref_chain_backward_f64 }
    static var chainObjective: (MutPtr<Double>, MutPtr<Double>, MutPtr<Double>, ConstPtr<Double>, ConstPtr<Double>, IndexPtr, IndexPtr, IndexPtr,
                                Int64, Int64, Int64, Int64) -> Int32 { sf_chain_objective_f64 }
    static var chainObjectiveScratch: (Int64, Int64, Int64) -> Int64 { sf_chain_objective_scratch_f64 }
}

/// A sparsity pattern in the kernels' layout (cols, and the transposed index tptr/tlink),
/// built here from its definition rather than by the library, so it is an independent oracle.
struct TestPattern {
    let n: Int
    let k: Int
    let cols: [Int64]
    let tptr: [Int64]
    let tlink: [Int64]

    init(n: Int, k: Int, cols: [Int64]) {
        self.n = n
        self.k = k
        self.cols = cols
        // Links landing on column j, in increasing link order, by a plain scan per column.
        var lists = [[Int64]](repeating: [], count: n)
        for l in 0..<cols.count { lists[Int(cols[l])].append(Int64(l)) }
        var start: [Int64] = [0]
        for list in lists { start.append(start.last! + Int64(list.count)) }
        self.tptr = start
        self.tlink = lists.flatMap { $0 }
    }

    /// The Chord pattern: row i links to i and (i + 2^p) mod n for 2^p < n.
    static func chord(n: Int) -> TestPattern {
        var offsets = [0]
        var p = 1
        while p < n { offsets.append(p); p *= 2 }
        var cols: [Int64] = []
        for i in 0..<n { for o in offsets { cols.append(Int64((i + o) % n)) } }
        return TestPattern(n: n, k: offsets.count, cols: cols)
    }

    /// An arbitrary pattern: uniform random columns, so rows may repeat a column and some
    /// columns receive no link at all (uneven in-degree stresses the transposed index).
    static func random(n: Int, k: Int, rng: inout TestRNG) -> TestPattern {
        TestPattern(n: n, k: k, cols: (0..<(n * k)).map { _ in Int64.random(in: 0..<Int64(n), using: &rng) })
    }
}

/// ⌈log2 n⌉ for n ≥ 2, the default number of factors.
func ceilLog2(_ n: Int) -> Int { Int.bitWidth - (n - 1).leadingZeroBitCount }

/// Uniform values in [-scale, scale].
func randomArray<T: TestScalar>(_ count: Int, scale: Double = 1, rng: inout TestRNG) -> [T] {
    (0..<count).map { _ in T(Double.random(in: -scale...scale, using: &rng)) }
}

/// Factor values with variance 1/K, so a chain keeps its blocks' magnitude and float stays in range.
func randomFactorValues<T: TestScalar>(_ count: Int, k: Int, rng: inout TestRNG) -> [T] {
    randomArray(count, scale: (3.0 / Double(k)).squareRoot(), rng: &rng)
}

/// Checks `got` against the oracle `want` entry by entry with a mixed tolerance:
/// |got − want| ≤ rtol · (|want| + rms), the RMS taken over each of `chunks` equal parts
/// (so a factor or batch item with small entries gets its own scale). Rounding differences
/// stay orders of magnitude below it; a wrong index or a missing term does not.
/// NaN (for example an output the kernel never wrote) always fails.
func expectClose<T: TestScalar>(_ got: [T], _ want: [T], chunks: Int = 1, rtol: Double = T.kernelTolerance,
                                _ what: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.count == want.count, chunks > 0, want.count % chunks == 0 else {
        Issue.record("\(what()): \(got.count) entries, expected \(want.count)", sourceLocation: sourceLocation)
        return
    }
    let size = want.count / chunks
    var worst = 0.0
    var firstBad: (index: Int, got: Double, want: Double)?
    for chunk in 0..<chunks {
        let range = (chunk * size)..<((chunk + 1) * size)
        let rms = (want[range].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(size)).squareRoot()
        if !(rms > 0) {
            Issue.record("\(what()): the oracle is all zeros in part \(chunk), so the check would prove nothing",
                         sourceLocation: sourceLocation)
            return
        }
        for e in range {
            let err = abs(Double(got[e]) - Double(want[e])) / (abs(Double(want[e])) + rms)
            if !(err <= rtol), firstBad == nil { firstBad = (e, Double(got[e]), Double(want[e])) }
            if err > worst || err.isNaN { worst = err }
        }
    }
    if let bad = firstBad {
        Issue.record("\(what()): entry \(bad.index) is \(bad.got), expected \(bad.want); worst relative error \(worst) > \(rtol)",
                     sourceLocation: sourceLocation)
    }
}
