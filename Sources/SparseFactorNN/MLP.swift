import SparseFactorCore
/// An activation function usable in an ``MLP`` config.
public enum Activation: String, CaseIterable, Sendable, Codable {
    /// Exact GELU (see ``GELU``).
    case gelu = "GELU"

    func makeLayer() -> any Layer {
        switch self {
        case .gelu: return GELU()
        }
    }
}

/// One entry of an MLP config such as `[32, GELU]`.
public enum MLPConfigItem: Equatable, Sendable {
    /// A linear layer to this many features.
    case linear(Int)
    /// An activation after the previous linear layer.
    case activation(Activation)
}

/// A multilayer perceptron built from a config in the paper's notation: `[32, GELU]` means
/// Linear(inputs → 32), GELU, then the final Linear(32 → outputs). Every number adds a linear
/// layer to that width, every activation name applies to the layer before it, and a last
/// linear layer to `outputs` always closes the stack (so `[]` is a single linear layer).
///
/// Parameters are named `<name>.<i>.weight` / `.bias` with `i` the position in the stack.
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// let g = try MLP(config: "[32, GELU]", inputs: 32, outputs: 8, rng: &rng)
/// let v0 = try g(Tensor(shape: [40, 1024, 32]))   // [40, 1024, 8]
/// ```
public final class MLP: Layer {
    /// The layers in order (linear layers and activations).
    public let stack: Sequential
    /// The parsed config.
    public let config: [MLPConfigItem]
    /// Input features.
    public let inputs: Int
    /// Output features.
    public let outputs: Int

    /// An MLP from a config string like `"[32, GELU]"` (brackets optional, names case-insensitive).
    public convenience init(config: String, inputs: Int, outputs: Int, name: String = "mlp", rng: inout SeededGenerator) throws {
        try self.init(items: MLP.parseConfig(config), inputs: inputs, outputs: outputs, name: name, rng: &rng)
    }

    /// An MLP with the given hidden widths, each followed by `activation`.
    ///
    /// ```swift
    /// let f = try MLP(hidden: [32], inputs: 32, outputs: 11, rng: &rng)   // same as "[32, GELU]"
    /// ```
    public convenience init(hidden: [Int], activation: Activation = .gelu, inputs: Int, outputs: Int,
                            name: String = "mlp", rng: inout SeededGenerator) throws {
        try self.init(items: hidden.flatMap { [.linear($0), .activation(activation)] }, inputs: inputs, outputs: outputs,
                      name: name, rng: &rng)
    }

    /// An MLP from parsed config items.
    public init(items: [MLPConfigItem], inputs: Int, outputs: Int, name: String = "mlp", rng: inout SeededGenerator) throws {
        try MLP.validate(items)
        var layers: [any Layer] = []
        var width = inputs
        for item in items {
            switch item {
            case .linear(let next):
                layers.append(try Linear(inputs: width, outputs: next, name: "\(name).\(layers.count)", rng: &rng))
                width = next
            case .activation(let activation):
                layers.append(activation.makeLayer())
            }
        }
        layers.append(try Linear(inputs: width, outputs: outputs, name: "\(name).\(layers.count)", rng: &rng))
        stack = Sequential(layers)
        config = items
        self.inputs = inputs
        self.outputs = outputs
    }

    /// Parses `"[32, GELU]"`-style configs; throws on an unknown entry or a misplaced activation.
    public static func parseConfig(_ text: String) throws -> [MLPConfigItem] {
        var body = trimmedWhitespace(text)
        if body.hasPrefix("[") && body.hasSuffix("]") { body = body.dropFirst().dropLast() }
        let entries = body.split(separator: ",", omittingEmptySubsequences: false).map { trimmedWhitespace($0) }
        if entries.count == 1 && entries[0].isEmpty { return [] }
        let items: [MLPConfigItem] = try entries.map { entry in
            if let width = Int(entry) { return .linear(width) }
            if let activation = Activation.allCases.first(where: { $0.rawValue.lowercased() == entry.lowercased() }) {
                return .activation(activation)
            }
            let names = Activation.allCases.map(\.rawValue).joined(separator: ", ")
            throw SparseFactorError.invalidArgument("MLP config \"\(text)\": expected a width or one of \(names), got \"\(entry)\"")
        }
        try validate(items, text: text)
        return items
    }

    private static func validate(_ items: [MLPConfigItem], text: String? = nil) throws {
        let label = text.map { "MLP config \"\($0)\"" } ?? "MLP config"
        var previousIsLinear = false
        for item in items {
            switch item {
            case .linear(let width):
                guard width > 0 else { throw SparseFactorError.invalidArgument("\(label): widths must be positive, got \(width)") }
                previousIsLinear = true
            case .activation(let activation):
                guard previousIsLinear else {
                    throw SparseFactorError.invalidArgument("\(label): \(activation.rawValue) must follow a width")
                }
                previousIsLinear = false
            }
        }
    }

    public var parameters: [Parameter] { stack.parameters }
    public var isTraining: Bool {
        get { stack.isTraining }
        set { stack.isTraining = newValue }
    }
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try stack(x) }
    public func backward(_ outputGradient: Tensor) throws -> Tensor { try stack.backward(outputGradient) }
}

private func trimmedWhitespace(_ text: some StringProtocol) -> Substring {
    var s = Substring(text)
    while s.first?.isWhitespace == true { s = s.dropFirst() }
    while s.last?.isWhitespace == true { s = s.dropLast() }
    return s
}
