import Foundation
import SparseFactorIO
import SparseFactorCore
import SparseFactorTestSupport
import Testing

@Suite struct IOMatrixMarketTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    func read(_ text: String) throws -> Matrix<Double> {
        try MatrixMarketReader.read(url: scratch.file("m.mtx", text))
    }

    @Test func coordinateGeneralNonSquareWithDuplicatesSummed() throws {
        let m = try read("""
        %%MatrixMarket matrix coordinate real general
        % a comment
        2 3 4
        1 1 1.5
        2 3 -2
        1 1 0.5
        2 1 4e0
        """)
        #expect(m.rows == 2 && m.columns == 3)
        #expect(m.values == [2, 0, 0, 4, 0, -2])
    }

    @Test func coordinateSymmetricSkewAndPattern() throws {
        let s = try read("%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n1 1 2\n3 1 5\n3 2 -1\n")
        #expect(s.values == [2, 0, 5, 0, 0, -1, 5, -1, 0])
        let k = try read("%%MatrixMarket matrix coordinate integer skew-symmetric\n3 3 2\n2 1 4\n3 2 7\n")
        #expect(k.values == [0, -4, 0, 4, 0, -7, 0, 7, 0])
        let p = try read("%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 2\n2 2\n")
        #expect(p.values == [0, 1, 0, 1])
        let ps = try read("%%MatrixMarket matrix coordinate pattern symmetric\n2 2 1\n2 1\n")
        #expect(ps.values == [0, 1, 1, 0])
    }

    @Test func arrayGeneralSymmetricAndSkew() throws {
        // Array data is column-major.
        let g = try read("%%MatrixMarket matrix array real general\n2 3\n1\n4\n2\n5\n3\n6\n")
        #expect(g.values == [1, 2, 3, 4, 5, 6])
        // Symmetric arrays list the lower triangle, diagonal included, column by column.
        let s = try read("%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n4\n5\n6\n")
        #expect(s.values == [1, 2, 3, 2, 4, 5, 3, 5, 6])
        let k = try read("%%MatrixMarket matrix array integer skew-symmetric\n3 3\n1\n2\n3\n")
        #expect(k.values == [0, -1, -2, 1, 0, -3, 2, 3, 0])
    }

    @Test func refusesCorruptFiles() throws {
        #expect(errorMessage { try read("%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 1\n2 2 2\n") }.contains("announces 3 entries but the file has 2"))
        #expect(errorMessage { try read("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n") }.contains("outside the 2×2 matrix"))
        #expect(errorMessage { try read("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n") }.contains("complex"))
        #expect(errorMessage { try read("hello\n1 1 1\n") }.contains("banner"))
        #expect(errorMessage { try read("%%MatrixMarket matrix coordinate real symmetric\n2 3 0\n") }.contains("must be square"))
        #expect(errorMessage { try read("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 x\n") }.contains("line 3"))
        #expect(errorMessage { try read("%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 1.5\n") }.contains("expected an integer value"))
        #expect(errorMessage { try read("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n") }.contains("needs 4 values, the file has 3"))
        #expect(errorMessage { try read("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n5\n") }.contains("needs 4 values, the file has more than 4"))
        #expect(errorMessage { try read("%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n4\n5\n") }.contains("needs 6 values, the file has 5"))
        #expect(errorMessage { try read("%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n") }.contains("needs 3 values, the file has 2"))
        // A short file announcing a big array (found by the fuzzer: the reader once listed every
        // position, 16 bytes each, before counting the values) is refused on the count alone.
        #expect(errorMessage { try read("%%MatrixMarket matrix array real general\n8191 8191\n1\n2\n3\n") }.contains("needs 67092481 values, the file has 3"))
        #expect(errorMessage { try read("%%MatrixMarket matrix coordinate real general\n0 0 0\n") }.contains("empty"))
        #expect(errorMessage { try read("") }.contains("empty"))
        #expect(errorMessage { try read("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 2 nan\n") }.contains("non-finite value"))
    }

    @Test func readsGzipCompressedFiles() throws {
        let text = "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 2 3\n2 1 -1\n"
        let url = try scratch.file("m.mtx.gz", gzipCompressed(Data(text.utf8)))
        #expect(try MatrixReader.read(url: url).values == [0, 3, -1, 0])
        let broken = try scratch.file("b.mtx.gz", gzipCompressed(Data(text.utf8)).prefix(20))
        #expect(errorMessage { try MatrixReader.read(url: broken) }.contains("truncated"))
    }
}

