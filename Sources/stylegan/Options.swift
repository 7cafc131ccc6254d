import ArgumentParser
import StyleGAN

/// The model argument every model command takes.
struct ModelOptions: ParsableArguments {
    @Argument(help: "Model file: an NVlabs network pickle (.pkl), a .sgan file or an ONNX export (.onnx).")
    var model: String

    @Option(help: "Which network of the file to use: Gs or G for TensorFlow pickles, G_ema or G for PyTorch ones (default: Gs / G_ema).")
    var network: String?

    func load() throws -> Model {
        try Progress.step("loading \(model)") { try Model.load(path: model, network: network) }
    }
}

struct TruncationOptions: ParsableArguments {
    @Option(help: "Truncation psi: w_avg + psi·(w − w_avg). 1 = none.")
    var psi: String = "1"

    @Option(help: "Truncate only the first N W vectors (default: all).")
    var cutoff: Int?

    func truncation() throws -> Truncation {
        guard let p = Float(psi), p.isFinite else { throw CLIError("--psi: '\(psi)' is not a number") }
        if let cutoff, cutoff < 0 { throw CLIError("--cutoff must be ≥ 0, got \(cutoff)") }
        return Truncation(psi: p, cutoff: cutoff)
    }
}

enum NoiseModeOption: String, ExpressibleByArgument, CaseIterable {
    case const, random, none
}

/// `--batch` of generate and bench.
let batchHelp = ArgumentHelp("""
    Images per forward pass. From 2 on, faster Winograd forms of some convolutions are packed \
    as well (more memory; the floats differ from batch 1's by rounding).
    """)

struct NoiseOptions: ParsableArguments {
    @Option(help: "Noise: const (the stored buffers), random (seeded, reproducible) or none.")
    var noiseMode: NoiseModeOption = .const

    @Option(help: "Seed for --noise-mode random.")
    var noiseSeed: UInt32 = 0

    var mode: NoiseMode {
        switch noiseMode {
        case .const: .const
        case .random: .random(seed: noiseSeed)
        case .none: .none
        }
    }
}

/// A failure the tool checks itself: printed as one line, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// "0-7,12" → [0, 1, ..., 7, 12].
func parseList(_ text: String, name: String, limit: Int = 1 << 20) throws -> [Int] {
    var out: [Int] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
        let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(bounds.count), let a = Int(bounds[0]), let b = Int(bounds.last!), a >= 0, b >= a else {
            throw CLIError("\(name): '\(part)' is not a number or a range like 0-7")
        }
        guard out.count + (b - a + 1) <= limit else { throw CLIError("\(name): more than \(limit) values") }
        out += Array(a...b)
    }
    return out
}

func parseSeeds(_ text: String) throws -> [UInt32] {
    try parseList(text, name: "--seeds").map { v in
        guard v <= Int(UInt32.max) else { throw CLIError("--seeds: \(v) is above 2^32 − 1 (NumPy's seed range)") }
        return UInt32(v)
    }
}
