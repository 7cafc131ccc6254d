/// `verify --golden`: runs the golden latents through our runtime and compares every dataset
/// whose name states its settings (`ws_psi07_cut4`, `img_const_psi1`, `img_mixed_const`,
/// `act/<layer>`), reporting max |err|, RMSE and PSNR (peak-to-peak 2, the [-1, 1] range).
public enum GoldenVerification {
    public struct Check: Sendable, Encodable {
        public var dataset: String
        public var maxError: Float
        public var rmse: Float
        public var psnr: Float
        public var tolerance: Float
        /// Why the dataset could not be produced by this model (e.g. psi baked into an export).
        public var skipped: String?
        public var passed: Bool { skipped != nil || maxError <= tolerance }
    }

    /// What a dataset name asks for.
    enum Request: Equatable {
        case ws(Truncation)
        case image(NoiseMode, Truncation)
        case mixedImage
        case activation(String)
        case input
    }

    static func request(for name: String) -> Request? {
        if name == "z" || name == "c" || name == "ws_mixed" { return .input }
        if name == "img_mixed_const" { return .mixedImage }
        if name.hasPrefix("act/") { return .activation(String(name.dropFirst(4))) }
        var parts = name.split(separator: "_").map(String.init)
        var cutoff: Int?
        if let last = parts.last, last.hasPrefix("cut"), let k = Int(last.dropFirst(3)) { cutoff = k; parts.removeLast() }
        guard let p = parts.last, p.hasPrefix("psi") else { return nil }
        // The digits with a point after the first: "1" = 1.0, "07" = 0.7, "075" = 0.75.
        let digits = p.dropFirst(3)
        guard let first = digits.first, digits.allSatisfy(\.isNumber), let psi = Float("\(first)." + digits.dropFirst()) else { return nil }
        let t = Truncation(psi: psi, cutoff: cutoff)
        switch parts.dropLast().joined(separator: "_") {
        case "ws": return .ws(t)
        case "img_const": return .image(.const, t)
        case "img_none": return .image(.none, t)
        default: return nil
        }
    }

    /// Compares every dataset of the golden file; `defaultTolerance` scales with the golden's
    /// magnitude as `tol × max(1, max |golden|)`.
    public static func run(model: Model, golden path: String, defaultTolerance: Float = 1e-4,
                           dump: ((String, Value) -> Void)? = nil) throws -> [Check] {
        let file = try HDF5File(path: path)
        let names = try file.datasetPaths().sorted()
        guard names.contains("z") else { throw RuntimeError.badInput("\(path): no dataset 'z' (the golden latents)") }
        let z = try file.read("z"), n = z.shape.dims[0]
        let c = names.contains("c") ? try file.read("c").floats() : []
        let g = model.generator
        var activations: [String: Value] = [:]
        let wantsActivations = names.contains { $0.hasPrefix("act/") } || dump != nil
        let observe: ((String, Value) -> Void)? = wantsActivations ? { name, v in
            let key = name.hasPrefix("synthesis.") ? String(name.dropFirst(10)) : name
            activations[key] = v
            dump?(key, v)
        } : nil
        let ws1 = try g.map(z: z.floats(), labels: c, count: n, observe: observe)
        _ = try g.synthesize(ws: ws1, noise: .const, observe: observe)

        var checks: [Check] = []
        for name in names {
            guard let req = request(for: name) else { continue }
            let want = try file.read(name)
            let got: [Float]
            do {
            switch req {
            case .input: continue
            case .ws(let t): got = try g.map(z: z.floats(), labels: c, count: n, truncation: t).data
            case .image(let noise, let t):
                got = try g.synthesize(ws: try g.map(z: z.floats(), labels: c, count: n, truncation: t), noise: noise).data
            case .mixedImage:
                guard names.contains("ws_mixed") else { continue }
                let mixed = try file.read("ws_mixed")
                let dims = mixed.shape.dims.count == 2 ? [1] + mixed.shape.dims : mixed.shape.dims
                got = try g.synthesize(ws: Value(data: mixed.floats(), dims: dims), noise: .const).data
            case .activation(let layer):
                guard let v = activations[layer] else { throw RuntimeError.badInput("\(path): \(name) names no layer of this model") }
                got = v.data
            }
            } catch let e as RuntimeError {
                checks.append(Check(dataset: name, maxError: 0, rmse: 0, psnr: 0, tolerance: 0, skipped: e.description))
                continue
            }
            checks.append(compare(name, got, want, defaultTolerance: defaultTolerance))
        }
        return checks
    }

    static func compare(_ name: String, _ got: [Float], _ want: Tensor, defaultTolerance: Float) -> Check {
        let w = want.floats()
        guard got.count == w.count else {
            return Check(dataset: name, maxError: .infinity, rmse: .infinity, psnr: -.infinity, tolerance: 0, skipped: nil)
        }
        let e = ErrorStats(got, w)
        let peak = w.reduce(0) { max($0, abs($1)) }
        return Check(dataset: name, maxError: e.maxError, rmse: e.rmse, psnr: e.psnr,
                     tolerance: defaultTolerance * max(1, peak), skipped: nil)
    }
}
