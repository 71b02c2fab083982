@testable import SparseFactorCLI
import Testing

/// Progress on a terminal is one line redrawn in place; in a log it is plain lines, spaced.
@Suite struct ProgressReporterTests {
    final class Sink: @unchecked Sendable { var text = "" }

    @Test func logLinesArePlainAndSpacedByTheInterval() {
        let every = Sink()
        let eager = ProgressReporter(total: 4, label: "fit", mode: .log(seconds: 0)) { every.text += $0 }
        for step in 1...4 { eager.update(step: step, fields: ["loss": 0.25]) }
        eager.finish()
        let lines = every.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5 && lines.last == "", "\(every.text)")
        #expect(lines[0].hasPrefix("fit 1/4  loss 0.2500  elapsed 0:00  eta "), "\(lines[0])")
        #expect(!every.text.contains("\r") && !every.text.contains("\u{1B}"))

        let spaced = Sink()
        let patient = ProgressReporter(total: 4, label: "fit", mode: .log(seconds: 3600)) { spaced.text += $0 }
        for step in 1...4 { patient.update(step: step) }
        patient.update(step: 4, force: true)
        patient.finish()
        #expect(spaced.text == "fit 4/4  elapsed 0:00  eta 0:00\n", "only the forced line within the hour")
    }

    @Test func aTerminalLineIsRedrawnInPlaceAndEndedOnce() {
        let sink = Sink()
        let progress = ProgressReporter(total: 2, label: "epoch 1/1", mode: .terminal) { sink.text += $0 }
        progress.update(step: 1, force: true)
        progress.update(step: 2, force: true)
        progress.finish()
        progress.finish()
        #expect(sink.text == "\r\u{1B}[Kepoch 1/1 1/2  elapsed 0:00  eta 0:00\r\u{1B}[Kepoch 1/1 2/2  elapsed 0:00  eta 0:00\n")
        let silent = Sink()
        let quiet = ProgressReporter(total: 2, label: "x", mode: .silent) { silent.text += $0 }
        quiet.update(step: 1, force: true)
        quiet.finish()
        #expect(silent.text.isEmpty)
    }
}