@Suite struct IOCSVTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    @Test func commaSeparatedWithHeaderAndComments() throws {
        let t = try CSVReader.readTable(url: scratch.file("t.csv", "# data\n\"a\",b,c\n1, 2,3\n\n4,5.5,-6\r\n"))
        #expect(t.columnNames == ["a", "b", "c"])
        #expect(t.values.rows == 2 && t.values.columns == 3)
        #expect(t.values.values == [1, 2, 3, 4, 5.5, -6])
        #expect(try t.selectingColumns([2, 0]).values.values == [3, 1, -6, 4])
    }

    @Test func whitespaceSemicolonAndTabSeparated() throws {
        #expect(try CSVReader.read(url: scratch.file("w.csv", "1 2\n 3   4\n")).values == [1, 2, 3, 4])
        #expect(try CSVReader.read(url: scratch.file("s.csv", "1;2\n3;4\n")).values == [1, 2, 3, 4])
        let tab = try CSVReader.readTable(url: scratch.file("t.tsv", "x\ty\n1\t2\n"))
        #expect(tab.columnNames == ["x", "y"] && tab.values.values == [1, 2])
    }

    @Test func refusesRaggedEmptyAndNonNumericRows() throws {
        #expect(errorMessage { try CSVReader.read(url: scratch.file("r.csv", "1,2,3\n4,5\n")) }.contains("line 2: expected 3 fields"))
        #expect(errorMessage { try CSVReader.read(url: scratch.file("e.csv", "1,,3\n")) }.contains("field 2 is empty"))
        #expect(errorMessage { try CSVReader.read(url: scratch.file("x.csv", "1,2x,3\n")) }.contains("expected a number for field 2"))
        #expect(errorMessage { try CSVReader.read(url: scratch.file("n.csv", "1,2\nnan,3\n")) }.contains("non-finite"))
        #expect(errorMessage { try CSVReader.read(url: scratch.file("h.csv", "a,b\n")) }.contains("no data rows"))
        #expect(errorMessage { try CSVReader.read(url: scratch.file("z.csv", "")) }.contains("no data rows"))
        #expect(errorMessage { try CSVReader.read(url: scratch.file("bin.csv", Data([0x31, 0x00, 0x32]))) }.contains("not a text file"))
    }
}

