import Testing

@Suite struct DemoCommandTests {
    @Test func demoRunsAndReportsTheTopology() throws {
        let result = try CLI.run(["demo", "--n", "64"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("K = 7 links per row"))
    }

    @Test func demoRefusesTooSmallN() throws {
        let result = try CLI.run(["demo", "--n", "1"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("N must be at least 2"))
    }
}
