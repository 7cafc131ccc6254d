import ArgumentParser
import StyleGAN

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run any ONNX graph we can import through our runtime; write each output as .npy.",
        discussion: """
            Every graph input is given as --input NAME=FILE.npy (shape and element type must fit the \
            graph's declaration). Each graph output is written to DIR/<output name>.npy in its element \
            type (float32, int64, bool, ...), with characters unsafe in file names replaced by '_', so \
            the result can be compared with another runtime's.
            """)

    @Argument(help: "ONNX model (.onnx).") var model: String
    @Option(name: .customLong("input"), help: "A graph input: NAME=FILE.npy (repeat for every input).") var inputs: [String] = []
    @Option(help: "Folder for the outputs (created if missing).") var outputDir: String = "."

    func run() throws {
        try reporting {
            var given: [String: Tensor] = [:]
            for spec in inputs {
                guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
                    throw CLIError("--input: '\(spec)' is not NAME=FILE.npy")
                }
                let name = String(spec[..<eq]), file = String(spec[spec.index(after: eq)...])
                guard given[name] == nil else { throw CLIError("--input: \(name) is given twice") }
                do { given[name] = try NPY.read(path: file) } catch { throw CLIError("--input \(name): \(file): \(error)") }
            }
            try prepareOutputDirectory(outputDir)
            let outputs = try ONNXRunner.run(path: model, inputs: given)
            var used = Set<String>()
            for (k, o) in outputs.enumerated() {
                var file = Self.fileName(o.name, index: k)
                var n = 1
                while used.contains(file) { n += 1; file = Self.fileName(o.name, index: k) + "_\(n)" }
                used.insert(file)
                let path = outputDir + "/" + file + ".npy"
                try NPY.write(o.tensor, to: path)
                print("wrote \(o.name) \(o.tensor.dtype)\(o.tensor.shape) to \(path)")
            }
        }
    }

    /// An output name as a file name: path separators, control and shell-hostile characters
    /// become '_'; empty, "." and ".." become output_<k>.
    static func fileName(_ name: String, index: Int) -> String {
        let safe = String(name.unicodeScalars.map { c -> Character in
            let bad = c.value < 0x20 || c.value == 0x7F || "/\\:*?\"<>|".unicodeScalars.contains(c)
            return bad ? "_" : Character(c)
        })
        var out = safe
        while out.utf8.count > 200 { out.removeFirst() }
        return out.isEmpty || out.allSatisfy({ $0 == "." }) ? "output_\(index)" : out
    }
}