@Suite struct IOEdgeListTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    @Test func zeroBasedIntegerLabelsWeightsAndSymmetry() throws {
        let url = try scratch.file("g.edges", "# comment\n0 1\n1 2 2.5\n% another\n3 3\n")
        let a = try EdgeListReader.read(url: url)
        #expect(a.rows == 4)
        #expect(a.values == [0, 1, 0, 0,
                             1, 0, 2.5, 0,
                             0, 2.5, 0, 0,
                             0, 0, 0, 1])
        let d = try EdgeListReader.read(url: url, directed: true)
        #expect(d.values == [0, 1, 0, 0,
                             0, 0, 2.5, 0,
                             0, 0, 0, 0,
                             0, 0, 0, 1])
    }

    @Test func oneBasedIntegerLabelsAndLastDuplicateWins() throws {
        let g = try EdgeListReader.readGraph(url: scratch.file("g.txt", "1 3 5\n2 3\n1 3 7\n"))
        #expect(g.labels == ["1", "2", "3"])
        #expect(try g.adjacencyMatrix().values == [0, 0, 7, 0, 0, 1, 7, 1, 0])
    }

    @Test func integerLabelsAreARunNotAStringPerNode() throws {
        // One line naming node 10,000,000: the labels are the integer run, read back on demand.
        let g = try EdgeListReader.readGraph(data: Data("0 10000000 2\n7 3\n".utf8))
        #expect(g.nodeCount == 10_000_001)
        #expect(g.labels[0] == "0" && g.labels[7] == "7" && g.labels.last == "10000000")
        #expect(Array(g.labels.prefix(3)) == ["0", "1", "2"])
        // Equal to the same labels stored as names, and not to different ones.
        #expect(try NodeLabels(integersFrom: 1, count: 3) == ["1", "2", "3"])
        #expect(try NodeLabels(integersFrom: 0, count: 3) != ["1", "2", "3"])
        #expect(throws: SparseFactorError.self) { try NodeLabels(integersFrom: Int.max, count: 2) }
        // The dense matrix is refused by its memory check; the sparse one is made.
        #expect(throws: SparseFactorError.self) { try g.adjacencyMatrix() }
        let s = try g.sparseAdjacency()
        #expect(s[0, 10_000_000] == 2 && s[10_000_000, 0] == 2 && s[3, 7] == 1 && s[1, 2] == 0)
    }

    @Test func stringLabelsInFirstSeenOrder() throws {
        let g = try EdgeListReader.readGraph(url: scratch.file("w.txt", "C41D11.8\tAH9.2\nCD4.2\tAH9.2\nAH9.2\tZK1.1\t0.5\n"))
        #expect(g.labels == ["C41D11.8", "AH9.2", "CD4.2", "ZK1.1"])
        #expect(try g.adjacencyMatrix().values == [0, 1, 0, 0,
                                                   1, 0, 1, 0.5,
                                                   0, 1, 0, 0,
                                                   0, 0.5, 0, 0])
        // Integer labels can be forced into first-seen order too.
        let f = try EdgeListReader.readGraph(url: scratch.file("i.txt", "5 2\n2 9\n"), labeling: .firstSeen)
        #expect(f.labels == ["5", "2", "9"] && f.nodeCount == 3)
    }

    @Test func commaSeparatedEdges() throws {
        #expect(try EdgeListReader.read(url: scratch.file("c.edges", "0,1,2\n1,2,3\n")).values == [0, 2, 0, 2, 0, 3, 0, 3, 0])
    }

    @Test func refusesBadLines() throws {
        #expect(errorMessage { try EdgeListReader.read(url: scratch.file("a.txt", "0 1\n2\n")) }.contains("line 2: expected an edge"))
        #expect(errorMessage { try EdgeListReader.read(url: scratch.file("b.txt", "0 1 heavy\n")) }.contains("edge weight"))
        #expect(errorMessage { try EdgeListReader.read(url: scratch.file("c.txt", "# nothing\n")) }.contains("no edges"))
        #expect(errorMessage { try EdgeListReader.read(url: scratch.file("d.txt", "0 1 inf\n")) }.contains("non-finite"))
    }
}

