internal import CSparseFactorKernels
import Foundation

/// Controls the threads of the C kernels.
///
/// Results are bit-identical for every thread count: each output row is computed by one
/// thread in a fixed order. By default the OpenMP runtime decides (honouring
/// `OMP_NUM_THREADS`).
///
/// ```swift
/// Parallelism.threads = 1     // single-threaded from now on
/// Parallelism.threads = nil   // back to the OpenMP default
/// ```
public enum Parallelism {
    /// The requested thread count, or `nil` for the OpenMP runtime's default.
    public static var threads: Int? {
        get {
            let requested = sf_get_requested_threads()
            return requested > 0 ? Int(requested) : nil
        }
        set { sf_set_num_threads(Int32(clamping: newValue ?? 0)) }
    }

    /// The number of threads a parallel kernel uses now.
    public static var effectiveThreads: Int { Int(sf_get_num_threads()) }

    /// The vector code path this CPU runs ("x86-64-v4 (AVX-512)", "x86-64-v3 (AVX2)" or "baseline").
    public static var cpuDispatch: String { String(cString: sf_cpu_dispatch_name()) }

    /// The kernel family OpenBLAS runs the dense products and SVDs with on this CPU
    /// ("SkylakeX", "Haswell", …). An OpenBLAS older than the CPU falls back to a generic
    /// family ("Prescott", SSE3), several times slower; `OPENBLAS_CORETYPE` overrides it.
    ///
    /// ```swift
    /// print(Parallelism.blasCore)   // "SkylakeX"
    /// ```
    public static var blasCore: String { String(cString: sf_blas_core_name()) }

    /// The `OPENBLAS_CORETYPE` value that would give this CPU OpenBLAS's vector kernels, when OpenBLAS
    /// fell back to a pre-AVX family although the CPU has AVX2 or AVX-512 ("SkylakeX" or "Haswell");
    /// nil when its choice is already a vector one. The variable is read when OpenBLAS loads, so it
    /// has to be in the environment the process starts with. On the development machine (Debian 12's
    /// OpenBLAS 0.3.21 on a Xeon newer than it) a training step of the baselines takes 1.1–2× the
    /// time on the fallback ("Prescott") kernels; PSF-Attn's step barely changes.
    ///
    /// ```swift
    /// if let core = Parallelism.suggestedBLASCore { print("run with OPENBLAS_CORETYPE=\(core)") }
    /// ```
    public static var suggestedBLASCore: String? {
        suggestedBLASCore(running: blasCore, dispatch: cpuDispatch)
    }

    /// The rule of ``suggestedBLASCore`` for a given OpenBLAS family and CPU code path.
    package static func suggestedBLASCore(running core: String, dispatch: String) -> String? {
        // OpenBLAS's families without AVX2, the ones it falls back to for a CPU it does not know.
        let preAVX2: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Barcelona", "Opteron", "Opteron_SSE3"]
        guard preAVX2.contains(core) else { return nil }
        if dispatch.hasPrefix("x86-64-v4") { return "SkylakeX" }
        if dispatch.hasPrefix("x86-64-v3") { return "Haswell" }
        return nil
    }
}

/// Turns a C status code into a Swift error.
@inline(__always)
package func checkKernel(_ status: Int32, _ what: @autoclosure () -> String) throws {
    guard status != Int32(SF_OK.rawValue) else { return }
    switch UInt32(status) {
    case SF_ERR_ARGUMENT.rawValue: throw SparseFactorError.kernel("\(what()): invalid argument passed to the C kernel")
    case SF_ERR_MEMORY.rawValue: throw SparseFactorError.kernel("\(what()): out of memory")
    case SF_ERR_LAPACK.rawValue: throw SparseFactorError.kernel("\(what()): LAPACK failure")
    default: throw SparseFactorError.kernel("\(what()): status \(status)")
    }
}

/// CPU seconds used by the process so far, all threads: the clock of CPU budgets (`train --cpu-budget`,
/// `FitOptions.cpuTimeLimit`), which, unlike wall time, does not stretch when other work shares the cores.
///
/// ```swift
/// let before = processCPUSeconds()
/// // … work …
/// print(processCPUSeconds() - before)
/// ```
public func processCPUSeconds() -> Double {
    var t = timespec()
    guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) == 0 else { return 0 }
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
