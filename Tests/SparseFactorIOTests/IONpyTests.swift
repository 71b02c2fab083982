import Foundation
import Testing
import SparseFactorIO
import SparseFactorCore
import SparseFactorTestSupport

@Suite struct IONpyTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    @Test func readsHandMadeFloat64Version1() throws {
        let payload = [1.5, -2.0, 3.25, 0, 1e-300, 7].flatMap { leBytes($0.bitPattern) }
        let url = try scratch.file("a.npy", npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", payload: payload))
        let m = try NpyReader.read(url: url)
        #expect(m.rows == 2 && m.columns == 3)
        #expect(m.values == [1.5, -2.0, 3.25, 0, 1e-300, 7])
    }

    @Test func readsVersions2And3AndFloat32() throws {
        let payload = [Float(0.5), 2, -4, 8].flatMap { leBytes($0.bitPattern) }
        for major: UInt8 in [2, 3] {
            let url = try scratch.file("v\(major).npy", npyFile(header: "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 2)}", payload: payload, major: major))
            #expect(try NpyReader.read(url: url).values == [0.5, 2, -4, 8])
        }
    }

    @Test func convertsIntegerBoolAndBigEndianTypes() throws {
        let i4 = [Int32(-3), 7].flatMap { leBytes($0) }
        #expect(try NpyReader.read(url: scratch.file("i4.npy", npyFile(header: "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }", payload: i4))).values == [-3, 7])
        #expect(try NpyReader.read(url: scratch.file("u1.npy", npyFile(header: "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1), }", payload: [255, 3]))).values == [255, 3])
        #expect(try NpyReader.read(url: scratch.file("b1.npy", npyFile(header: "{'descr': '|b1', 'fortran_order': False, 'shape': (1, 3), }", payload: [1, 0, 1]))).values == [1, 0, 1])
        let big = [2.5, -1.0].flatMap { Array(leBytes($0.bitPattern).reversed()) }
        #expect(try NpyReader.read(url: scratch.file("be.npy", npyFile(header: "{'descr': '>f8', 'fortran_order': False, 'shape': (1, 2), }", payload: big))).values == [2.5, -1])
        let i8 = [Int64(-5), 1 << 40].flatMap { leBytes($0) }
        #expect(try NpyReader.read(url: scratch.file("i8.npy", npyFile(header: "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", payload: i8))).values == [-5, 1099511627776])
    }

    @Test func fortranOrderIsTransposedIntoPlace() throws {
        // The 2×3 matrix [[1, 2, 3], [4, 5, 6]] stored column by column.
        let payload = [1.0, 4, 2, 5, 3, 6].flatMap { leBytes($0.bitPattern) }
        let m = try NpyReader.read(url: scratch.file("f.npy", npyFile(header: "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", payload: payload)))
        #expect(m.rows == 2 && m.columns == 3)
        #expect(m.values == [1, 2, 3, 4, 5, 6])
    }

    @Test func oneDimensionalArrayIsAColumn() throws {
        let payload = [1.0, 2, 3].flatMap { leBytes($0.bitPattern) }
        let m = try NpyReader.read(url: scratch.file("v.npy", npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", payload: payload)))
        #expect(m.rows == 3 && m.columns == 1 && m.values == [1, 2, 3])
    }

    @Test func writerRoundTripsBothTypesAndAlignsData() throws {
        var rng = SeededGenerator(seed: 3)
        let values = (0..<35).map { _ in Double.random(in: -10...10, using: &rng) }
        let m = try Matrix<Double>(rows: 5, columns: 7, values: values)
        let url = scratch.url("rt.npy")
        try NpyWriter.write(m, to: url)
        #expect(try NpyReader.read(url: url) == m)
        let data = try Data(contentsOf: url)
        #expect(data.count == 128 + 35 * 8)   // header padded to 64 bytes, then the values
        #expect(String(decoding: data[10..<60], as: UTF8.self).contains("'descr': '<f8'"))

        let url32 = scratch.url("rt32.npy")
        try NpyWriter.write(m, to: url32, as: Float.self)
        let back = try NpyReader.read(url: url32)
        #expect(back.values == values.map { Double(Float($0)) })
        #expect(try NpyReader.read(url: url32, as: Float.self).values == values.map { Float($0) })
        #expect(try Data(contentsOf: url32).count == 128 + 35 * 4)
    }

    @Test func refusesBadFiles() throws {
        let f8 = [1.0, 2, 3, 4].flatMap { leBytes($0.bitPattern) }
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }"
        let truncated = try scratch.file("t.npy", npyFile(header: header, payload: Array(f8.prefix(20))))
        #expect(errorMessage { try NpyReader.read(url: truncated) }.contains("truncated data"))
        let extra = try scratch.file("x.npy", npyFile(header: header, payload: f8 + [0]))
        #expect(errorMessage { try NpyReader.read(url: extra) }.contains("unexpected bytes"))
        let notNpy = try scratch.file("n.npy", "hello, world")
        #expect(errorMessage { try NpyReader.read(url: notNpy) }.contains("not a .npy file"))
        let shortHeader = try scratch.file("h.npy", Data(npyFile(header: header, payload: f8).prefix(40)))
        #expect(errorMessage { try NpyReader.read(url: shortHeader) }.contains("truncated .npy header"))
        let complex = try scratch.file("c.npy", npyFile(header: "{'descr': '<c16', 'fortran_order': False, 'shape': (1, 1), }", payload: Array(repeating: 0, count: 16)))
        #expect(errorMessage { try NpyReader.read(url: complex) }.contains("complex128"))
        let half = try scratch.file("f2.npy", npyFile(header: "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 1), }", payload: [0, 0]))
        #expect(errorMessage { try NpyReader.read(url: half) }.contains("float16"))
        let threeD = try scratch.file("3d.npy", npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 2), }", payload: f8))
        #expect(errorMessage { try NpyReader.read(url: threeD) }.contains("2-D"))
        let empty = try scratch.file("e.npy", npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }", payload: []))
        #expect(errorMessage { try NpyReader.read(url: empty) }.contains("empty"))
        let structured = try scratch.file("s.npy", npyFile(header: "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1, 1), }", payload: f8))
        #expect(errorMessage { try NpyReader.read(url: structured) }.contains("structured"))
        let badDict = try scratch.file("d.npy", npyFile(header: "{'descr': '<f8', 'shape': (2, 2), }", payload: f8))
        #expect(errorMessage { try NpyReader.read(url: badDict) }.contains("no 'fortran_order'"))
        let version9 = try scratch.file("v9.npy", npyFile(header: header, payload: f8, major: 9))
        #expect(errorMessage { try NpyReader.read(url: version9) }.contains("version 9"))
    }

    @Test func refusesNaNAndInfinity() throws {
        let payload = [1.0, .nan, 3, 4].flatMap { leBytes($0.bitPattern) }
        let url = try scratch.file("nan.npy", npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", payload: payload))
        #expect(throws: SparseFactorError.nonFinite("\(url.path): entry (0, 1) is nan, finite numbers are required")) { try NpyReader.read(url: url) }
        let inf = [Float.infinity].flatMap { leBytes($0.bitPattern) }
        let url2 = try scratch.file("inf.npy", npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", payload: inf))
        #expect(errorMessage { try NpyReader.read(url: url2) }.contains("non-finite value"))
    }
}
