/// `verify --against`: both models through our runtime on the same latents, compared layer by
/// layer (every node both graphs share, in graph order) and on the final images.
public enum ModelComparison {
    public struct Row: Sendable {
        public var layer: String
        public var maxError: Float
        public var rmse: Float
        public var psnr: Float
    }

    /// The pass criterion for a storage dtype, chosen well below what faithful storage gives
    /// (f32 is exact, f16/bf16/int8 measured ≈73/55/45 dB on trained weights), so a failure
    /// means a broken conversion rather than rounding.
    public enum Criterion: Sendable, CustomStringConvertible {
        case maxError(Float)
        case psnr(Float)

        public static func forStorage(_ dtype: String?) -> Criterion {
            switch dtype {
            case "f16": .psnr(50)
            case "bf16": .psnr(40)
            case "i8", "int8": .psnr(35)
            default: .maxError(1e-4)
            }
        }

        public func accepts(_ row: Row) -> Bool {
            switch self {
            case .maxError(let t): row.maxError <= t
            case .psnr(let db): row.psnr >= db
            }
        }

        public var description: String {
            switch self {
            case .maxError(let t): "max |err| ≤ \(t)"
            case .psnr(let db): "PSNR ≥ \(db) dB"
            }
        }
    }

    public static func compare(_ model: Model, against reference: Model, seeds: [UInt32], truncation: Truncation,
                               noise: NoiseMode = .const) throws -> (layers: [Row], image: Row) {
        let (a, b) = (model.config, reference.config)
        guard a.zDim == b.zDim, a.cDim == b.cDim, a.numWs == b.numWs, a.wDim == b.wDim else {
            throw RuntimeError.badInput("the models differ in shape: z \(a.zDim)/\(b.zDim), c \(a.cDim)/\(b.cDim), W \(a.numWs)×\(a.wDim)/\(b.numWs)×\(b.wDim)")
        }
        let z = Latents.z(seeds: seeds, zDim: a.zDim)
        let labels = [Float](repeating: 0, count: seeds.count * a.cDim)
        func run(_ m: Model) throws -> (acts: [String: Value], image: Value) {
            var acts: [String: Value] = [:]
            let ws = try m.generator.map(z: z, labels: labels, count: seeds.count, truncation: truncation) { acts[$0] = $1 }
            let image = try m.generator.synthesize(ws: ws, noise: noise) { acts[$0] = $1 }
            return (acts, image)
        }
        let (ours, theirs) = (try run(model), try run(reference))
        let order = model.imported.graph.mapping.nodes.map { "mapping.\($0.name)" } + model.imported.graph.synthesis.nodes.map(\.name)
        let layers = order.compactMap { name -> Row? in
            guard let x = ours.acts[name], let y = theirs.acts[name], x.dims == y.dims else { return nil }
            return row(name, x.data, y.data)
        }
        return (layers, row("image", ours.image.data, theirs.image.data))
    }

    static func row(_ name: String, _ x: [Float], _ y: [Float]) -> Row {
        let e = ErrorStats(x, y)
        return Row(layer: name, maxError: e.maxError, rmse: e.rmse, psnr: e.psnr)
    }
}
