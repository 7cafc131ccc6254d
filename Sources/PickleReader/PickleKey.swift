/// The hashable form of a dict key or set element, following Python's equality where pickles
/// can observe it: `True == 1 == 1.0`, `b'a' != 'a'`, tuples compare by content, objects by
/// identity. NaN keys and values hashed by identity in Python (tensors, storages) never collide.
enum PickleKey: Hashable {
    case none
    case int(Int)
    case bigInt(String)
    case float(UInt64)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleKey])
    case frozenset(Set<PickleKey>)
    case global(String, String)
    case identity(ObjectIdentifier)
    case unique(Int)
}