@Suite struct IOMeshTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    /// A unit cube with 6 quad faces: each vertex has exactly 3 neighbours (no face diagonals).
    static let cubeOFF = """
    OFF
    # cube
    8 6 12
    0 0 0
    1 0 0
    1 1 0
    0 1 0
    0 0 1
    1 0 1
    1 1 1
    0 1 1
    4 0 1 2 3
    4 4 5 6 7
    4 0 1 5 4
    4 1 2 6 5   # trailing comment
    4 2 3 7 6 255 0 0
    4 3 0 4 7
    """

    static let cubeEdges: Set<[Int]> = [[0, 1], [1, 2], [2, 3], [0, 3], [4, 5], [5, 6], [6, 7], [4, 7],
                                        [0, 4], [1, 5], [2, 6], [3, 7]]

    func checkCube(_ mesh: Mesh) throws {
        let a = try mesh.vertexAdjacency()
        #expect(a.rows == 8 && a.columns == 8)
        for i in 0..<8 {
            for j in 0..<8 {
                #expect(a[i, j] == (Self.cubeEdges.contains([min(i, j), max(i, j)]) ? 1 : 0), "A[\(i), \(j)]")
            }
        }
        let l = try mesh.laplacian()
        for i in 0..<8 {
            #expect(l[i, i] == 3)
            #expect((0..<8).map { l[i, $0] }.reduce(0, +) == 0)
        }
        #expect(l[0, 1] == -1 && l[0, 2] == 0)
    }

    @Test func offCubeAdjacencyAndLaplacian() throws {
        let mesh = try MeshReader.read(url: scratch.file("cube.off", Self.cubeOFF))
        #expect(mesh.vertices.count == 8 && mesh.faces.count == 6)
        #expect(mesh.vertices[6] == SIMD3(1, 1, 1))
        try checkCube(mesh)
    }

    @Test func offCountsOnTheHeaderLine() throws {
        let mesh = try MeshReader.read(url: scratch.file("tri.off", "OFF 3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n"))
        #expect(try mesh.vertexAdjacency().values == [0, 1, 1, 1, 0, 1, 1, 1, 0])
    }

    @Test func asciiPLYWithExtraElementsAndProperties() throws {
        let ply = """
        ply
        format ascii 1.0
        comment made by hand
        element vertex 3
        property float x
        property float y
        property float z
        property uchar red
        element face 1
        property uchar flags
        property list uchar int vertex_indices
        element edge 1
        property int vertex1
        property int vertex2
        end_header
        0 0 0 9
        1 0 0 9
        0 1 0 9
        7 3 0 1 2
        0 1

        """
        let mesh = try MeshReader.read(url: scratch.file("t.ply", ply))
        #expect(mesh.vertices == [SIMD3(0, 0, 0), SIMD3(1, 0, 0), SIMD3(0, 1, 0)])
        #expect(mesh.faces == [[0, 1, 2]])
    }

    /// Elements are read by name, so each name may appear once (a second `vertex` element was
    /// read with the first one's layout: found by fuzzing); an element without properties has no
    /// body, whatever count it declares (it used to be looped over 2^62 times).
    @Test func plyElementsAreReadByTheirOwnLayout() throws {
        let twice = "ply\nformat ascii 1.0\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\nelement vertex 1\nproperty float w\nend_header\n1\n"
        #expect(errorMessage { try MeshReader.read(url: scratch.file("twice.ply", twice)) }.contains("a second \"vertex\" element"))
        let empty = "ply\nformat ascii 1.0\nelement nothing 4611686018427387904\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n"
        let mesh = try MeshReader.read(url: scratch.file("empty.ply", empty))
        #expect(mesh.faces == [[0, 1, 2]])
    }

    @Test func binaryLittleEndianPLYCube() throws {
        // The cube again, stored in binary: float x y z, then uchar count + int indices per face.
        let header = "ply\nformat binary_little_endian 1.0\nelement vertex 8\nproperty float x\nproperty float y\nproperty float z\nelement face 6\nproperty list uchar int vertex_indices\nend_header\n"
        var body: [UInt8] = []
        let positions: [[Float]] = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]]
        for p in positions { for c in p { body += leBytes(c.bitPattern) } }
        for face in [[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]] {
            body.append(4)
            for v in face { body += leBytes(Int32(v)) }
        }
        let mesh = try MeshReader.read(url: scratch.file("cube.ply", Data(Array(header.utf8) + body)))
        try checkCube(mesh)
        // Truncated body.
        let cut = try scratch.file("cut.ply", Data(Array(header.utf8) + body.dropLast(3)))
        #expect(errorMessage { try MeshReader.read(url: cut) }.contains("ends early"))
    }

    @Test func refusesCorruptMeshes() throws {
        #expect(errorMessage { try MeshReader.read(url: scratch.file("a.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n")) }.contains("truncated"))
        #expect(errorMessage { try MeshReader.read(url: scratch.file("b.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 5\n")) }.contains("vertex index 5 is outside"))
        #expect(errorMessage { try MeshReader.read(url: scratch.file("c.off", "OFF\n2 0 0\n0 0\n1 0 0\n")) }.contains("expected a vertex"))
        #expect(errorMessage { try MeshReader.read(url: scratch.file("d.off", "OFF\n1 0 0\nnan 0 0\n")) }.contains("non-finite"))
        #expect(errorMessage { try MeshReader.read(url: scratch.file("e.ply", "ply\nformat ascii 1.0\nelement vertex 1\n")) }.contains("end_header"))
        #expect(errorMessage { try MeshReader.read(url: scratch.file("f.ply", "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\n0 0 0\n1 1\n")) }.contains("ends early"))
        #expect(errorMessage { try MeshReader.read(url: scratch.file("g.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n0 0 0\n5\n")) }.contains("follow the last element"))
        #expect(errorMessage { try MeshReader.read(url: scratch.file("h.stl", "solid")) }.contains(".off or .ply"))
    }
}

