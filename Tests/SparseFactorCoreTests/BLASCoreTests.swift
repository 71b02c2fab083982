@testable import SparseFactorCore
import Testing

/// When a better OpenBLAS kernel family is named: only for a pre-AVX2 family on a CPU with AVX2 or AVX-512.
@Suite struct BLASCoreTests {
    @Test func aFallbackFamilyOnAVXHardwareGetsTheMatchingFamily() {
        #expect(Parallelism.suggestedBLASCore(running: "Prescott", dispatch: "x86-64-v4 (AVX-512)") == "SkylakeX")
        #expect(Parallelism.suggestedBLASCore(running: "Nehalem", dispatch: "x86-64-v3 (AVX2)") == "Haswell")
    }

    @Test func aVectorFamilyOrOldHardwareGetsNone() {
        #expect(Parallelism.suggestedBLASCore(running: "SkylakeX", dispatch: "x86-64-v4 (AVX-512)") == nil)
        #expect(Parallelism.suggestedBLASCore(running: "Haswell", dispatch: "x86-64-v4 (AVX-512)") == nil)   // a choice, not a fallback
        #expect(Parallelism.suggestedBLASCore(running: "Prescott", dispatch: "baseline") == nil)
    }
}
