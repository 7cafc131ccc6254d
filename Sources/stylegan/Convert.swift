import ArgumentParser
import Foundation
import StyleGAN

enum StorageDType: String, ExpressibleByArgument, CaseIterable {
    case f32, f16, bf16, int8
    var dtype: DType { self == .int8 ? .i8 : DType(rawValue: rawValue)! }
}

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a model (.pkl, .onnx, .sgan) into the native .sgan format (f32/f16/bf16/int8).",
        discussion: """
            Weights are stored in --dtype (int8: symmetric per-output-channel scales); biases, the W \
            average, noise strengths and filters stay f32; noise buffers and the constant input follow \
            the weights (f16 when weights are int8). The file is written to a temporary file, verified \
            and renamed, so an interrupted conversion never leaves a partial file. The source is read \
            into memory and refused if it changes meanwhile; without --force an existing output is \
            never replaced, even one another process writes at the same time.
            """)

    @Argument(help: "The model to convert.") var input: String
    @Option(name: .shortAndLong, help: "Output .sgan file.") var output: String
    @Option(help: "Weight storage: f32, f16, bf16 or int8.") var dtype: StorageDType = .f32
    @Option(help: "Which network of the file (Gs, G, G_ema; default Gs / G_ema).") var network: String?
    @Option(help: "Comma-separated tensor-name prefixes kept in f32, e.g. mapping.,synthesis.b64.torgb") var keepF32: String?
    @Flag(help: "Replace an existing output file.") var force = false

    func run() throws {
        try reporting {
            try checkWritable(file: output)
            let options = Conversion.Options(dtype: dtype.dtype, network: network,
                                             keepF32: keepF32.map { $0.split(separator: ",").map(String.init) } ?? [], force: force)
            // For the kill-during-conversion test only: slow each write step down.
            let delay = ProcessInfo.processInfo.environment["STYLEGAN_TEST_WRITE_DELAY_MS"].flatMap { UInt32($0) } ?? 0
            let summary = try Conversion.convert(input, to: output, options: options) { done, total in
                Progress.update("writing", done >> 20, of: max(1, total >> 20))
                if delay > 0 { usleep(delay * 1000) }
            }
            let ratio = Double(summary.bytesOut) / Double(max(1, summary.bytesIn))
            print(String(format: "wrote %@: %d tensors, %@ → %@ bytes (%.3f×), %.2f s", output, summary.tensorCount,
                         summary.bytesIn.formatted(), summary.bytesOut.formatted(), ratio, summary.seconds))
            for leftover in summary.removedLeftovers { print("removed a stale temporary file: \(leftover)") }
        }
    }
}
