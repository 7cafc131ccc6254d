import ArgumentParser
import Foundation
import StyleGAN

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a model file holds: format, generator family, configuration and tensors.",
        discussion: "Nothing in the file is executed. --json prints one JSON object for scripts.")

    @Argument(help: "A model file (.pkl; torch .pt/.pth checkpoints list their tensors).")
    var model: String

    @Option(help: "Which network to describe (Gs, G, G_ema; default Gs / G_ema).")
    var network: String?

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    func run() throws {
        try reporting {
            let report = try Progress.step("reading \(model)") { try ModelFile.inspect(path: model, network: network) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(render(report))
            }
        }
    }

    func render(_ r: Inspection) -> String {
        var lines = ["file      \(r.file) (\(r.size) bytes)", "sha256    \(r.sha256)",
                     "format    \(r.format)" + (r.format_version.map { " (version \($0))" } ?? "")]
        if let family = r.family { lines.append("family    \(family)") }
        if let network = r.network { lines.append("network   \(network)") }
        if let storage = r.storage_dtype { lines.append("storage   \(storage) weights, converted from \(r.source ?? "?")") }
        if let g = r.generator {
            let channels = g.channels.sorted { Int($0.key)! < Int($1.key)! }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
            lines += [
                "generator z_dim \(g.z_dim), w_dim \(g.w_dim), c_dim \(g.c_dim), num_ws \(g.num_ws)",
                "          \(g.resolution)×\(g.resolution), \(g.img_channels) channel(s), architecture \(g.architecture ?? "-")",
                "          mapping \(g.mapping_layers) layers (lr multiplier \(g.mapping_lr_multiplier)), conv_clamp \(g.conv_clamp.map { "\($0)" } ?? "none")",
                "          channels \(channels)",
                "          \(g.parameters.formatted()) trainable parameters",
            ]
        }
        lines.append("")
        let nameWidth = min(60, r.tensors.map(\.name.count).max() ?? 4)
        lines.append("name".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  shape              dtype       bytes        min        max       mean")
        for t in r.tensors {
            let shape = "[" + t.shape.map(String.init).joined(separator: ", ") + "]"
            func num(_ v: Float?) -> String { v.map { String(format: "%10.4g", $0) } ?? String(repeating: " ", count: 9) + "-" }
            lines.append(t.name.padding(toLength: max(nameWidth, t.name.count), withPad: " ", startingAt: 0) + "  "
                         + shape.padding(toLength: 18, withPad: " ", startingAt: 0) + " " + (t.stored ?? t.dtype).padding(toLength: 5, withPad: " ", startingAt: 0)
                         + String(format: " %11d", t.bytes) + " " + num(t.min) + " " + num(t.max) + " " + num(t.mean))
        }
        lines.append("\(r.tensors.count) tensors, \(r.tensors.reduce(0) { $0 + $1.bytes }.formatted()) bytes")
        if !r.ignored.isEmpty { lines.append("ignored: " + r.ignored.joined(separator: "; ")) }
        for p in r.provenance { lines.append("import: " + p) }
        return lines.joined(separator: "\n")
    }
}
