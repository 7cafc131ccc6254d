/// State shared by the VM runs of one load (a torch stream inside a pickle runs its own VMs):
/// the limits and what remains of the decoded-bytes budget.
final class PickleContext {
    let limits: PickleLimits
    private(set) var decodedBudget: Int
    /// Counter for keys that compare by identity (never equal to another key).
    private var uniqueCounter = 0
    /// True while reading a torch legacy stream (`_load_from_bytes` may not nest).
    var insideTorchStream = false
    /// First pass over a torch legacy stream: storages have no data yet, tensors are skipped.
    var storagesPending = false
    /// Tensors skipped during such a pass (when 0, the pass result is already complete).
    var skippedTensors = 0
    /// Containers pushed a second time (GET, DUP). Only such a container can be the target of
    /// a mutation that closes a cycle: once a container is inside another one, the stack no
    /// longer holds it unless it was fetched again.
    var sharedContainers = Set<ObjectIdentifier>()
    /// A shared container was mutated: the load may have built a cycle, which reference
    /// counting never frees, so leftovers are dismantled (`PickleMachine.releaseCycles`).
    var mayHaveCycles = false

    init(limits: PickleLimits, sourceSize: Int) {
        self.limits = limits
        let (times4, o1) = sourceSize.multipliedReportingOverflow(by: 4)
        let (sum, o2) = times4.addingReportingOverflow(64 << 20)
        decodedBudget = limits.maxDecodedBytes ?? (o1 || o2 ? Int.max : sum)
    }

    /// Reserves `bytes` of decoded data before it is allocated.
    func charge(_ bytes: Int, at offset: Int, _ what: @autoclosure () -> String) throws(PickleError) {
        guard bytes >= 0, bytes <= decodedBudget else {
            throw PickleError(.limit, offset: offset,
                              "\(what()) needs \(bytes) bytes of decoded data, more than the \(decodedBudget) left of the budget (PickleLimits.maxDecodedBytes)")
        }
        decodedBudget -= bytes
    }

    func nextUnique() -> Int {
        uniqueCounter += 1
        return uniqueCounter
    }
}
