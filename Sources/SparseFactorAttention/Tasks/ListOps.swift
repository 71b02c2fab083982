import SparseFactorCore
import Foundation

/// ListOps as the Long Range Arena defines it (Tay et al. 2021, after Nangia & Bowman 2018): nested
/// operations on the digits 0–9, the label being the expression's value (10 classes).
///
/// Operators: `[MIN`, `[MAX`, `[MED` (the median, rounded down as LRA's `int(np.median(…))` does),
/// `[SM` (the sum mod 10), each closed by `]`. A node below the maximum depth is an operator with
/// probability 1/4 and then takes 2…`maxArguments` arguments; otherwise it is a digit. Expressions are
/// kept when their length (digits, operators and `]`; LRA's parentheses are not counted) is within
/// the options' bounds, and never twice in one generated set.
///
/// Token ids (``vocabulary`` = 16): 0 padding, digits 0–9 → 1…10, `[MIN` 11, `[MAX` 12, `[MED` 13,
/// `[SM` 14, `]` 15.
///
/// ```swift
/// var options = ListOpsOptions()
/// options.minLength = 20; options.maxLength = 60
/// let examples = try ListOps.generate(count: 3, seed: 1, options: options)
/// print(examples[0].text, examples[0].label)        // "[MAX 4 [SM 3 9 ] … ]" and its value
/// print(try ListOps.value(of: ListOps.tokens("[MED 1 2 7 8 ]")))   // 4
/// ```
public enum ListOps {
    /// Token ids below this (padding included).
    public static let vocabulary = 16
    /// Padding's id (``LabelledSequences/padding``).
    public static let paddingID: UInt16 = 0
    /// `]`'s id.
    public static let closeID: UInt16 = 15

    /// The four operators, in id order (11…14).
    public enum Operator: String, CaseIterable, Sendable {
        case min = "[MIN", max = "[MAX", median = "[MED", sumMod10 = "[SM"

        var id: UInt16 { UInt16(11 + Operator.allCases.firstIndex(of: self)!) }

        /// The operator applied to its arguments (at least one).
        func apply(_ values: [Int]) -> Int {
            switch self {
            case .min: return values.min()!
            case .max: return values.max()!
            case .sumMod10: return values.reduce(0, +) % 10
            case .median:
                let sorted = values.sorted()
                let mid = sorted.count / 2
                return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2   // floor of the mean
            }
        }
    }

    /// One generated expression: its token ids (no padding) and its value.
    public struct Example: Equatable, Sendable {
        public var tokens: [UInt16]
        public var label: Int
        /// The space-separated text without parentheses, e.g. "[MAX 2 9 ]".
        public var text: String { ListOps.text(tokens) }
    }

    /// `count` distinct expressions from `seed`: the same list on every machine.
    public static func generate(count: Int, seed: UInt64, options: ListOpsOptions = ListOpsOptions()) throws -> [Example] {
        try options.validate()
        guard count >= 0 else { throw SparseFactorError.invalidArgument("a dataset size must not be negative, got \(count)") }
        try MemoryBudget.check("\(count) ListOps expressions of up to \(options.maxLength) tokens",
                               counts: [count, options.maxLength], scalarBytes: 2)
        var rng = SeededGenerator(seed: mixSeed(seed, 0x6C69_7374_6F70_73))   // "listops"
        var seen = Set<[UInt16]>()
        var examples: [Example] = []
        examples.reserveCapacity(count)
        var draws = 0
        while examples.count < count {
            draws += 1
            guard draws <= Self.maxDraws(count) else {
                throw SparseFactorError.invalidArgument("ListOps: only \(examples.count) of \(count) distinct expressions of \(options.minLength)…\(options.maxLength) tokens "
                                                        + "after \(draws - 1) draws; widen the length bounds or ask for fewer")
            }
            var tokens: [UInt16] = []
            let value = tree(depth: 1, options: options, into: &tokens, rng: &rng)
            guard (options.minLength...options.maxLength).contains(tokens.count), seen.insert(tokens).inserted else { continue }
            examples.append(Example(tokens: tokens, label: value))
        }
        return examples
    }

    /// The expressions as labelled sequences padded to `length`; a longer one is refused (naming its
    /// index or `source`'s line) unless `truncate`.
    public static func sequences(_ examples: [Example], length: Int, truncate: Bool = false,
                                 lineOf: (Int) -> String = { "expression \($0)" }) throws -> LabelledSequences {
        guard length >= 1 else { throw SparseFactorError.invalidArgument("a sequence length must be at least 1, got \(length)") }
        try MemoryBudget.check("\(examples.count) ListOps sequences of \(length) tokens", counts: [examples.count, length], scalarBytes: 2)
        var tokens = [UInt16](repeating: paddingID, count: examples.count * length)
        for (i, example) in examples.enumerated() {
            if example.tokens.count > length && !truncate {
                throw SparseFactorError.invalidArgument("\(lineOf(i)) has \(example.tokens.count) tokens, more than N = \(length) (give --truncate to cut it)")
            }
            let kept = min(example.tokens.count, length)
            tokens.replaceSubrange((i * length)..<(i * length + kept), with: example.tokens[0..<kept])
        }
        return try LabelledSequences(length: length, vocabulary: vocabulary, classCount: 10, tokens: tokens,
                                     labels: examples.map { Int32($0.label) })
    }

    /// The deepest nesting a file's expression may have (LRA's are at most 10 deep); deeper ones are
    /// refused rather than recursed into.
    public static let maxReadDepth = 256

