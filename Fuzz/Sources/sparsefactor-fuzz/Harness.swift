import Foundation

extension FuzzTarget {
    static let current: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["SF_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(name: name) else {
            FileHandle.standardError.write(Data("SF_FUZZ_TARGET must name a format, gzip, factorfile or checkpoint, got \"\(name)\"\n".utf8))
            exit(2)
        }
        return target
    }()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = try? FuzzTarget.current.read(Data(bytes: bytes, count: count))
    return 0
}
