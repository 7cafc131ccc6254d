import Foundation
import LayerGraph
import ModelFormat
import Tensors
import Testing

/// Measurements, not pass/fail timing tests. Slow to set up, so they run only with SGAN_BENCH=1:
///     SGAN_BENCH=1 swift test -c release --scratch-path .build-sgan --filter SGANBenchmark
/// - load (open + every check + every checksum, ready to run) of a StyleGAN2 config-F f32 file
///   (≈133 MB with its noise buffers), warm cache, median of 9; target ≤ 100 ms;
/// - write times per dtype for the same model;
/// - PSNR of the demo model per dtype over 16 seeds (the official figures use 16).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SGAN_BENCH"] == "1"), .serialized)
struct SGANBenchmark {
    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

    static func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<runs {
            let start = clock.now
            try body()
            times.append(seconds(clock.now - start))
        }
        return times.sorted()[runs / 2]
    }

    static func residentBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    @Test func configFLoadTime() throws {
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let graph = SyntheticGenerator.graph(SyntheticGenerator.configF)
        var lines: [String] = []
        for dtype in SGANTest.dtypes {
            let path = dir.appendingPathComponent("f-\(dtype).sgan").path
            let s = try SGANWriter.write(graph, to: path, options: SGANWriteOptions(dtype: dtype))
            lines.append("write \(dtype): \(String(format: "%.2f", s.seconds)) s, \(s.bytesOut) bytes")
        }
        let path = dir.appendingPathComponent("f-f32.sgan").path
        let size = try SGANTest.size(path)
        _ = try SGANFile.open(path: path)  // warm the page cache
        let rssBefore = Self.residentBytes()
        var kept: SGANFile?
        let open = try Self.median(9) { kept = try SGANFile.open(path: path) }
        let rssAfter = Self.residentBytes()
        let validate = try Self.median(9) { _ = try SGANFile.validate(path: path) }
        let header = try Self.median(9) { _ = try SGANFile.readInfo(path: path) }
        let f16 = try Self.median(5) { _ = try SGANFile.open(path: dir.appendingPathComponent("f-f16.sgan").path) }
        let i8 = try Self.median(5) { _ = try SGANFile.open(path: dir.appendingPathComponent("f-i8.sgan").path) }
        #expect(kept?.graph.tensors.count == graph.tensors.count)
        lines.append("open f32 (\(size) bytes, all checks and checksums): \(String(format: "%.1f", open * 1000)) ms median of 9")
        lines.append("validate only: \(String(format: "%.1f", validate * 1000)) ms; header only (no data checksums): \(String(format: "%.1f", header * 1000)) ms")
        lines.append("open f16 → f32: \(String(format: "%.1f", f16 * 1000)) ms; open int8 → f32: \(String(format: "%.1f", i8 * 1000)) ms")
        lines.append("resident memory after opening f32: +\((rssAfter - rssBefore) / 1_000_000) MB (file-backed pages of the mapping)")
        print("SGAN benchmark (config F 1024²):\n  " + lines.joined(separator: "\n  "))
        #expect(open <= 0.1, "open took \(open) s")
    }

    @Test func demoPSNRSixteenSeeds() throws {
        let model = try SGANTest.importPickle(SGANTest.demoPath)
        let seeds = Array(UInt32(0)..<16)
        let reference = try SGANTest.images(model.graph, seeds: seeds)
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var lines: [String] = []
        for dtype in [DType.f16, .bf16, .i8] {
            let path = dir.appendingPathComponent("d-\(dtype).sgan").path
            try SGANWriter.write(model.graph, to: path, options: SGANWriteOptions(dtype: dtype))
            let psnr = SGANTest.psnr(try SGANTest.images(try SGANFile.open(path: path).graph, seeds: seeds), reference: reference)
            lines.append("\(dtype) \(String(format: "%.1f", psnr)) dB")
        }
        print("demo-faces-64 PSNR vs f32, seeds 0-15: " + lines.joined(separator: ", "))
    }
}
