import Foundation

/// A one-line progress display for long work: redrawn in place on a terminal, silent
/// otherwise (logs, CI, pipes), so output stays clean for scripts.
///
/// ```swift
/// let progress = ProgressReporter(total: 100, label: "fit")
/// for step in 1...100 { progress.update(step: step, fields: ["loss": 0.5]) }
/// progress.finish()
/// ```
public final class ProgressReporter: @unchecked Sendable {
    private let total: Int
    private let label: String
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let lock = NSLock()

    /// - Parameters:
    ///   - total: the number of steps expected (for the ETA); 0 if unknown.
    ///   - enabled: `nil` means "only when standard error is a terminal".
    public init(total: Int, label: String, enabled: Bool? = nil) {
        self.total = total
        self.label = label
        self.enabled = enabled ?? (isatty(STDERR_FILENO) != 0)
    }

    /// Seconds since the reporter was made.
    public var elapsed: Double { Date().timeIntervalSince(start) }

    /// Redraws the line (at most 10 times a second) with the step, the fields and an ETA.
    public func update(step: Int, fields: KeyValuePairs<String, Double> = [:], force: Bool = false) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let seconds = now.timeIntervalSince(start)
        var line = "\(label) \(step)" + (total > 0 ? "/\(total)" : "")
        for (key, value) in fields { line += "  \(key) \(Self.format(value))" }
        if total > 0, step > 0 {
            let eta = seconds / Double(step) * Double(max(total - step, 0))
            line += "  elapsed \(Self.clock(seconds))  eta \(Self.clock(eta))"
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    /// Ends the line so later output starts on a fresh one.
    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    static func format(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        return (a >= 1e-3 && a < 1e5) ? String(format: "%.4f", v) : String(format: "%.3e", v)
    }

    static func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}