@Suite struct IOStanfordGraphBaseTests {
    let scratch: IOScratch
    init() throws { scratch = try IOScratch() }

    /// The first lines of networkx's knuth_miles.txt with the distance line of the 4th city wrapped.
    static let miles = """
    * File "miles.dat" from the Stanford GraphBase
    Youngstown, OH[4110,8065]115436
    Yankton, SD[4288,9739]12011
    966
    Yakima, WA[4660,12051]49826
    1513 2410
    Worcester, MA[4227,7180]161799
    2964 1520
    604
    * End of file
    """

    @Test func knuthMilesGivesTheRoadDistances() throws {
        let c = try KnuthMilesReader.read(url: scratch.file("knuth_miles.txt", Self.miles))
        #expect(c.names == ["Youngstown, OH", "Yankton, SD", "Yakima, WA", "Worcester, MA"])
        #expect(c.latitudes == [41.10, 42.88, 46.60, 42.27])
        #expect(c.longitudes == [-80.65, -97.39, -120.51, -71.80])
        #expect(c.populations == [115436, 12011, 49826, 161799])
        // Each city's distances go to the cities before it, most recent first.
        #expect(c.miles.values == [0, 966, 2410, 604,
                                   966, 0, 1513, 1520,
                                   2410, 1513, 0, 2964,
                                   604, 1520, 2964, 0])
        #expect(try c.coordinates.values.values.prefix(2) == [41.10, -80.65])
        // Guessed from the content of a .txt.gz file.
        let gz = try scratch.file("knuth_miles.txt.gz", gzipCompressed(Data(Self.miles.utf8)))
        #expect(try MatrixReader.read(url: gz) == c.miles)
    }

    @Test func knuthMilesRefusesMissingDistances() throws {
        let truncated = String(Self.miles.split(separator: "\n").dropLast(2).joined(separator: "\n"))
        #expect(errorMessage { try KnuthMilesReader.read(url: scratch.file("k.txt", truncated)) }.contains("Worcester, MA has 2 distances, expected 3"))
        #expect(errorMessage { try KnuthMilesReader.read(url: scratch.file("k2.txt", "A, B[1,2]3\n5\n")) }.contains("more distances"))
    }

    @Test func rogetWithContinuationAndSelfReference() throws {
        // Entry 1 refers to itself; networkx's example keeps that edge, so does the reader.
        let text = "* Roget\n1existence:2 3 1\n2inexistence:1 \\\n 3\n3substantiality:\n"
        let g = try RogetReader.read(url: scratch.file("roget_dat.txt", text))
        #expect(g.labels == ["existence", "inexistence", "substantiality"])
        #expect(g.isDirected)
        #expect(try g.adjacencyMatrix().values == [1, 1, 1,
                                                   1, 0, 1,
                                                   0, 0, 0])
        #expect(try MatrixFileFormat.guess(url: scratch.url("roget_dat.txt"), content: Data(text.utf8)) == .roget)
        #expect(errorMessage { try RogetReader.read(url: scratch.file("r.txt", "1a:2 9\n2b:\n")) }.contains("cross-reference 9"))
        #expect(errorMessage { try RogetReader.read(url: scratch.file("r2.txt", "1a:2 \\\n")) }.contains("continued line"))
    }
}
