import LayerGraph

/// The executor's `.primitive` case: binds operands (run-time inputs, graph tensors, inline
/// constants with the batch size resolved) and runs the interpreter.
extension Executor {
    func primitive(_ node: Node, _ p: Primitive, _ ins: [Value], batch: Int, noise: NoiseMode,
                   rng: inout NumpyRandom?) throws -> Value {
        var values: [PValue?] = []
        values.reserveCapacity(p.operands.count)
        for operand in p.operands {
            switch operand {
            case .input(let i):
                values.append(PValue(ins[i], type: p.inputTypes[i]))
            case .tensor(let name, let type):
                let dims = graph.tensors[name]!.shape.dims
                values.append(type == .float ? PValue(floats: param(name), dims: dims)
                                              : PValue(ints: param(name).map(PValue.saturatingInt), dims: dims, type: type))
            case .constant(let c):
                values.append(PValue(c, batch: batch))
            case .absent:
                values.append(nil)
            }
        }
        if p.opType == "RandomNormalLike" {
            // Random draws come from the run's noise mode: fresh Gaussian noise for `random`
            // (reproducible per seed), the mean for `none`; stored noise does not exist.
            guard let like = values.first ?? nil else { throw RuntimeError.primitive(node: node.name, "RandomNormalLike: input 0 is missing") }
            let mean = p.float("mean") ?? 0, scale = p.float("scale") ?? 1
            switch noise {
            case .const:
                throw RuntimeError.unsupported("node \(node.name) draws random noise (RandomNormalLike); use the random or none noise mode")
            case .none:
                return Value(data: [Float](repeating: mean, count: like.count), dims: like.dims)
            case .random:
                return Value(data: (0..<like.count).map { _ in mean + scale * Float(rng!.nextGaussian()) }, dims: like.dims)
            }
        }
        do {
            return try PrimitiveInterpreter().run(p, values).value()
        } catch {
            throw RuntimeError.primitive(node: node.name, error.message)
        }
    }
}
