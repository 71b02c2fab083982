import Foundation
import SparseFactorIO
import SparseFactorCore
import SparseFactorTestSupport
import Testing

@Suite struct IOMatrixReaderTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    @Test func guessesFormatsFromExtensions() throws {
        let cases: [(String, MatrixFileFormat)] = [("a.png", .png), ("a.NPY", .npy), ("a.mtx", .matrixMarket), ("a.mtx.gz", .matrixMarket),
                                                   ("a.csv", .csv), ("a.csv.gz", .csv), ("a.txt", .edgeList), ("a.edges", .edgeList),
                                                   ("a.edgelist", .edgeList), ("a.off", .off), ("a.ply", .ply)]
        for (name, format) in cases { #expect(try MatrixFileFormat.guess(url: URL(fileURLWithPath: name)) == format, "\(name)") }
        #expect(errorMessage { try MatrixFileFormat.guess(url: URL(fileURLWithPath: "a.xyz")) }.contains("\"xyz\""))
        #expect(try MatrixFileFormat(name: "matrix-market") == .matrixMarket)
        #expect(try MatrixFileFormat(name: "knuth-miles") == .knuthMiles)
        #expect(errorMessage { try MatrixFileFormat(name: "jpeg") }.contains("unknown file format"))
    }

    @Test func readsEachFormatThroughOneEntryPoint() throws {
        let npy = scratch.url("a.npy")
        let m = try Matrix<Double>(rows: 2, columns: 2, values: [1, 2, 3, 4])
        try NpyWriter.write(m, to: npy)
        #expect(try MatrixReader.read(url: npy) == m)
        #expect(try MatrixReader.read(url: scratch.file("a.csv", "1,2\n3,4\n")) == m)
        #expect(try MatrixReader.read(url: scratch.file("a.csv.gz", gzipCompressed(Data("1 2\n3 4\n".utf8)))) == m)
        #expect(try MatrixReader.read(url: scratch.file("g.txt", "0 1\n")).values == [0, 1, 1, 0])
        #expect(try MatrixReader.read(url: scratch.file("d.txt", "0 1\n"), format: MatrixFileFormat(name: "directed-edges")).values == [0, 1, 0, 0])
        #expect(try MatrixReader.read(url: scratch.file("t.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")).values == [0, 1, 1, 1, 0, 1, 1, 1, 0])
        // An explicit format wins over the extension.
        #expect(try MatrixReader.read(url: scratch.file("data.bin", "1,2\n3,4\n"), format: .csv) == m)
        #expect(errorMessage { try MatrixReader.read(url: scratch.url("missing.npy")) }.contains("no such file"))
    }

    @Test func readWithTransformChecksTheResultIsFactorizable() throws {
        let wide = try scratch.file("w.csv", "1,2,3\n4,5,6\n")
        #expect(errorMessage { try MatrixReader.read(url: wide, transform: .identity) }.contains("a square matrix"))
        #expect(try MatrixReader.read(url: wide, transform: .squareImage).values == [1, 2, 4, 5])
        let one = try scratch.file("o.csv", "5\n")
        #expect(errorMessage { try MatrixReader.read(url: one, transform: .identity) }.contains("N must be at least 2"))
        let cov = try MatrixReader.read(url: wide, transform: .covariance)   // 3 features → 3×3
        #expect(cov.rows == 3 && cov.values.allSatisfy { $0 == 4.5 })
    }

    @Test func endToEndTransformsFromFiles() throws {
        let image = try Matrix<Double>(rows: 2, columns: 4, values: [0, 51, 102, 255, 255, 204, 0, 0].map { $0 / 255 })
        let png = scratch.url("i.png")
        try PNGWriter.write(image, to: png)
        let g = try MatrixReader.read(url: png, transform: .gradientImage)   // columns 1…2 of each row, differenced
        #expect(g.values == [51.0 / 255, 0, -204.0 / 255, 0])
        let off = try scratch.file("t.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")
        #expect(try MatrixReader.read(url: off, transform: .meshLaplacian).values == [2, -1, -1, -1, 2, -1, -1, -1, 2])
    }

    @Test func gzipHandlesConcatenatedMembersAndRefusesGarbage() throws {
        let joined = gzipCompressed(Data("1,2\n".utf8)) + gzipCompressed(Data("3,4\n".utf8))
        #expect(try Gzip.decompress(joined) == Data("1,2\n3,4\n".utf8))
        var corrupt = [UInt8](gzipCompressed(Data(String(repeating: "0 1\n", count: 50).utf8)))
        corrupt[12] ^= 0xFF
        #expect(errorMessage { try Gzip.decompress(Data(corrupt)) }.contains("corrupt compressed data"))
        #expect(Gzip.isCompressed(joined) && !Gzip.isCompressed(Data("1f".utf8)))
    }
}
