/// The library's version, as tagged in its repository (semantic versioning; see CHANGELOG.md).
///
/// ```swift
/// print(SparseFactorVersion.string)   // "0.2.0"
/// ```
public enum SparseFactorVersion {
    /// `major.minor.patch`.
    public static let string = "0.2.0"
}
