import Foundation
@testable import SparseFactorAttention
import SparseFactorCore
import Testing

/// ListOps against an evaluator written here: a stack machine over the text form (operators push a
/// frame, digits go into the open frame, `]` reduces it), separate from the generator's recursion.
@Suite struct ListOpsTests {
    func stackValue(_ text: String) -> Int? {
        var frames: [(op: String, values: [Int])] = []
        var result: Int?
        for word in text.split(separator: " ").map(String.init) where word != "(" && word != ")" {
            if word.hasPrefix("[") {
                frames.append((word, []))
            } else if word == "]" {
                guard let frame = frames.popLast(), !frame.values.isEmpty else { return nil }
                let v = frame.values
                let value: Int
                switch frame.op {
                case "[MIN": value = v.min()!
                case "[MAX": value = v.max()!
                case "[SM": value = v.reduce(0, +) % 10
                case "[MED":
                    let s = v.sorted()
                    value = Int((Double(s[(s.count - 1) / 2]) + Double(s[s.count / 2])) / 2)   // int(np.median(...))
                default: return nil
                }
                if frames.isEmpty { result = value } else { frames[frames.count - 1].values.append(value) }
            } else if let digit = Int(word), (0...9).contains(digit) {
                if frames.isEmpty { result = digit } else { frames[frames.count - 1].values.append(digit) }
            } else {
                return nil
            }
        }
        return frames.isEmpty ? result : nil
    }

    func depth(_ tokens: [UInt16]) -> Int {
        var d = 1, deepest = 1
        for t in tokens {
            if (11...14).contains(t) { deepest = max(deepest, d); d += 1 } else if t == ListOps.closeID { d -= 1 } else { deepest = max(deepest, d) }
        }
        return deepest
    }

    var small: ListOpsOptions {
        var o = ListOpsOptions()
        o.minLength = 30
        o.maxLength = 120
        return o
    }

    @Test func everyLabelIsTheIndependentEvaluatorsValueAndTheLimitsHold() throws {
        let examples = try ListOps.generate(count: 300, seed: 3, options: small)
        var perClass = [Int](repeating: 0, count: 10)
        for e in examples {
            #expect(stackValue(e.text) == e.label, "\(e.text)")
            #expect(stackValue(ListOps.bracketedText(e.tokens)) == e.label)
            #expect((30...120).contains(e.tokens.count))
            #expect(depth(e.tokens) <= 10)
            perClass[e.label] += 1
        }
        #expect(perClass.filter { $0 > 0 }.count >= 6, "labels \(perClass)")   // not one class only
        #expect(Set(examples.map(\.tokens)).count == 300, "no duplicates")
        // At most 10 arguments per operator: count the direct children of every operator.
        for e in examples {
            var stack: [Int] = []
            for t in e.tokens {
                if (11...14).contains(t) { if !stack.isEmpty { stack[stack.count - 1] += 1 }; stack.append(0) }
                else if t == ListOps.closeID { let n = stack.removeLast(); #expect((2...10).contains(n)) }
                else if !stack.isEmpty { stack[stack.count - 1] += 1 }
            }
        }
    }

    @Test func lraLengthsByDefaultAndSeededDeterminism() throws {
        let a = try ListOps.generate(count: 20, seed: 8)
        #expect(a.allSatisfy { (500...2000).contains($0.tokens.count) })
        #expect(a == (try ListOps.generate(count: 20, seed: 8)))
        #expect(a != (try ListOps.generate(count: 20, seed: 9)))
        #expect(Array(a.prefix(5)) == (try ListOps.generate(count: 5, seed: 8)))
    }

    @Test func handWrittenExpressionsInLRAsForm() throws {
        #expect(try ListOps.value(of: ListOps.tokens("[MED 1 2 7 8 ]")) == 4)
        #expect(try ListOps.value(of: ListOps.tokens("[SM 9 9 [MAX 3 4 ] ]")) == 2)
        // A line in the form of LRA's files: every operator node in brackets.
        let lra = "( ( ( ( [MIN 3 ) ( ( ( [MAX 8 ) 1 ) ] ) ) 5 ) ] )"
        #expect(try ListOps.value(of: ListOps.tokens(lra)) == 3)
        #expect(ListOps.bracketedText(try ListOps.tokens("[MIN 3 [MAX 8 1 ] 5 ]")) == lra)
    }

    @Test func tsvRoundTripsWithAndWithoutBrackets() throws {
        let examples = try ListOps.generate(count: 25, seed: 4, options: small)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("listops-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tsv")
        defer { try? FileManager.default.removeItem(at: url) }
        try ListOpsTSV.write(examples, to: url)
        #expect(try ListOpsTSV.read(url: url).map(\.example) == examples)
        let plain = "Source\tTarget\n" + examples.map { "\($0.text)\t\($0.label)" }.joined(separator: "\n") + "\n"
        let rows = try ListOpsTSV.read(data: Data(plain.utf8), name: "plain.tsv")
        #expect(rows.map(\.example) == examples && rows.first?.line == 2)
        // As the trainer reads it: padded to N, refused when longer unless truncated.
        let data = try TaskData.read(task: .listops, url: url, length: 120)
        #expect(data.count == 25 && data.labels == examples.map { Int32($0.label) })
        #expect(Array(data.sequence(0).prefix(examples[0].tokens.count)) == examples[0].tokens)
        #expect(data.sequence(0).dropFirst(examples[0].tokens.count).allSatisfy { $0 == 0 })
        let short = examples.map(\.tokens.count).min()! - 1
        #expect(message { try TaskData.read(task: .listops, url: url, length: short) }.contains("line "))
        #expect(try TaskData.read(task: .listops, url: url, length: short, truncate: true).length == short)
    }

    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func malformedFilesAreRefusedWithTheLine() {
        func read(_ text: String) -> String { message { try ListOpsTSV.read(data: Data(text.utf8), name: "f.tsv") } }
        #expect(read("").contains("empty"))
        #expect(read("Input\tOutput\n").contains("line 1: expected the header"))
        #expect(read("Source\tTarget\n[MAX 1 2 ]\n").contains("line 2: expected 2 tab-separated fields"))
        #expect(read("Source\tTarget\n[MAX 1 2 ]\t2\n[MAX 1 x ]\t1\n").contains("line 3: ListOps: unknown token \"x\""))
        #expect(read("Source\tTarget\n[MAX 1 2\t2\n").contains("line 2: ListOps: an operator lacks its ]"))
        #expect(read("Source\tTarget\n[MAX 1 2 ] ]\t2\n").contains("line 2: ListOps: 1 tokens after the end"))
        #expect(read("Source\tTarget\n \t2\n").contains("line 2: the expression is empty"))
        #expect(read("Source\tTarget\n[MAX 1 2 ]\t12\n").contains("line 2: expected a label 0–9"))
        #expect(read("Source\tTarget\n[MAX 1 2 ]\t1\n").contains("line 2: the label 1 is not the expression's value 2"))
        #expect(read("Source\tTarget\n[MAX ]\t1\n").contains("no arguments"))
        let deep = String(repeating: "[MAX 1 ", count: 100_000) + String(repeating: "] ", count: 100_000)
        #expect(read("Source\tTarget\n\(deep)\t1\n").contains("nested more than 256 deep"))
    }
}
