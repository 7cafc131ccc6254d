import ArgumentParser
import StyleGAN

@main
struct StyleGANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylegan",
        abstract: "Read StyleGAN / StyleGAN2 weights without Python, convert them, and run them on the CPU.",
        discussion: """
            Models: NVlabs network pickles (.pkl, TensorFlow- and PyTorch-era), ONNX exports (.onnx) \
            and the native format (.sgan). Nothing in a model file is ever executed.
            """,
        version: StyleGANInfo.version,
        subcommands: [
            Inspect.self, Convert.self, Verify.self, Generate.self, Map.self,
            Synthesize.self, Mix.self, Interpolate.self, Bench.self, Run.self,
        ]
    )
}
