import Kernels
import LayerGraph

/// Turning nodes into `Step`s: output shapes, temporaries, and every weight, bias and filter
/// looked up once (at planning), so that running a step looks nothing up.
extension Executor {
    /// The steps of canonical `node` on inputs of shapes `ins`: one, or two for an up-sampling
    /// convolution (its intermediate as value `intermediate`, so the input can go before the
    /// second half runs). `index` is the node's value id.
    func steps(_ node: Node, index: Int, inputs: [Int], dims ins: [[Int]], intermediate: Int) throws -> [Step] {
        func make(_ kernel: Step.Kernel, _ dims: [Int], scratch: [Int] = [], inPlace: Bool = false) -> [Step] {
            [Step(kernel: kernel, name: node.name, inputs: inputs, inputDims: ins, output: index, dims: dims,
                  scratch: scratch, inPlace: inPlace)]
        }
        let n = ins.first?.first ?? 0
        switch node.op {
        case .input:
            preconditionFailure("inputs are bound by the caller")
        case .normalize2ndMoment(let eps):
            return make(.normalize(eps: eps), ins[0])
        case .dense(let d):
            let weights = packed.dense[PackedWeights.key(d)]!
            let e = Epilogue(biasGain: d.biasGain, activation: kernelActivation(d.activation), gain: d.gain)
            return make(.dense(weights, bias: d.bias.map(param), e), [n, weights.outFeatures])
        case .concat(let axis):
            precondition(axis == 1 && ins.allSatisfy { $0.count == 2 }, "concat is implemented for [N, C] on axis 1")
            return make(.concat, [n, ins.map { $0[1] }.reduce(0, +)])
        case .broadcast(let count):
            return make(.broadcast(count: count), [n, count, ins[0][1]])
        case .selectW(let index):
            return make(.selectW(index: index), [n, ins[0][2]])
        case .constInput(let name):
            return make(.constInput(param(name)), [n] + graph.tensors[name]!.shape.dims)
        case .modulatedConv(let m):
            let layout: PackedConvWeights.Layout = m.up == 2 ? .transposed : .conv
            return convSteps(node, index: index, inputs: inputs, dims: ins, intermediate: intermediate,
                             weights: convWeights(PackedWeights.key(m.weight, gain: 1, layout), batch: n), up: m.up, padding: m.padding,
                             filter: m.resampleFilter, styleGain: m.styleGain, demodulate: m.demodulate)
        case .conv(let c):
            let k = graph.tensors[c.weight]!.shape.dims[2]
            let layout: PackedConvWeights.Layout = c.up == 2 && k > 1 ? .transposed : .conv
            return convSteps(node, index: index, inputs: inputs, dims: ins, intermediate: intermediate,
                             weights: convWeights(PackedWeights.key(c.weight, gain: c.weightGain, layout), batch: n), up: c.up, padding: c.padding,
                             filter: c.resampleFilter, styleGain: nil, demodulate: false)
        case .noise(let z):
            // Random noise is drawn into scratch 0 ([N, H, W]).
            let s = imageShape(ins[0])
            return make(.noise(noiseStep(z), then: nil), ins[0], scratch: [s.n * s.plane], inPlace: true)
        case .biasAct(let b):
            return make(.biasAct(biasActStep(b), addend: false), ins[0], inPlace: true)
        case .upfirdn2d(let u):
            let f = fir(u.filter, up: u.up, down: u.down, padding: (u.padding[0], u.padding[1], u.padding[2], u.padding[3]), gain: u.gain)
            let out = KernelContext.upfirdn2dOutputShape(imageShape(ins[0]), taps: f.filter.taps, up: f.up, down: f.down, padding: f.padding)
            return make(.upfirdn(f), [out.n, out.c, out.h, out.w])
        case .upsampleNearest(let f):
            let s = imageShape(ins[0])
            return make(.upsampleNearest(factor: f), [s.n, s.c, s.h * f, s.w * f])
        case .instanceNorm(let eps):
            return make(.instanceNorm(eps: eps), ins[0], inPlace: true)
        case .adaIN:
            return make(.adaIN, ins[0], inPlace: true)
        case .add(let scale):
            return make(.add(scale: scale), ins[0], inPlace: true)
        case .opaque(let kind, _, _):
            throw RuntimeError.unsupportedOp(node: node.name, kind: kind)
        case .primitive:
            preconditionFailure("primitive nodes run on the interpreter")
        }
    }

