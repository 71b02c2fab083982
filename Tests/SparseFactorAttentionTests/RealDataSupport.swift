import Foundation

/// Where the fetched task data is: `SPARSEFACTOR_DATA` when set, else the repository's `data/`
/// (what `scripts/fetch-data.sh` fills). A test of real data fails when its files are missing,
/// saying how to fetch them, unless `SPARSEFACTOR_SKIP_REAL_DATA=1` opts out explicitly.
enum RealData {
    static var directory: URL {
        if let path = ProcessInfo.processInfo.environment["SPARSEFACTOR_DATA"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data")
    }

    static var optedOut: Bool { ProcessInfo.processInfo.environment["SPARSEFACTOR_SKIP_REAL_DATA"] == "1" }

    /// `directory/sub`, or an error naming the fetch command when one of `files` is missing there.
    static func folder(_ sub: String, files: [String], source: String) -> Result<URL, Missing> {
        let folder = directory.appendingPathComponent(sub)
        let missing = files.filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        guard missing.isEmpty else {
            return .failure(Missing(message: "\(folder.path) lacks \(missing.joined(separator: ", ")): run `bash scripts/fetch-data.sh --only \(source)` (or point SPARSEFACTOR_DATA at a fetched data directory; SPARSEFACTOR_SKIP_REAL_DATA=1 skips the real-data tests)"))
        }
        return .success(folder)
    }

    struct Missing: Error { let message: String }
}
