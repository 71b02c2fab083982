import Foundation
import SparseFactor
import Testing

/// `sparsefactor data` writes each task's files; `train --train-data` and `evaluate --data` read them back.
@Suite struct DataCommandTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sf-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @Test func listOpsFilesTrainResumeAndEvaluate() throws {
        for (name, count, seed) in [("train.tsv", 60, 1), ("val.tsv", 20, 2)] {
            let made = try CLI.run(["data", "listops", "--output", path(name), "--count", "\(count)", "--seed", "\(seed)", "--length", "96", "--json"])
            #expect(made.status == 0, "\(made.stderr)")
            #expect(made.lastJSON?["count"] as? Int == count)
            #expect((made.lastJSON?["per_class"] as? [Int])?.reduce(0, +) == count)
        }
        // The written file is LRA's form and reads back as the same sequences.
        let text = try String(contentsOfFile: path("train.tsv"), encoding: .utf8)
        #expect(text.hasPrefix("Source\tTarget\n( "))
        let back = try TaskData.read(task: .listops, url: URL(fileURLWithPath: path("train.tsv")), length: 96)
        #expect(back == (try TaskData.generate(task: .listops, length: 96, count: 60, seed: 1)))

        let run = ["train", "--task", "listops", "--length", "96", "--train-data", path("train.tsv"), "--val-data", path("val.tsv"),
                   "--epochs", "2", "--batch", "20", "--checkpoint", path("l.ckpt"), "--json"]
        let first = try CLI.run(run + ["--max-steps", "3"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.lastJSON?["train_size"] as? Int == 60 && first.lastJSON?["task"] as? String == "listops")
        let resumed = try CLI.run(run + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.lastJSON?["steps"] as? Int == 6)
        let scored = try CLI.run(["evaluate", "--checkpoint", path("l.ckpt"), "--data", path("val.tsv"), "--json"])
        #expect(scored.status == 0, "\(scored.stderr)")
        #expect(scored.lastJSON?["test_size"] as? Int == 20)
        #expect(scored.lastJSON?["accuracy"] as? Double == resumed.lastJSON?["val_accuracy"] as? Double)

        // Changed data is refused on resume; a malformed file names its line; a long sequence needs --truncate.
        try (text + "[MAX 1 2 ]\t2\n").write(toFile: path("train.tsv"), atomically: true, encoding: .utf8)
        let changed = try CLI.run(run + ["--resume"])
        #expect(changed.status == 65 && changed.stderr.contains("other data files"))
        try "Source\tTarget\n[MAX 1 2 ]\t7\n".write(toFile: path("bad.tsv"), atomically: true, encoding: .utf8)
        let bad = try CLI.run(["evaluate", "--checkpoint", path("l.ckpt"), "--data", path("bad.tsv"), "--json"])
        #expect(bad.status == 74 && bad.stderr.contains("bad.tsv line 2: the label 7 is not the expression's value 2"))
        #expect(bad.lastJSON?["kind"] as? String == "io")
        let long = try CLI.run(["train", "--task", "listops", "--length", "30", "--train-data", path("val.tsv"), "--max-steps", "1"])
        #expect(long.status == 65 && long.stderr.contains("give --truncate"))
    }