    /// The packed weights under `key` for a batch of `batch`: the load-time form, or for 2 or
    /// more its batch form (`PackedWeights.batchTile`), all packed on the first such call.
    func convWeights(_ key: String, batch: Int) -> PackedConvWeights {
        guard batch >= 2, packed.batchUpgrades[key] != nil else { return packed.conv[key]! }
        return batchForms.withLock { forms in
            if forms == nil { forms = packed.packBatchUpgrades(graph) }
            return forms![key]!
        }
    }

    /// `step` joined with `next`, the only reader of its output (inputs `inputs` of shapes `dims`),
    /// when one pass does both bit-identically: noise injection then bias + activation, or bias +
    /// activation then a plain two-way add (to-RGB plus the up-sampled skip image; float addition
    /// commutes, so the operand order does not matter).
    func fused(_ step: Step, _ next: Node, index: Int, inputs: [Int], dims: [[Int]]) -> Step? {
        func join(_ kernel: Step.Kernel, extra: [Int], _ extraDims: [[Int]]) -> Step {
            Step(kernel: kernel, name: next.name, inputs: step.inputs + extra, inputDims: step.inputDims + extraDims, output: index,
                 dims: step.dims, scratch: step.scratch, inPlace: true)
        }
        switch (step.kernel, next.op) {
        case let (.noise(z, nil), .biasAct(b)) where inputs == [step.output]:
            return join(.noise(z, then: biasActStep(b)), extra: [], [])
        case let (.biasAct(b, addend: false), .add(scale)) where scale == 1 && inputs.count == 2 && inputs[0] != inputs[1]:
            let other = inputs[0] == step.output ? 1 : 0
            guard dims[other] == step.dims else { return nil }
            return join(.biasAct(b, addend: true), extra: [inputs[other]], [dims[other]])
        default:
            return nil
        }
    }

    /// `steps` with each up-sampling convolution (transposed, FIR fused) whose output is read only
    /// by noise injection (+ bias + activation) joined with it: the convolution does that
    /// epilogue on each row as its FIR writes it (the same bits, one pass over the map less).
    /// No noise is drawn in between, so random noise keeps its order. `output` is the plan's
    /// output value.
    func convEpilogues(_ steps: [Step], output: Int) -> [Step] {
        let soleReader = Self.soleReaders(steps, output: output)
        var joined: [Int: Step] = [:], absorbed = Set<Int>()
        for (a, step) in steps.enumerated() {
            guard case .conv(var conv) = step.kernel, conv.transposed, conv.fir != nil, let b = soleReader(step.output),
                  case let .noise(z, then) = steps[b].kernel else { continue }
            conv.epilogue = (z, then)
            let next = steps[b]
            joined[a] = Step(kernel: .conv(conv), name: next.name, inputs: step.inputs, inputDims: step.inputDims, output: next.output,
                             dims: next.dims, scratch: [step.scratch[0], next.scratch[0]], inPlace: false, nodes: step.nodes + next.nodes)
            absorbed.insert(b)
        }
        return Self.merged(steps, replacing: joined, absorbed: absorbed)
    }

    /// For a value, the step that reads it as its input 0 when nothing else reads it (no other
    /// step, not the plan's output `output`): where a step can take over its reader's work.
    static func soleReaders(_ steps: [Step], output: Int) -> (Int) -> Int? {
        var readers: [Int: [Int]] = [output: [steps.count]]
        for (s, step) in steps.enumerated() { for v in step.inputs { readers[v, default: []].append(s) } }
        return { v in
            guard let r = readers[v], r.count == 1, r[0] < steps.count, steps[r[0]].inputs[0] == v else { return nil }
            return r[0]
        }
    }

    /// `steps` with the steps at `replacing`'s indices replaced and those in `absorbed` dropped.
    static func merged(_ steps: [Step], replacing: [Int: Step], absorbed: Set<Int>) -> [Step] {
        steps.indices.compactMap { absorbed.contains($0) ? nil : replacing[$0] ?? steps[$0] }
    }

