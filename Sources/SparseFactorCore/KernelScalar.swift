internal import CSparseFactorKernels

/// A floating-point type the C kernels are compiled for: `Float` and `Double`.
///
/// Use `Float` for neural models and speed, `Double` for fitting where the line search
/// needs precise objective values.
public protocol KernelScalar: BinaryFloatingPoint, Sendable, Codable where RawSignificand: FixedWidthInteger {
    /// The C kernels for this type (an opaque table: nothing of it is public).
    static var kernels: KernelTable<Self> { get }
    /// A short name of the type for files and messages ("float32", "float64").
    static var dtypeName: String { get }
}

/// The C entry points for one scalar type. Opaque outside the module.
public struct KernelTable<Scalar>: Sendable {
    package typealias Mut = UnsafeMutablePointer<Scalar>
    package typealias Ptr = UnsafePointer<Scalar>
    package typealias Idx = UnsafePointer<Int64>

    package let factorForward: @Sendable (Mut?, Ptr?, Ptr?, Idx?, Int64, Int64, Int64, Int64, Int64) -> Int32
    package let factorTransposeForward: @Sendable (Mut?, Ptr?, Ptr?, Idx?, Idx?, Int64, Int64, Int64, Int64, Int64) -> Int32
    package let factorBackward: @Sendable (Mut?, Mut?, Ptr?, Ptr?, Ptr?, Idx?, Idx?, Idx?, Int64, Int64, Int64, Int64, Int64) -> Int32
    package let chainForward: @Sendable (Mut?, Mut?, Ptr?, Ptr?, Idx?, Int64, Int64, Int64, Int64, Int64, Int64) -> Int32
    package let chainTransposeForward: @Sendable (Mut?, Ptr?, Ptr?, Idx?, Idx?, Int64, Int64, Int64, Int64, Int64, Int64) -> Int32
    package let chainBackward: @Sendable (Mut?, Mut?, Ptr?, Ptr?, Ptr?, Ptr?, Idx?, Idx?, Idx?, Int64, Int64, Int64, Int64, Int64, Int64) -> Int32
    package let gemm: @Sendable (Mut?, Ptr?, Ptr?, Int32, Int32, Int64, Int64, Int64, Scalar, Scalar) -> Int32
}

extension Float: KernelScalar {
    public static var dtypeName: String { "float32" }
    /// Built once: the table is looked up on every kernel call.
    public static let kernels = KernelTable<Float>(
        factorForward: { sf_factor_forward_f32($0, $1, $2, $3, $4, $5, $6, $7, $8) },
        factorTransposeForward: { sf_factor_transpose_forward_f32($0, $1, $2, $3, $4, $5, $6, $7, $8, $9) },
        factorBackward: { sf_factor_backward_f32($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) },
        chainForward: { sf_chain_forward_f32($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) },
        chainTransposeForward: { sf_chain_transpose_forward_f32($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) },
        chainBackward: { sf_chain_backward_f32($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) },
        gemm: { sf_gemm_f32($0, $1, $2, $3, $4, $5, $6, $7, $8, $9) }
    )
}

extension Double: KernelScalar {
    public static var dtypeName: String { "float64" }
    /// Built once: the table is looked up on every kernel call.
    public static let kernels = KernelTable<Double>(
        factorForward: { sf_factor_forward_f64($0, $1, $2, $3, $4, $5, $6, $7, $8) },
        factorTransposeForward: { sf_factor_transpose_forward_f64($0, $1, $2, $3, $4, $5, $6, $7, $8, $9) },
        factorBackward: { sf_factor_backward_f64($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) },
        chainForward: { sf_chain_forward_f64($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) },
        chainTransposeForward: { sf_chain_transpose_forward_f64($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) },
        chainBackward: { sf_chain_backward_f64($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) },
        gemm: { sf_gemm_f64($0, $1, $2, $3, $4, $5, $6, $7, $8, $9) }
    )
}
