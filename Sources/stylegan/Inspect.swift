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

    static let formNote = [
        "mapping": "z → W only: map works, synthesize and generate need a synthesis network",
        "synthesis": "W → image only: synthesize works, map and seeds need a mapping network",
        "direct": "z → image with no W boundary: generate works, map/mix/synthesize do not",
    ]

    func render(_ r: Inspection) -> String {
        var lines = ["file      \(r.file) (\(r.size) bytes)", "sha256    \(r.sha256)",
                     "format    \(r.format)" + (r.format_version.map { " (version \($0))" } ?? "")]
        if let family = r.family { lines.append("family    \(family)") }
        if let network = r.network { lines.append("network   \(network)") }
        if let storage = r.storage_dtype { lines.append("storage   \(storage) weights, converted from \(r.source ?? "?")") }
        if let g = r.generator {
            func v(_ key: String, _ text: String) -> String { g.unknown.contains(key) ? "unknown" : text }
            let channels = g.channels.sorted { Int($0.key)! < Int($1.key)! }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
            if let form = r.form, form != "generator" { lines.append("form      \(form) (\(Self.formNote[form] ?? ""))") }
            lines += [
                "generator z_dim \(v("z_dim", "\(g.z_dim)")), w_dim \(v("w_dim", "\(g.w_dim)")), c_dim \(v("c_dim", "\(g.c_dim)")), num_ws \(v("num_ws", "\(g.num_ws)"))",
                "          \(v("resolution", "\(g.resolution)×\(g.resolution)")), \(v("img_channels", "\(g.img_channels)")) channel(s), architecture \(v("architecture", g.architecture ?? "-"))",
                "          mapping \(v("mapping_layers", "\(g.mapping_layers) layers")) (lr multiplier \(v("mapping_lr_multiplier", "\(g.mapping_lr_multiplier)"))), conv_clamp \(v("conv_clamp", g.conv_clamp.map { "\($0)" } ?? "none"))",
                "          channels \(v("channels", channels))",
                "          \(v("parameters", g.parameters.formatted())) trainable parameters",
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
