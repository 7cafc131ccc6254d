import ArgumentParser

/// Commands whose issue has not landed yet: they exist (so `--help` shows the whole tool),
/// take any arguments, and exit non-zero saying so.
protocol PendingCommand: ParsableCommand {}

extension PendingCommand {
    func run() throws {
        printError("stylegan \(Self._commandName): not implemented yet")
        throw ExitCode(2)
    }
}

struct Convert: PendingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a model (.pkl, .onnx, .sgan) into the native .sgan format (f32/f16/bf16/int8).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}

struct Verify: PendingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a model against official golden outputs (--golden FILE.h5) or another model (--against).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}

struct Generate: PendingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate images from seeds or latents, with truncation, labels and noise control.")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}

struct Map: PendingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the mapping network: latents z (.npy) to W vectors (.npy), with truncation.")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}

struct Synthesize: PendingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the synthesis network on W vectors (.npy or a projector's .npz) to images.")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}

struct Mix: PendingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the style-mixing figure: row seeds x column seeds, styles taken from the columns.")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}

struct Interpolate: PendingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Interpolate between seeds (lerp in W or slerp in Z) and write the frames.")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}

struct Bench: PendingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure generation speed (median seconds per image) on this machine.")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}