    /// A pair corpus in LRA's Retrieval format is split by `data retrieval`, trained on with --task
    /// retrieval (any model: here the Transformer on token pairs) and scored by evaluate --data.
    @Test func retrievalPairsSplitTrainAndEvaluate() throws {
        var corpus = ""
        for i in 0..<40 {
            let (a, b) = ("doc\(i % 7)\\tpage", "doc\((i * 3) % 7)")
            corpus += "\(i % 7 == (i * 3) % 7 ? 1 : 0)\tp\(i).1\tp\(i).2\t\(a)\t\(b)\n"
        }
        try corpus.write(toFile: path("pairs.tsv"), atomically: true, encoding: .utf8)
        for split in ["train", "validation"] {
            let made = try CLI.run(["data", "retrieval", "--source", path("pairs.tsv"), "--split", split, "--length", "12",
                                    "--output", path("\(split).tsv"), "--json"])
            #expect(made.status == 0, "\(made.stderr)")
            #expect(made.lastJSON?["count"] as? Int == (split == "train" ? 32 : 4) && made.lastJSON?["length"] as? Int == 24)
        }
        let run = try CLI.run(["train", "--task", "retrieval", "--model", "transformer", "--length", "12", "--train-data", path("train.tsv"),
                               "--val-data", path("validation.tsv"), "--epochs", "1", "--batch", "8", "--checkpoint", path("r.ckpt"), "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.lastJSON?["task"] as? String == "retrieval" && run.lastJSON?["steps"] as? Int == 4)
        let scored = try CLI.run(["evaluate", "--checkpoint", path("r.ckpt"), "--data", path("validation.tsv"), "--json"])
        #expect(scored.status == 0, "\(scored.stderr)")
        #expect(scored.lastJSON?["accuracy"] as? Double == run.lastJSON?["val_accuracy"] as? Double)
        let short = try CLI.run(["data", "retrieval", "--source", path("pairs.tsv"), "--length", "5", "--output", path("x.tsv")])
        #expect(short.status == 65 && short.stderr.contains("text1 has 9 bytes, longer than the document length 5"), "\(short.stderr)")
    }

    @Test func pathfinderImagesAsNpyAndPNG() throws {
        let made = try CLI.run(["data", "pathfinder", "--output", path("pf.npy"), "--count", "6", "--png-dir", path("png")])
        #expect(made.status == 0, "\(made.stderr)")
        let data = try TaskData.read(task: .pathfinder, url: URL(fileURLWithPath: path("pf.npy")), length: 1024)
        #expect(data == (try Pathfinder.generate(count: 6, seed: 1)))
        let pngs = try FileManager.default.contentsOfDirectory(atPath: path("png")).sorted()
        #expect(pngs.count == 6 && pngs[0].hasPrefix("000000-label"))
        let wrongSize = try CLI.run(["evaluate", "--checkpoint", path("none.ckpt"), "--data", path("pf.npy")])
        #expect(wrongSize.status == 74)   // no checkpoint: an I/O error, not a crash
        // LRA's easy difficulty: contours of 6 dashes, the library's generator with those options.
        let easy = try CLI.run(["data", "pathfinder", "--dashes", "6", "--output", path("easy.npy"), "--count", "4", "--seed", "3", "--json"])
        #expect(easy.status == 0 && easy.lastJSON?["dashes"] as? Int == 6, "\(easy.stderr)")
        // LRA's shapes at 6 dashes (its TFDS builder): 2-pixel dashes, 20 / (6 / 3) = 10 distractors of 6 / 3 = 2 dashes.
        #expect(easy.lastJSON?["dash_length"] as? Int == 2 && easy.lastJSON?["distractors"] as? Int == 10
                && easy.lastJSON?["distractor_dashes"] as? Int == 2, "\(easy.stdout)")
        #expect(try TaskData.read(task: .pathfinder, url: URL(fileURLWithPath: path("easy.npy")), length: 1024)
                == (try Pathfinder.generate(count: 4, seed: 3, options: PathfinderOptions(dashes: 6))))
        #expect(try CLI.run(["data", "pathfinder", "--dashes", "0", "--output", path("x.npy")]).stderr.contains("--dashes must be 1…64, got 0"))
        #expect(try CLI.run(["data", "listops", "--dashes", "6", "--output", path("x.tsv")]).status == 64)
    }

    @Test func badRequestsAreUsageErrors() throws {
        #expect(try CLI.run(["data", "adding", "--output", path("a")]).status == 64)
        #expect(try CLI.run(["data", "image", "--output", path("a.npy")]).status == 64)        // needs --source
        #expect(try CLI.run(["data", "listops", "--output", path("a"), "--source", "x"]).status == 64)
        #expect(try CLI.run(["train", "--task", "listops", "--length", "100", "--val-data", "x"]).status == 64)
        let image = try CLI.run(["train", "--task", "image", "--length", "784", "--json"])
        #expect(image.status == 65 && image.stderr.contains("reads its data from files"))
    }
}
