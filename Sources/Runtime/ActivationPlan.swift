import Kernels
import LayerGraph

/// One node (or a fused pair of nodes) ready to run: its op resolved against the weights
/// (packed kernels, biases, prepared FIR filters) and its shapes fixed, so that running it looks
/// nothing up and allocates nothing. Built by `Executor.step`.
package struct Step {
    enum Kernel {
        /// A graph input: the caller writes it into its slot before the run.
        case input
        case normalize(eps: Float)
        case dense(PackedDenseWeights, bias: [Float]?, Epilogue)
        case concat
        case broadcast(count: Int)
        case selectW(index: Int)
        case constInput([Float])
        case conv(ConvStep)
        /// Noise injection, then (fused) the next node's bias + activation.
        case noise(NoiseStep, then: BiasActStep?)
        /// Bias + activation; with `addend`, then + input 1 (the skip image after to-RGB).
        case biasAct(BiasActStep, addend: Bool)
        case upfirdn(FIRStep)
        case upsampleNearest(factor: Int)
        case instanceNorm(eps: Float)
        case adaIN
        case add(scale: Float)
        /// A convolution and its readers up to the image, in bands of rows (see `BandedConvStep`).
        case banded(BandedConvStep)
    }

    let kernel: Kernel
    /// The node whose value this step produces (the second node of a fused pair); nil for the
    /// first half of an up-sampling convolution.
    package let name: String?
    /// Value ids (node indices) read, and their shapes.
    package let inputs: [Int]
    let inputDims: [[Int]]
    /// Value id written, and its shape.
    package let output: Int
    package let dims: [Int]
    /// Floats of each temporary the step needs while it runs (0: unused).
    package let scratch: [Int]
    /// The op works on its output in place, starting from a copy of input 0 (same shape), so
    /// the output may take input 0's buffer when input 0 is not needed afterwards.
    package let inPlace: Bool
    /// The graph nodes whose work the step does (one, a fused pair, or a banded chain; none for
    /// the first half of an up-sampling convolution): what per-step timing reports it as.
    package var nodes: [String] = []

    package var count: Int { dims.product }

    /// The form of each k×k (k > 1) convolution the step runs (alone, fused or banded) by its
    /// node: "direct" or its Winograd form ("F(4,3)", "F(3,2) phases").
    package var convForms: [String: String] {
        func form(_ c: ConvStep) -> String { c.weights.winogradTile.map(\.description) ?? "direct" }
        switch kernel {
        case .conv(let c) where c.weights.kernel > 1: return nodes.first.map { [$0: form(c)] } ?? [:]
        case .banded(let b):
            var forms = [b.convNode: form(b.conv)]
            if let u = b.source { forms[u.node] = form(u.conv) }
            return forms
        default: return [:]
        }
    }
}

/// `modulated_conv` / `conv` with everything resolved. Up-sampling convolutions with a 1×1
/// kernel run their FIR up-sampling as a step of its own before this one.
struct ConvStep {
    let weights: PackedConvWeights
    let padding: Int
    /// Transposed convolution (stride 2), then, when given, the FIR filter fused into the same call.
    let transposed: Bool
    let fir: FIRStep?
    /// Modulated: input 1 holds the styles, times this gain.
    let styleGain: Float?
    /// Demodulation coefficients [n, O] go to scratch 0.
    let demodulate: Bool
    /// Transposed with `fir`: the noise injection (and its bias + activation) of the step that
    /// read this one's output, done on each row as the FIR writes it (random noise: scratch 1).
    var epilogue: (noise: NoiseStep, act: BiasActStep?)? = nil
}

/// A same-size convolution whose output only feeds noise, bias + activation, a 1×1 convolution
/// (to-RGB), its bias + activation and, when `skip` is given, the add of the up-sampled skip
/// image: all run band by band of `rows` output rows, so that the first convolution's output
/// (at 1024², 32 channels: 134 MB) is only ever stored one band at a time. Each step rounds as
/// its unbanded form does. Scratch: the two convolutions' demodulation coefficients, the random
/// noise [N, H, W], then the bands of the convolution's output and of the to-RGB output (the
/// convolution reads its input rows in place).
///
/// With `source`, the up-sampling convolution whose output only the first convolution reads
/// runs by rows too: per `sourceRows` rows, those rows of its output (with its fused FIR,
/// noise, bias + activation) and the padding rows around them go to a buffer the first
/// convolution's bands read (at 1024², its 134 MB output is never stored either). Its scratch
/// follows: its demodulation coefficients, its random noise [N, H, W], that buffer.
struct BandedConvStep {
    let conv: ConvStep
    let noise: NoiseStep?
    let act: BiasActStep
    let rgb: ConvStep
    let rgbAct: BiasActStep
    let rows: Int
    /// Rows of the source's output computed at a time (a multiple of `rows` or the map's
    /// height; the map's height without a source).
    let sourceRows: Int
    /// Positions in the step's inputs (0: the first convolution's input, or the source's) of
    /// each convolution's styles (when modulated) and of the skip image (when added).
    let convStyles: Int?, rgbStyles: Int?, skip: Int?
    let source: SourceConv?
    /// The graph node of `conv` (for `Step.convForms`).
    let convNode: String

