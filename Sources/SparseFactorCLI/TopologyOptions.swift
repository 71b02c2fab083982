import ArgumentParser
import Foundation
import SparseFactor

/// The factors' pattern on the command line: what `ChordTopology` and `FitOptions.factorCount` offer.
///
/// What can be checked without the matrix (syntax, repeats, signs, M < 1) is a usage error (64);
/// an offset that does not fit the matrix's N is known only after reading it, so it is a data error (65).
struct TopologyOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Base b ≥ 2 of the Chord offsets b^k, k = 0…⌈log_b N⌉−1 (default 2).")
    var base: Int?
    @Flag(help: "Also link row i to i − b^k (the symmetric Chord pattern).")
    var symmetric = false
    @Option(parsing: .unconditional,
            help: "Comma-separated offsets in place of the Chord powers, each in 1…N−1 and given once: row i links to (i + o) mod N (and to i unless --no-self-link), e.g. 1,3,9.")
    var offsets: String?
    @Option(parsing: .unconditional, help: "M, the number of factors, 1…\(TopologyOptions.maxFactors) (default ⌈log2 N⌉).")
    var factors: Int?
    @Flag(help: "Leave out the diagonal link i → i.")
    var noSelfLink = false
    @Option(parsing: .unconditional, help: "Relabel the ring by a seeded random permutation (the same seed gives the same pattern).")
    var permutationSeed: UInt64?

    /// The most factors a factor file holds (`FactorFile` refuses more on load), so a saved fit can be read back.
    static let maxFactors = 4096

    func validate() throws {
        if let b = base, b < 2 { throw ValidationError("--base must be at least 2, got \(b)") }
        if let m = factors, !(1...Self.maxFactors).contains(m) {
            throw ValidationError("--factors must be between 1 and \(Self.maxFactors), got \(m)")
        }
        if offsets != nil {
            if base != nil { throw ValidationError("--base sets the Chord powers; it cannot be combined with --offsets") }
            if symmetric { throw ValidationError("--symmetric cannot be combined with --offsets: for the links i − o, list the offsets N − o") }
            _ = try parsedOffsets()
        }
    }

    /// The offsets of `--offsets`, checked for syntax, sign and repeats (not yet against N).
    func parsedOffsets() throws -> [Int]? {
        guard let text = offsets else { return nil }
        var list: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let token = item.trimmingCharacters(in: .whitespaces)
            guard let o = Int(token) else {
                throw ValidationError("--offsets must be comma-separated integers, got \"\(token)\" in \"\(text)\"")
            }
            guard o >= 1 else {
                throw ValidationError(o == 0
                    ? "--offsets lists the links besides the self-link (0 is added unless --no-self-link), got 0"
                    : "--offsets must be positive (o in 1…N−1; for i − o give N − o), got \(o)")
            }
            guard !list.contains(o) else { throw ValidationError("--offsets must not repeat an offset, got \(o) twice in \"\(text)\"") }
            list.append(o)
        }
        return list
    }

    /// The pattern for an N×N matrix.
    func topology(size n: Int) throws -> ChordTopology {
        if let list = try parsedOffsets() {
            if let o = list.first(where: { $0 >= n }) {
                throw SparseFactorError.invalidArgument("--offsets must be in 1…\(n - 1) for this \(n)×\(n) matrix, got \(o)")
            }
            return try ChordTopology(size: n, offsets: (noSelfLink ? [] : [0]) + list, selfLink: !noSelfLink,
                                     permutationSeed: permutationSeed)
        }
        return try ChordTopology(size: n, base: base ?? 2, symmetric: symmetric, selfLink: !noSelfLink,
                                 permutationSeed: permutationSeed)
    }

    /// What the JSON report says about the pattern that was used.
    func report(_ topology: ChordTopology, factors m: Int) -> [String: Any] {
        var object: [String: Any] = [
            "pattern": offsets == nil ? "chord" : "offsets",
            "symmetric": symmetric, "self_link": !noSelfLink,
            "offsets": topology.offsets, "links": topology.linksPerRow, "merged_links": topology.mergedLinks, "factors": m,
            "permutation_seed": topology.permutationSeed.map { NSNumber(value: $0) } ?? NSNull(),
        ]
        if offsets == nil { object["base"] = base ?? 2 }
        return object
    }

    /// One line for people: the pattern in words.
    func summary(_ topology: ChordTopology) -> String {
        var words = offsets == nil ? "Chord base \(base ?? 2)\(symmetric ? ", symmetric" : "")" : "offsets"
        if noSelfLink { words += ", no self-link" }
        if let seed = topology.permutationSeed { words += ", permuted (seed \(seed))" }
        return "\(words): offsets \(topology.offsets.map(String.init).joined(separator: ","))"
    }
}