    /// The value of a well-formed expression (token ids, no padding) at most ``maxReadDepth`` deep.
    public static func value(of tokens: [UInt16]) throws -> Int {
        var position = 0
        let v = try parse(tokens, &position, depth: 1)
        guard position == tokens.count else {
            throw SparseFactorError.invalidArgument("ListOps: \(tokens.count - position) tokens after the end of the expression")
        }
        return v
    }

    /// The ids of a space-separated expression; `(` and `)` (LRA's tree brackets) are dropped.
    public static func tokens(_ text: some StringProtocol) throws -> [UInt16] {
        var ids: [UInt16] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" }) where word != "(" && word != ")" {
            if word.count == 1, let digit = word.first?.wholeNumberValue, word.first!.isASCII {
                ids.append(UInt16(digit + 1))
            } else if word == "]" {
                ids.append(closeID)
            } else if let op = Operator(rawValue: String(word)) {
                ids.append(op.id)
            } else {
                throw SparseFactorError.invalidArgument("ListOps: unknown token \"\(word.prefix(20))\" (expected 0–9, [MIN, [MAX, [MED, [SM, ], ( or ))")
            }
        }
        return ids
    }

    /// The space-separated text of token ids (padding skipped).
    public static func text(_ tokens: [UInt16]) -> String {
        tokens.compactMap(word).joined(separator: " ")
    }

    /// LRA's form of an expression: every operator node a left-nested pair, "( ( ( [MAX 2 ) 9 ) ] )".
    public static func bracketedText(_ tokens: [UInt16]) -> String {
        var position = 0
        return (try? bracketed(tokens, &position)) ?? text(tokens)
    }

    // MARK: internals

    /// Draws until far more than plausible (each draw is kept with a probability of a few per cent).
    static func maxDraws(_ count: Int) -> Int { 1000 + count.multipliedReportingOverflow(by: 2000).partialValue }

    static func word(_ id: UInt16) -> String? {
        switch id {
        case 1...10: return String(Int(id) - 1)
        case closeID: return "]"
        case 11...14: return Operator.allCases[Int(id) - 11].rawValue
        default: return nil
        }
    }

    /// Appends one node (LRA's `generate_tree`) and returns its value.
    static func tree(depth: Int, options: ListOpsOptions, into tokens: inout [UInt16], rng: inout SeededGenerator) -> Int {
        let isOperator = depth < options.maxDepth && rng.nextUnit() < 0.25
        // A tree growing past the longest kept length is abandoned early: it would be thrown away anyway.
        guard isOperator, tokens.count <= options.maxLength else {
            let digit = uniformInt(below: 10, &rng)
            tokens.append(UInt16(digit + 1))
            return digit
        }
        let arguments = 2 + uniformInt(below: options.maxArguments - 1, &rng)
        let op = Operator.allCases[uniformInt(below: 4, &rng)]
        tokens.append(op.id)
        var values: [Int] = []
        for _ in 0..<arguments { values.append(tree(depth: depth + 1, options: options, into: &tokens, rng: &rng)) }
        tokens.append(closeID)
        return op.apply(values)
    }

    static func parse(_ tokens: [UInt16], _ position: inout Int, depth: Int) throws -> Int {
        guard depth <= maxReadDepth else { throw SparseFactorError.invalidArgument("ListOps: the expression is nested more than \(maxReadDepth) deep") }
        guard position < tokens.count else { throw SparseFactorError.invalidArgument("ListOps: the expression ends early (an operator lacks its ])") }
        let id = tokens[position]
        position += 1
        switch id {
        case 1...10: return Int(id) - 1
        case 11...14:
            var values: [Int] = []
            while position < tokens.count && tokens[position] != closeID { values.append(try parse(tokens, &position, depth: depth + 1)) }
            guard position < tokens.count else { throw SparseFactorError.invalidArgument("ListOps: an operator lacks its ]") }
            position += 1
            guard !values.isEmpty else { throw SparseFactorError.invalidArgument("ListOps: an operator has no arguments") }
            return Operator.allCases[Int(id) - 11].apply(values)
        default:
            throw SparseFactorError.invalidArgument("ListOps: unexpected \(word(id) ?? "token \(id)") where a digit or an operator was expected")
        }
    }

    static func bracketed(_ tokens: [UInt16], _ position: inout Int) throws -> String {
        let id = tokens[position]
        position += 1
        guard (11...14).contains(id) else { return word(id) ?? "" }
        var text = word(id)!
        while tokens[position] != closeID {
            text = "( \(text) \(try bracketed(tokens, &position)) )"
        }
        position += 1
        return "( \(text) ] )"
    }
}

/// The shape of generated ListOps expressions (LRA's defaults).
public struct ListOpsOptions: Equatable, Sendable {
    /// Kept lengths in tokens (digits, operators and `]`).
    public var minLength = 500
    public var maxLength = 2000
    /// The deepest nesting (the root is depth 1).
    public var maxDepth = 10
    /// The most arguments of one operator (at least 2).
    public var maxArguments = 10

    public init() {}

    /// Refuses bounds no expression can meet, naming the field.
    public func validate() throws {
        guard minLength >= 1, maxLength >= minLength else {
            throw SparseFactorError.invalidArgument("ListOps lengths must satisfy 1 ≤ min ≤ max, got \(minLength)…\(maxLength)")
        }
        guard maxLength <= 1 << 20 else { throw SparseFactorError.tooLarge("ListOps expressions of up to \(maxLength) tokens (at most 2^20)") }
        guard (1...64).contains(maxDepth) else { throw SparseFactorError.invalidArgument("the ListOps depth must be 1…64, got \(maxDepth)") }
        guard (2...64).contains(maxArguments) else { throw SparseFactorError.invalidArgument("ListOps operators take 2…64 arguments at most, got \(maxArguments)") }
    }
}
