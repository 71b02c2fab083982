import Foundation
import SparseFactorIO
import SparseFactorCore
import SparseFactorTestSupport
import Testing

@Suite struct IOFactorFileTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    static func topologies() throws -> [ChordTopology] {
        [try ChordTopology(size: 16),
         try ChordTopology(size: 4, symmetric: true),                       // merges −2 ≡ +2
         try ChordTopology(size: 10, base: 3, selfLink: false, permutationSeed: 42),
         try ChordTopology(size: 6, offsets: [0, 6, 1, -1, 7], permutationSeed: 0)]
    }

    @Test func float64RoundTripIsExact() throws {
        for (k, topology) in try Self.topologies().enumerated() {
            let chain = try FactorChain<Double>.rowNormalized(topology: topology, factorCount: k + 1, noise: 0.3, seed: UInt64(k))
            let url = scratch.url("c\(k).sfchain")
            try FactorFile.save(chain, to: url)
            let back = try FactorFile.load(from: url)
            #expect(back == chain)
            #expect(back.topology == topology)
            #expect(back.topology.mergedLinks == topology.mergedLinks)
            // The reloaded topology links the same columns (so products agree too).
            for i in 0..<topology.size { for l in 0..<topology.linksPerRow { #expect(back.topology.column(row: i, link: l) == topology.column(row: i, link: l)) } }
        }
    }

    @Test func float32RoundTripAndConversion() throws {
        let topology = try ChordTopology(size: 12, permutationSeed: 5)
        let chain = try FactorChain<Float>.rowNormalized(topology: topology, seed: 9)
        let url = scratch.url("f.sfchain")
        try FactorFile.save(chain, to: url)
        #expect(try FactorFile.load(from: url, as: Float.self) == chain)
        let wide = try FactorFile.load(from: url)
        #expect(wide.values == chain.values.map { Double($0) })
        let size = try Data(contentsOf: url).count
        #expect(size == 64 + 8 * topology.linksPerRow + 4 * chain.values.count + 4)
    }

    @Test func headerLayoutMatchesTheDocumentation() throws {
        let topology = try ChordTopology(size: 5, permutationSeed: 77)   // offsets 0, 1, 2, 4
        let chain = try FactorChain<Double>.rowNormalized(topology: topology, factorCount: 2, seed: 1)
        let data = [UInt8](FactorFile.encode(chain))
        #expect(Array(data[0..<8]) == Array("SFCHAIN1".utf8))
        #expect(Array(data[8..<12]) == leBytes(UInt32(2)))        // version
        #expect(Array(data[12..<16]) == leBytes(UInt32(2)))       // float64
        #expect(Array(data[16..<24]) == leBytes(UInt64(5)))       // N
        #expect(Array(data[24..<32]) == leBytes(UInt64(4)))       // K
        #expect(Array(data[32..<40]) == leBytes(UInt64(2)))       // M
        #expect(data[40] == 1 && data[41] == 1)                   // self-link, has seed
        #expect(Array(data[48..<56]) == leBytes(UInt64(77)))      // seed
        #expect(Array(data[56..<64]) == leBytes(UInt64(0)))       // merged links
        #expect(Array(data[64..<96]) == [0, 1, 2, 4].flatMap { leBytes(UInt64($0)) })
        #expect(Array(data[96..<104]) == leBytes(chain.values[0].bitPattern))
        // CRC-32 of the bytes before it; the standard check value of "123456789" is 0xcbf43926.
        #expect(crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(data.count == 104 + 8 * (chain.values.count - 1) + 4)
        #expect(Array(data.suffix(4)) == leBytes(crc32(data.dropLast(4))))
    }

    @Test func refusesCorruptTruncatedAndForeignFiles() throws {
        let chain = try FactorChain<Double>.rowNormalized(topology: ChordTopology(size: 8), seed: 2)
        let data = [UInt8](FactorFile.encode(chain))
        var flipped = data
        flipped[200] ^= 0x01
        #expect(errorMessage { try FactorFile.load(from: scratch.file("x.sfchain", Data(flipped))) }.contains("checksum mismatch"))
        #expect(errorMessage { try FactorFile.load(from: scratch.file("t.sfchain", Data(data.dropLast(9)))) }.contains("truncated"))
        #expect(errorMessage { try FactorFile.load(from: scratch.file("s.sfchain", Data(data.prefix(30)))) }.contains("truncated"))
        #expect(errorMessage { try FactorFile.load(from: scratch.file("l.sfchain", Data(data + [0]))) }.contains("unexpected bytes"))
        #expect(errorMessage { try FactorFile.load(from: scratch.file("m.sfchain", "SFCHAIN0 and more bytes to pass the size check........................")) }.contains("not a factor file"))
        var version = data
        version[8] = 9
        #expect(errorMessage { try FactorFile.load(from: scratch.file("v.sfchain", Data(version))) }.contains("version 9"))
        var huge = data
        huge[16..<24] = ArraySlice(leBytes(UInt64(1) << 40))
        #expect(errorMessage { try FactorFile.load(from: scratch.file("h.sfchain", Data(huge))) }.contains("corrupt header"))
        #expect(errorMessage { try FactorFile.load(from: scratch.url("missing.sfchain")) }.contains("no such file"))
    }

    @Test func savingReplacesAnExistingFileWhole() throws {
        let url = scratch.url("r.sfchain")
        try Data("old content".utf8).write(to: url)
        let chain = try FactorChain<Double>.rowNormalized(topology: ChordTopology(size: 3), seed: 4)
        try FactorFile.save(chain, to: url)
        #expect(try FactorFile.load(from: url) == chain)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.directory.path)
        #expect(leftovers == ["r.sfchain"])
    }
}