    /// `conv2d_resample` for up 1 or 2 (down 1); scratch 0 of the convolution holds the
    /// demodulation coefficients. Up-sampling by 2: FIR up-sampling then the convolution, two
    /// steps (1×1 kernels); the transposed convolution with the FIR filter fused into it (k > 1),
    /// or as two steps when the filter or its padding does not allow fusing.
    private func convSteps(_ node: Node, index: Int, inputs: [Int], dims ins: [[Int]], intermediate: Int, weights: PackedConvWeights,
                           up: Int, padding p: Int, filter: String?, styleGain: Float?, demodulate: Bool) -> [Step] {
        let s = imageShape(ins[0])
        let demod = [demodulate ? s.n * weights.outChannels : 0]
        func conv(_ transposed: Bool, padding: Int, fir: FIRStep? = nil) -> Step.Kernel {
            .conv(ConvStep(weights: weights, padding: padding, transposed: transposed, fir: fir, styleGain: styleGain, demodulate: demodulate))
        }
        func dims(_ o: ImageShape) -> [Int] { [o.n, o.c, o.h, o.w] }
        if up == 1 {
            return [Step(kernel: conv(false, padding: p), name: node.name, inputs: inputs, inputDims: ins, output: index,
                         dims: dims(weights.conv2dOutputShape(s, padding: p)), scratch: demod, inPlace: false)]
        }
        precondition(up == 2, "only ×2 up-sampling convolutions exist in StyleGAN2")
        let fw = graph.tensors[filter!]!.shape.dims[0]
        let k = weights.kernel
        if k == 1 {
            let pad = (p + (fw + 1) / 2, p + (fw - 2) / 2)
            let f = fir(filter!, up: 2, down: 1, padding: (pad.0, pad.1, pad.0, pad.1), gain: 4)
            let u = dims(KernelContext.upfirdn2dOutputShape(s, taps: fw, up: 2, down: 1, padding: f.padding))
            return [
                Step(kernel: .upfirdn(f), name: nil, inputs: [inputs[0]], inputDims: [ins[0]], output: intermediate, dims: u,
                     scratch: [], inPlace: false),
                Step(kernel: conv(false, padding: 0), name: node.name, inputs: [intermediate] + inputs.dropFirst(),
                     inputDims: [u] + ins.dropFirst(), output: index, dims: dims(weights.conv2dOutputShape(imageShape(u), padding: 0)),
                     scratch: demod, inPlace: false),
            ]
        }
        let t = weights.convTranspose2dOutputShape(s)
        let (p0, p1) = upsamplingFIRPadding(padding: p, taps: fw, kernel: k)
        let f = fir(filter!, up: 1, down: 1, padding: (p0, p1, p0, p1), gain: 4)
        let out = KernelContext.upfirdn2dOutputShape(t, taps: fw, up: 1, down: 1, padding: f.padding)
        let pad = f.padding
        if f.filter.isSeparable, min(pad.x0, pad.x1, pad.y0, pad.y1) >= 0, pad.x0 + pad.x1 < fw, pad.y0 + pad.y1 < fw {
            return [Step(kernel: conv(true, padding: 0, fir: f), name: node.name, inputs: inputs, inputDims: ins, output: index,
                         dims: dims(out), scratch: demod, inPlace: false)]
        }
        return [
            Step(kernel: conv(true, padding: 0), name: nil, inputs: inputs, inputDims: ins, output: intermediate, dims: dims(t),
                 scratch: demod, inPlace: false),
            Step(kernel: .upfirdn(f), name: node.name, inputs: [intermediate], inputDims: [dims(t)], output: index, dims: dims(out),
                 scratch: [], inPlace: false),
        ]
    }

    private func fir(_ filter: String, up: Int, down: Int, padding: (Int, Int, Int, Int), gain: Float) -> FIRStep {
        let dims = graph.tensors[filter]!.shape.dims
        return FIRStep(filter: FIRFilter(param(filter), taps: dims[0], separable: dims.count == 1, gain: gain), up: up, down: down,
                       padding: FIRPadding(x0: padding.0, x1: padding.1, y0: padding.2, y1: padding.3))
    }

    /// The stored noise is read only in the const mode, so a graph may lack it.
    private func noiseStep(_ z: Noise) -> NoiseStep {
        NoiseStep(strength: param(z.strength), constNoise: graph.tensors[z.constNoise] == nil ? [] : param(z.constNoise))
    }

    private func biasActStep(_ b: BiasAct) -> BiasActStep { BiasActStep(bias: b.bias.map(param), epilogue: epilogue(b)) }
}
