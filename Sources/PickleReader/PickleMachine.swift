import Tensors

/// The exec-free pickle virtual machine (protocols 0–5). One run reads one pickle, from its
/// first opcode to STOP, and returns the inert value tree. Iterative: nesting lives in `stack`
/// and `marks`, never in native recursion.
struct PickleMachine {
    typealias PersistentLoad = (PickleValue, Int) throws(PickleError) -> PickleValue

    var input: PickleInput
    let context: PickleContext
    /// Resolves persistent ids (torch storages); nil makes PERSID/BINPERSID an error.
    var persistentLoad: PersistentLoad?
    var stack: [PickleValue] = []
    /// Stack heights at each open MARK.
    var marks: [Int] = []
    /// The memo: dense for the indices MEMOIZE and pickle.dump use (0, 1, 2, ...), a dictionary
    /// for any other index a PUT names.
    var memo: [PickleValue?] = []
    var sparseMemo: [Int: PickleValue] = [:]
    /// Distinct indices set (Python's `len(memo)`, the index MEMOIZE uses).
    var memoCount = 0
    /// Shared containers this run mutated (see `noteMutation`).
    var cycleSuspects: [PickleValue] = []
    var proto = 0
    /// Offset of the opcode being executed, for errors.
    var opOffset = 0

    init(_ source: SharedBytes, range: Range<Int>, context: PickleContext, persistentLoad: PersistentLoad? = nil) throws(PickleError) {
        input = try PickleInput(source, range: range)
        self.context = context
        self.persistentLoad = persistentLoad
    }

    var limits: PickleLimits { context.limits }
    var source: SharedBytes { input.source }

    // MARK: stack

    func fail(_ kind: PickleError.Kind, _ message: String) -> PickleError {
        PickleError(kind, offset: opOffset, message)
    }

    func fail(_ message: String) -> PickleError { fail(.malformed, message) }

    mutating func push(_ v: PickleValue) throws(PickleError) {
        guard stack.count < limits.maxStackDepth else {
            throw fail(.limit, "more than \(limits.maxStackDepth) values on the stack (PickleLimits.maxStackDepth)")
        }
        try checkDepth(v)
        stack.append(v)
    }

    /// Values of the current mark level (those above the innermost MARK).
    var levelCount: Int { stack.count - (marks.last ?? 0) }

    mutating func pop(_ op: String) throws(PickleError) -> PickleValue {
        guard levelCount > 0 else { throw fail("stack underflow in \(op)") }
        return stack.removeLast()
    }

    func top(_ op: String) throws(PickleError) -> PickleValue {
        guard levelCount > 0 else { throw fail("stack underflow in \(op)") }
        return stack[stack.count - 1]
    }

    mutating func replaceTop(_ v: PickleValue) { stack[stack.count - 1] = v }

    /// Pops everything above the innermost MARK, and the mark.
    mutating func popMark(_ op: String) throws(PickleError) -> [PickleValue] {
        guard let m = marks.popLast() else { throw fail("\(op) without a MARK") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    // MARK: memo

    mutating func memoize(_ index: Int) throws(PickleError) {
        let v = try top("memo store")
        let isNew = index < memo.count ? memo[index] == nil : sparseMemo[index] == nil
        if isNew {
            guard memoCount < limits.maxMemoEntries else {
                throw fail(.limit, "more than \(limits.maxMemoEntries) memo entries (PickleLimits.maxMemoEntries)")
            }
            memoCount += 1
        }
        if index < memo.count {
            memo[index] = v
        } else if index == memo.count {
            memo.append(v)
            while let next = sparseMemo.removeValue(forKey: memo.count) { memo.append(next) }  // rare
        } else {
            sparseMemo[index] = v
        }
    }

    func memoGet(_ index: Int) throws(PickleError) -> PickleValue {
        if index < memo.count, let v = memo[index] { return v }
        if let v = sparseMemo[index] { return v }
        throw fail("memo index \(index) was never set")
    }

    // MARK: cycles

    mutating func pushShared(_ v: PickleValue) throws(PickleError) {
        if let id = v.containerIdentifier { context.sharedContainers.insert(id) }
        try push(v)
    }

    /// Called before a container is mutated: if it was pushed a second time, the mutation may
    /// close a cycle through it, so it is kept for `releaseCycles` (a popped cycle is held by
    /// nothing else).
    mutating func noteMutation(_ target: PickleValue) {
        if let id = target.containerIdentifier, context.sharedContainers.contains(id) {
            context.mayHaveCycles = true
            cycleSuspects.append(target)
        }
    }

    /// When the load may have built a cycle: dismantles what this run leaves behind (stack,
    /// memo and the containers that may close a cycle) except what `result` reaches, so that
    /// cyclic garbage is freed. A cyclic result is the caller's to dismantle.
    mutating func releaseCycles(keeping result: PickleValue?) {
        guard context.mayHaveCycles else { return }
        let keep = result.map { PickleValue.containers(reachableFrom: [$0]) } ?? []
        PickleValue.dismantle(stack + memo.compactMap { $0 } + Array(sparseMemo.values) + cycleSuspects, sparing: keep)
        stack = []
        memo = []
        sparseMemo = [:]
        cycleSuspects = []
    }

    // MARK: run

    /// Runs to STOP. The input is left just after STOP.
    mutating func run() throws(PickleError) -> PickleValue {
        do {
            let v = try runToStop()
            releaseCycles(keeping: v)
            return v
        } catch {
            releaseCycles(keeping: nil)
            throw error
        }
    }

    private mutating func runToStop() throws(PickleError) -> PickleValue {
        while true {
            opOffset = input.offset
            let op = try input.byte()
            if op == Opcode.stop {
                let v = try pop("STOP")
                guard stack.isEmpty, marks.isEmpty else {
                    throw fail("STOP leaves \(stack.count) values and \(marks.count) marks behind")
                }
                return v
            }
            try step(op)
        }
    }
}
