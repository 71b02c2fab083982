import SparseFactorCore
/// Small dense-vector helpers for the optimizers. Every loop runs in a fixed order on one
/// thread, so the same inputs give bit-identical results (the optimizers' vectors are only
/// M·N·K long, tiny next to an objective evaluation).
enum VectorMath {
    /// Σ a[i]·b[i].
    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var s0 = 0.0, s1 = 0.0
                var i = 0
                while i + 2 <= pa.count { s0 += pa[i] * pb[i]; s1 += pa[i + 1] * pb[i + 1]; i += 2 }
                if i < pa.count { s0 += pa[i] * pb[i] }
                return s0 + s1
            }
        }
    }

    /// y += alpha · x.
    static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                for i in 0..<py.count { py[i] += alpha * px[i] }
            }
        }
    }

    /// out = x + alpha · d (out keeps its storage).
    static func step(from x: [Double], along d: [Double], by alpha: Double, into out: inout [Double]) {
        x.withUnsafeBufferPointer { px in
            d.withUnsafeBufferPointer { pd in
                out.withUnsafeMutableBufferPointer { po in
                    for i in 0..<po.count { po[i] = px[i] + alpha * pd[i] }
                }
            }
        }
    }

    /// out = a − b (out keeps its storage).
    static func difference(_ a: [Double], _ b: [Double], into out: inout [Double]) {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    for i in 0..<po.count { po[i] = pa[i] - pb[i] }
                }
            }
        }
    }

    /// x *= alpha.
    static func scale(_ x: inout [Double], by alpha: Double) {
        x.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= alpha } }
    }

    /// max |x[i]|.
    static func maxAbs(_ x: [Double]) -> Double {
        x.withUnsafeBufferPointer { p in p.reduce(0.0) { max($0, abs($1)) } }
    }
}