    /// An up-sampling convolution (transposed, FIR and epilogue fused, direct form) run by rows.
    struct SourceConv {
        let conv: ConvStep
        let node: String
        /// Its styles' position in the step's inputs (its input is input 0).
        let styles: Int?
        /// Its output: the first convolution's input.
        let output: [Int]
    }
}

struct NoiseStep {
    let strength: [Float]
    let constNoise: [Float]
}

struct BiasActStep {
    let bias: [Float]?
    let epilogue: Epilogue
}

struct FIRStep {
    let filter: FIRFilter
    let up: Int, down: Int
    let padding: FIRPadding
}

/// Where every value and temporary of one subgraph run lives in one arena, for one set of
/// input shapes (so one batch size).
///
/// Lifetimes are in step order: a value lives from the step that writes it to the last step
/// that reads it (the subgraph's output to the end, graph inputs from the start, since the
/// caller writes them first); a temporary lives during its step only. An in-place step takes
/// its input's buffer when that input is read for the last time there (bias + act, noise, norms,
/// add); otherwise it copies the input into a buffer of its own. Buffers are then placed
/// greedily, largest first, each in the smallest gap (best fit) left between the buffers already
/// placed that are alive at the same time. Every offset is 64-byte aligned. A step's output never
/// shares memory with its inputs (both are alive at that step), as the kernels require.
package struct ActivationPlan {
    package struct Slot: Equatable {
        package var offset: Int
        package var count: Int
    }

    /// A buffer's size in floats and the steps during which it is alive (inclusive).
    package struct Lifetime: Equatable {
        package var count: Int
        package var first: Int
        package var last: Int
        package init(count: Int, first: Int, last: Int) {
            self.count = count
            self.first = first
            self.last = last
        }
    }

    package let steps: [Step]
    /// Per value id (node index): where it lives (nil: never produced, e.g. the first node of a
    /// fused pair).
    package let values: [Slot?]
    /// Per step: copy input 0 into the output before running (an in-place op whose input is
    /// still needed later).
    package let copiesInput: [Bool]
    /// Per step: its temporaries.
    package let scratch: [[Slot]]
    package let output: Int
    package let outputDims: [Int]
    /// Floats in the arena.
    package let arenaCount: Int

    init(steps: [Step], output: Int, valueCount: Int) {
        var lastUse = [Int](repeating: -1, count: valueCount)
        for (s, step) in steps.enumerated() { for v in step.inputs { lastUse[v] = s } }
        lastUse[output] = steps.count
        var bufferOf = [Int](repeating: -1, count: valueCount)
        var buffers: [Lifetime] = []
        var copies: [Bool] = []
        var scratchBuffers: [[Int]] = []
        for (s, step) in steps.enumerated() {
            let end = max(s, lastUse[step.output])
            if step.inPlace, let v = step.inputs.first, lastUse[v] == s, !step.inputs.dropFirst().contains(v) {
                let b = bufferOf[v]
                bufferOf[step.output] = b
                buffers[b].last = max(buffers[b].last, end)
                copies.append(false)
            } else {
                bufferOf[step.output] = buffers.count
                // Inputs are written by the caller before the first step runs.
                let first = if case .input = step.kernel { 0 } else { s }
                buffers.append(Lifetime(count: step.count, first: first, last: end))
                copies.append(step.inPlace)
            }
            scratchBuffers.append(step.scratch.map { count in
                buffers.append(Lifetime(count: count, first: s, last: s))
                return buffers.count - 1
            })
        }
        let (offsets, total) = Self.place(buffers)
        let slot = { (b: Int) in Slot(offset: offsets[b], count: buffers[b].count) }
        self.steps = steps
        values = bufferOf.map { $0 < 0 ? nil : slot($0) }
        copiesInput = copies
        scratch = scratchBuffers.map { $0.map(slot) }
        self.output = output
        outputDims = steps.first { $0.output == output }!.dims
        arenaCount = total
    }

    /// Offsets for `buffers` such that buffers alive at the same step never overlap, and the
    /// arena size (floats): largest first, best fit.
    package static func place(_ buffers: [Lifetime]) -> (offsets: [Int], count: Int) {
        let alignment = 16 // floats: 64 bytes
        func size(_ b: Int) -> Int { (buffers[b].count + alignment - 1) / alignment * alignment }
        var offsets = [Int](repeating: 0, count: buffers.count)
        var placed: [Int] = []
        var total = 0
        for b in buffers.indices.sorted(by: { (buffers[$0].count, $1) > (buffers[$1].count, $0) }) where buffers[b].count > 0 {
            let need = size(b)
            let live = placed.filter { buffers[$0].first <= buffers[b].last && buffers[b].first <= buffers[$0].last }
                .sorted { offsets[$0] < offsets[$1] }
            var best: (offset: Int, gap: Int)? = nil
            var cursor = 0
            for other in live {
                let gap = offsets[other] - cursor
                if gap >= need, gap < best?.gap ?? .max { best = (cursor, gap) }
                cursor = max(cursor, offsets[other] + size(other))
            }
            offsets[b] = best?.offset ?? cursor
            total = max(total, offsets[b] + need)
            placed.append(b)
        }
        return (offsets, total)
    }
}
