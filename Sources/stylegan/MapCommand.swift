import ArgumentParser
import StyleGAN

struct Map: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the mapping network: latents z (.npy) to W vectors (.npy), with truncation.")

    @OptionGroup var source: ModelOptions
    @Option(help: "Latents z as .npy [N, z_dim] (float32 or float64).") var latents: String
    @Option(help: "Labels as .npy [N, c_dim] for conditional models.") var labels: String?
    @Option(name: .customLong("class"), help: "Class index for conditional models.") var classIndex: Int?
    @OptionGroup var truncation: TruncationOptions
    @Option(name: .shortAndLong, help: "Output .npy for W [N, num_ws, w_dim].") var output: String

    func run() throws {
        try reporting {
            let t = try truncation.truncation()
            let model = try source.load()
            let c = model.config
            let z = try NPY.read(path: latents)
            guard z.shape.rank == 2, z.shape.dims[1] == c.zDim else {
                throw CLIError("\(latents): latents have shape \(z.shape), the model takes [N, \(c.zDim)]")
            }
            let n = z.shape.dims[0]
            let labelRows = try LabelOptions.rows(labels: labels, classIndex: classIndex, count: n, cDim: c.cDim)
            try checkWritable(file: output)
            let ws = try model.generator.map(z: z.floats(), labels: labelRows, count: n, truncation: t)
            try NPY.write(try ws.tensor(), to: output)
            print("wrote W \(ws.dims) to \(output)")
        }
    }
}

struct Synthesize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the synthesis network on W vectors (.npy or a projector's .npz) to images.",
        discussion: "W may be [N, num_ws, w_dim], [N, w_dim] (repeated for every layer) or projected_w.npz (key w).")

    @OptionGroup var source: ModelOptions
    @Option(help: "W as .npy, or an NVlabs projector .npz (key w).") var ws: String
    @OptionGroup var noise: NoiseOptions
    @Option(help: "Folder for img%04d.png.") var outdir: String?
    @Option(help: "Write the float32 NCHW output (.npy).") var raw: String?

    func run() throws {
        try reporting {
            guard outdir != nil || raw != nil else { throw CLIError("give --outdir, --raw or both") }
            let model = try source.load()
            let c = model.config
            let w = try readW(c)
            if let outdir { try prepareOutputDirectory(outdir) }
            if let raw { try checkWritable(file: raw) }
            let out = try model.generator.synthesize(ws: w, noise: noise.mode)
            if let raw { try NPY.write(try out.tensor(), to: raw) }
            if let outdir {
                for (i, image) in try Images.from(out).enumerated() { try PNG.write(image, to: "\(outdir)/" + String(format: "img%04d.png", i)) }
            }
            print("synthesised \(out.dims[0]) image(s)")
        }
    }

    func readW(_ c: GeneratorConfig) throws -> Value {
        let t: Tensor
        if ws.hasSuffix(".npz") {
            guard let w = try NPZ.read(path: ws).first(where: { $0.name == "w" }) else { throw CLIError("\(ws): no array 'w' in the archive") }
            t = w.tensor
        } else {
            t = try NPY.read(path: ws)
        }
        let d = t.shape.dims
        if d.count == 3, d[1] == c.numWs, d[2] == c.wDim { return Value(t) }
        if d.count == 2, d[1] == c.wDim {
            let rows = t.floats()
            var data: [Float] = []
            for s in 0..<d[0] { for _ in 0..<c.numWs { data += rows[(s * c.wDim)..<((s + 1) * c.wDim)] } }
            return Value(data: data, dims: [d[0], c.numWs, c.wDim])
        }
        throw CLIError("\(ws): W has shape \(t.shape), the model takes [N, \(c.numWs), \(c.wDim)] or [N, \(c.wDim)]")
    }
}
