import Runtime
import Testing
import TestSupport

/// The activation planner: buffers alive at the same step never share memory, memory is
/// reused between buffers that are not, and real generator plans keep every value intact until
/// its last reader (checked by replaying the steps, independently of how the planner works).
@Suite struct ActivationPlanTests {
    typealias Lifetime = ActivationPlan.Lifetime

    static func overlaps(_ a: (Int, Int), _ b: (Int, Int)) -> Bool { a.0 < b.0 + b.1 && b.0 < a.0 + a.1 }

    @Test func buffersAliveTogetherNeverOverlap() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<50 {
            let buffers = (0..<40).map { _ -> Lifetime in
                let first = Int(rng.next() % 30)
                return Lifetime(count: Int(rng.next() % 5000), first: first, last: first + Int(rng.next() % 6))
            }
            let (offsets, count) = ActivationPlan.place(buffers)
            for i in buffers.indices {
                #expect(offsets[i] % 16 == 0 && offsets[i] + buffers[i].count <= count)
                for j in buffers.indices where j > i && buffers[i].count > 0 && buffers[j].count > 0
                    && buffers[i].first <= buffers[j].last && buffers[j].first <= buffers[i].last {
                    #expect(!Self.overlaps((offsets[i], buffers[i].count), (offsets[j], buffers[j].count)), "buffers \(i) and \(j)")
                }
            }
        }
    }

    @Test func buffersAliveAtDifferentStepsShareMemory() {
        // A chain a → b → c → d: only neighbours are alive together, so two slots suffice.
        let chain = [Lifetime(count: 100, first: 0, last: 1), Lifetime(count: 100, first: 1, last: 2),
                     Lifetime(count: 100, first: 2, last: 3), Lifetime(count: 100, first: 3, last: 4)]
        #expect(ActivationPlan.place(chain).count == 2 * 112)
        // A small buffer fits in the gap a larger one left (best fit), not after everything.
        let gap = [Lifetime(count: 1000, first: 0, last: 0), Lifetime(count: 1000, first: 0, last: 2),
                   Lifetime(count: 500, first: 1, last: 2)]
        let (offsets, count) = ActivationPlan.place(gap)
        #expect(count == 2000 + 2 * 8)
        #expect(offsets[2] == offsets[0])
    }

    /// Replays a generator's plan step by step: what a step reads still holds what its producer
    /// wrote (no later step overwrote it), and outputs never overlap inputs unless in place.
    @Test(arguments: ["ada-orig-32", "ada-resnet-32", "ada-cond-skip-16"], [1, 3])
    func generatorPlansKeepEveryValueUntilItsLastReader(_ fixture: String, batch: Int) throws {
        let g = try Generator(graph: OwnGoldenTests.importModel(fixture).graph, threads: 1)
        let plan = try g.synthesisPlan(batch: batch)
        var lastRead: [Int: Int] = [:]
        for (s, step) in plan.steps.enumerated() { for v in step.inputs { lastRead[v] = s } }
        lastRead[plan.output] = plan.steps.count
        // The value each memory range holds now: written by a step, cleared when overwritten.
        var holder: [(offset: Int, count: Int, value: Int)] = []
        var total = 0
        for (s, step) in plan.steps.enumerated() {
            let out = try #require(plan.values[step.output])
            let live = Set(step.inputs.compactMap { plan.values[$0] }.map { [$0.offset, $0.count] })
            for v in step.inputs {
                let slot = try #require(plan.values[v])
                #expect(holder.contains { $0.offset == slot.offset && $0.count == slot.count && $0.value == v }, "step \(s) reads \(v), overwritten")
                if !(step.inPlace && v == step.inputs[0] && slot == out) {
                    #expect(!Self.overlaps((out.offset, out.count), (slot.offset, slot.count)), "step \(s) writes over its input \(v)")
                }
            }
            for k in step.scratch.indices where step.scratch[k] > 0 {
                let t = plan.scratch[s][k]
                #expect(t.count == step.scratch[k] && t.offset + t.count <= plan.arenaCount)
                for slot in live { #expect(!Self.overlaps((t.offset, t.count), (slot[0], slot[1])), "step \(s) scratch over an input") }
                for h in holder where Self.overlaps((h.offset, h.count), (t.offset, t.count)) {
                    #expect((lastRead[h.value] ?? -1) < s, "step \(s) scratch over value \(h.value), read until step \(lastRead[h.value] ?? -1)")
                }
                holder.removeAll { Self.overlaps(($0.offset, $0.count), (t.offset, t.count)) }
            }
            // Whatever the output covers is gone; a value someone still needs must not be there.
            for h in holder where Self.overlaps((h.offset, h.count), (out.offset, out.count)) {
                #expect((lastRead[h.value] ?? -1) <= s, "step \(s) overwrites value \(h.value), read until step \(lastRead[h.value] ?? -1)")
            }
            holder.removeAll { Self.overlaps(($0.offset, $0.count), (out.offset, out.count)) }
            holder.append((out.offset, out.count, step.output))
            #expect(out.count == step.count && out.offset + out.count <= plan.arenaCount)
            total += step.count + step.scratch.reduce(0, +)
        }
        #expect(plan.values[plan.output] != nil && plan.outputDims == [batch, g.config.imgChannels, g.config.resolution, g.config.resolution])
        // Memory is shared: the arena holds far less than every buffer side by side (fused steps
        // have fewer buffers: counted on the unfused plan).
        let unfused = try g.synthesisPlan(batch: batch, fuse: false).steps.reduce(0) { $0 + $1.count + $1.scratch.reduce(0, +) }
        #expect(total <= unfused && plan.arenaCount * 2 < unfused)
    }

    /// Fusion joins each noise injection with the bias + activation after it, each up-sampling
    /// (transposed) convolution with that noise injection, and each to-RGB bias with the add of
    /// the up-sampled skip image (skip architectures), and nothing else (with the banded last
    /// convolution off: BandedConvTests).
    @Test(arguments: ["ada-orig-32", "ada-resnet-32", "ada-cond-skip-16"])
    func fusionJoinsNoiseAndSkipAdds(_ fixture: String) throws {
        let graph = try OwnGoldenTests.importModel(fixture).graph
        let g = try ConvBanding.$current.withValue(.off) { try Generator(graph: graph, threads: 1) }
        let nodes = g.graph.synthesis.nodes
        let op = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0.op) })
        let noises = nodes.filter { if case .noise = $0.op { true } else { false } }.count
        let skipAdds = nodes.filter { node in
            guard case .add(1) = node.op, node.inputs.count == 2 else { return false }
            return node.inputs.contains { if case .biasAct = op[$0] { true } else { false } }
        }.count
        let upConvs = nodes.filter { if case .modulatedConv(let m) = $0.op { m.up == 2 } else { false } }.count
        let unfused = try g.synthesisPlan(batch: 2, fuse: false), fused = try g.synthesisPlan(batch: 2)
        #expect(noises > 0 && upConvs > 0)
        #expect(fused.steps.count == unfused.steps.count - noises - skipAdds - upConvs)
        #expect(fused.arenaCount <= unfused.arenaCount)
    }
}
