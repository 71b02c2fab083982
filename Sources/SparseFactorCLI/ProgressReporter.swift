import Foundation

/// A one-line progress display for long work: redrawn in place on a terminal; elsewhere (logs,
/// pipes) a plain line at most once a minute, so a log shows the work moving while short runs and
/// the JSON on standard output stay clean for scripts.
///
/// ```swift
/// let progress = ProgressReporter(total: 100, label: "fit")
/// for step in 1...100 { progress.update(step: step, fields: ["loss": 0.5]) }
/// progress.finish()
/// ```
public final class ProgressReporter: @unchecked Sendable {
    /// How progress is shown.
    public enum Mode: Sendable, Equatable {
        /// One line redrawn in place, at most 10 times a second.
        case terminal
        /// A plain line every `seconds` at most (the first after `seconds`).
        case log(seconds: Double)
        case silent
    }

    /// Seconds between the plain lines written to a log.
    public static let logSeconds = 60.0

    private let total: Int
    private let label: String
    private let mode: Mode
    private let write: (String) -> Void
    private let start = Date()
    private var lastDraw: Date
    private var drewInPlace = false
    private let lock = NSLock()

    /// - Parameters:
    ///   - total: the number of steps expected (for the ETA); 0 if unknown.
    ///   - mode: `nil` means a terminal display when standard error is a terminal, log lines otherwise.
    ///   - write: where the text goes (standard error by default).
    public init(total: Int, label: String, mode: Mode? = nil,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.total = total
        self.label = label
        self.mode = mode ?? (isatty(STDERR_FILENO) != 0 ? .terminal : .log(seconds: Self.logSeconds))
        self.write = write
        self.lastDraw = self.mode == .terminal ? .distantPast : start
    }

    /// Seconds since the reporter was made.
    public var elapsed: Double { Date().timeIntervalSince(start) }

    /// Shows the step, the fields and an ETA (`force`: now, whatever the interval).
    public func update(step: Int, fields: KeyValuePairs<String, Double> = [:], force: Bool = false) {
        let interval: Double
        switch mode {
        case .silent: return
        case .terminal: interval = 0.1
        case .log(let seconds): interval = seconds
        }
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= interval else { return }
        lastDraw = now
        let line = Self.line(label: label, step: step, total: total, fields: fields, seconds: now.timeIntervalSince(start))
        if mode == .terminal {
            write("\r\u{1B}[K" + line)
            drewInPlace = true
        } else {
            write(line + "\n")
        }
    }

    /// Ends the line drawn in place so later output starts on a fresh one.
    public func finish() {
        lock.lock(); defer { lock.unlock() }
        if drewInPlace { write("\n") }
        drewInPlace = false
    }

    static func line(label: String, step: Int, total: Int, fields: KeyValuePairs<String, Double>, seconds: Double) -> String {
        var line = "\(label) \(step)" + (total > 0 ? "/\(total)" : "")
        for (key, value) in fields { line += "  \(key) \(format(value))" }
        if total > 0, step > 0 {
            let eta = seconds / Double(step) * Double(max(total - step, 0))
            line += "  elapsed \(clock(seconds))  eta \(clock(eta))"
        }
        return line
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
