import SparseFactor

/// The command line's names for the transforms (`--transform kernel:bandwidth=2,max-rows=800,seed=1`):
/// the grammar belongs to the command line, the library has the enum cases.
extension MatrixTransform {
    /// The accepted names (without parameters), canonical ones first then aliases.
    static let names = ["none", "image", "gradient", "distance", "similarity", "adjacency", "mesh-adjacency",
                               "mesh-laplacian", "covariance", "kernel",
                               "identity", "square-image", "gradient-image", "dense-graph", "network", "mesh", "laplacian", "gaussian-kernel"]

    /// Parses a CLI name with optional parameters, for example `kernel:bandwidth=2,max-rows=800,seed=1`.
    init(name text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ":", maxSplits: 1).map(String.init)
        let base = (parts.first ?? "").lowercased()
        var parameters: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard kv.count == 2, !kv[0].isEmpty, !kv[1].isEmpty else {
                    throw SparseFactorError.invalidArgument("transform parameters are key=value pairs separated by commas, got \"\(pair)\" in \"\(text)\"")
                }
                guard parameters.updateValue(kv[1], forKey: kv[0]) == nil else {
                    throw SparseFactorError.invalidArgument("the transform parameter \(kv[0]) is given twice in \"\(text)\"")
                }
            }
        }
        func take(_ allowed: [String]) throws {
            for key in parameters.keys where !allowed.contains(key) {
                throw SparseFactorError.invalidArgument(allowed.isEmpty
                    ? "the transform \(base) takes no parameters, got \"\(key)\""
                    : "the transform \(base) takes the parameters \(allowed.joined(separator: ", ")), got \"\(key)\"")
            }
        }
        func bandwidth() throws -> Double? {
            guard let text = parameters["bandwidth"] else { return nil }
            guard let h = Double(text), h.isFinite, h > 0 else {
                throw SparseFactorError.invalidArgument("bandwidth must be a positive number, got \"\(text)\"")
            }
            return h
        }
        func sampling() throws -> RowSampling? {
            var seed: UInt64 = 0
            if let s = parameters["seed"] {
                guard let v = UInt64(s) else { throw SparseFactorError.invalidArgument("seed must be a non-negative integer, got \"\(s)\"") }
                seed = v
            }
            guard let m = parameters["max-rows"] else {
                if parameters["seed"] != nil { throw SparseFactorError.invalidArgument("seed only matters with max-rows in \"\(text)\"") }
                return nil
            }
            guard let rows = Int(m) else { throw SparseFactorError.invalidArgument("max-rows must be an integer, got \"\(m)\"") }
            return try RowSampling(maxRows: rows, seed: seed)
        }
        switch base {
        case "none", "identity", "matrix": try take([]); self = .identity
        case "image", "square-image": try take([]); self = .squareImage
        case "gradient", "gradient-image": try take([]); self = .gradientImage
        case "distance", "dense-graph": try take(["max-rows", "seed"]); self = .denseGraph(.distance, sampling: try sampling())
        case "similarity":
            try take(["bandwidth", "max-rows", "seed"])
            self = .denseGraph(.gaussianSimilarity(bandwidth: try bandwidth()), sampling: try sampling())
        case "adjacency", "network": try take([]); self = .networkAdjacency
        case "mesh-adjacency", "mesh": try take([]); self = .meshAdjacency
        case "mesh-laplacian", "laplacian": try take([]); self = .meshLaplacian
        case "covariance": try take([]); self = .covariance
        case "kernel", "gaussian-kernel":
            try take(["bandwidth", "max-rows", "seed"])
            self = .gaussianKernel(bandwidth: try bandwidth(), sampling: try sampling())
        default:
            throw SparseFactorError.invalidArgument("unknown transform \"\(text)\"; expected one of \(MatrixTransform.names.prefix(10).joined(separator: ", "))")
        }
    }

    /// The canonical CLI name with its parameters; `MatrixTransform(name: t.name) == t`.
    var name: String {
        func params(_ bandwidth: Double?, _ sampling: RowSampling?) -> String {
            var items: [String] = []
            if let h = bandwidth { items.append("bandwidth=\(h)") }
            if let s = sampling { items += ["max-rows=\(s.maxRows)", "seed=\(s.seed)"] }
            return items.isEmpty ? "" : ":" + items.joined(separator: ",")
        }
        switch self {
        case .identity: return "none"
        case .squareImage: return "image"
        case .gradientImage: return "gradient"
        case .denseGraph(.distance, let s): return "distance" + params(nil, s)
        case .denseGraph(.gaussianSimilarity(let h), let s): return "similarity" + params(h, s)
        case .networkAdjacency: return "adjacency"
        case .meshAdjacency: return "mesh-adjacency"
        case .meshLaplacian: return "mesh-laplacian"
        case .covariance: return "covariance"
        case .gaussianKernel(let h, let s): return "kernel" + params(h, s)
        }
    }
}
