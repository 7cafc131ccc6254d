#if os(Linux)
import Glibc
import Synchronization

/// Counts heap allocations (malloc, calloc, realloc, aligned_alloc, posix_memalign, memalign)
/// made on the calling thread while a closure runs. Swift allocates through libswiftCore's calls
/// to these functions and our C kernels through the test binary's, so redirecting the GOT entries
/// through which every loaded object (libc and the loader aside) reaches them sees every Swift
/// object, array and string buffer, closure context and C allocation. The entries are restored
/// afterwards (their pages stay writable: this is a test process). Other threads' calls pass through uncounted, so tests running in parallel do not
/// disturb the count.
///
/// Why not interpose `malloc` by defining it: Swift gives the test binary's symbols protected
/// visibility, which the linker does not export, so libswiftCore would never call it; and
/// `_swift_allocObject`, the runtime's own hook, crashes the Swift 6.3 Linux runtime.
enum AllocationCounter {
    /// Allocations made by `body` on this thread.
    static func count(_ body: () throws -> Void) throws -> Int {
        try lock.withLock { _ in
            let counter = UnsafeMutablePointer<Int>.allocate(capacity: 1)
            defer { counter.deallocate() }
            counter.pointee = 0
            let patched = redirect()
            defer { for (slot, old) in patched { slot.pointee = old } }
            pthread_setspecific(key, counter)
            defer { pthread_setspecific(key, nil) }
            try body()
            return counter.pointee
        }
    }

    /// Entries redirected by the last `count` (0 would mean nothing was counted at all).
    nonisolated(unsafe) private(set) static var redirected = 0

    private static let lock = Mutex(())

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    @inline(__always) private static func note() {
        if let p = pthread_getspecific(key) { p.assumingMemoryBound(to: Int.self).pointee += 1 }
    }

    // The real functions, as the dynamic linker resolves them for everyone.
    private typealias Size1 = @convention(c) (Int) -> UnsafeMutableRawPointer?
    private typealias Size2 = @convention(c) (Int, Int) -> UnsafeMutableRawPointer?
    private typealias Resize = @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer?
    private typealias PosixMemalign = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int, Int) -> Int32
    private static func real<T>(_ name: String, _: T.Type) -> T { unsafeBitCast(dlsym(nil, name)!, to: T.self) }
    private static let realMalloc = real("malloc", Size1.self)
    private static let realCalloc = real("calloc", Size2.self)
    private static let realRealloc = real("realloc", Resize.self)
    private static let realAlignedAlloc = real("aligned_alloc", Size2.self)
    private static let realMemalign = real("memalign", Size2.self)
    private static let realPosixMemalign = real("posix_memalign", PosixMemalign.self)

    nonisolated(unsafe) private static let hooks: [String: UnsafeRawPointer] = [
        "malloc": unsafeBitCast({ size in note(); return realMalloc(size) } as Size1, to: UnsafeRawPointer.self),
        "calloc": unsafeBitCast({ n, size in note(); return realCalloc(n, size) } as Size2, to: UnsafeRawPointer.self),
        "realloc": unsafeBitCast({ p, size in note(); return realRealloc(p, size) } as Resize, to: UnsafeRawPointer.self),
        "aligned_alloc": unsafeBitCast({ a, size in note(); return realAlignedAlloc(a, size) } as Size2, to: UnsafeRawPointer.self),
        "memalign": unsafeBitCast({ a, size in note(); return realMemalign(a, size) } as Size2, to: UnsafeRawPointer.self),
        "posix_memalign": unsafeBitCast({ p, a, size in note(); return realPosixMemalign(p, a, size) } as PosixMemalign,
                                        to: UnsafeRawPointer.self),
    ]

    /// Points every loaded object's GOT entries for the allocation functions at the hooks;
    /// returns the entries and their old values.
    private static func redirect() -> [(UnsafeMutablePointer<UnsafeRawPointer>, UnsafeRawPointer)] {
        _ = (key, realMalloc, realCalloc, realRealloc, realAlignedAlloc, realMemalign, realPosixMemalign) // resolve before patching
        let found = Found()
        // dl_iterate_phdr is not in Swift's Glibc module (it needs _GNU_SOURCE): called through dlsym.
        _ = real("dl_iterate_phdr", Iterate.self)(visit, Unmanaged.passUnretained(found).toOpaque())
        var patched: [(UnsafeMutablePointer<UnsafeRawPointer>, UnsafeRawPointer)] = []
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        for (slot, symbol) in found.slots {
            let start = Int(bitPattern: slot) / page * page
            guard mprotect(UnsafeMutableRawPointer(bitPattern: start), page, PROT_READ | PROT_WRITE) == 0 else { continue }
            patched.append((slot, slot.pointee))
            slot.pointee = hooks[symbol]!
        }
        redirected = patched.count
        return patched
    }

    private final class Found { var slots: [(UnsafeMutablePointer<UnsafeRawPointer>, String)] = [] }
    private typealias Visit = @convention(c) (UnsafeRawPointer?, Int, UnsafeMutableRawPointer?) -> Int32
    private typealias Iterate = @convention(c) (Visit, UnsafeMutableRawPointer?) -> Int32

    /// Collects an object's entries into the `Found` behind `context` (libc and the loader left alone).
    private static let visit: Visit = { info, _, context in
        guard let info = info?.load(as: ObjectInfo.self), let context else { return 0 }
        let name = info.name.map { String(cString: $0) } ?? ""
        if name.contains("libc.so") || name.contains("ld-linux") || name.contains("linux-vdso") { return 0 }
        Unmanaged<Found>.fromOpaque(context).takeUnretainedValue().slots += gotEntries(info)
        return 0
    }

    /// The leading fields of glibc's `struct dl_phdr_info` (64-bit).
    private struct ObjectInfo {
        var base: UInt
        var name: UnsafePointer<CChar>?
        var phdr: UnsafePointer<Elf64_Phdr>?
        var phnum: UInt16
    }

    /// The GOT entries (jump slots and GLOB_DAT) of one object that name an allocation function.
    private static func gotEntries(_ info: ObjectInfo) -> [(UnsafeMutablePointer<UnsafeRawPointer>, String)] {
        let base = info.base
        // Dynamic-section addresses are relocated by glibc's loader on most targets, not on all.
        func address(_ v: UInt64) -> UInt { UInt(v) < base ? base + UInt(v) : UInt(v) }
        guard let phdrs = info.phdr,
              let dynamic = (0..<Int(info.phnum)).first(where: { phdrs[$0].p_type == UInt32(PT_DYNAMIC) }) else { return [] }
        var dyn = UnsafePointer<Elf64_Dyn>(bitPattern: base + UInt(phdrs[dynamic].p_vaddr))!
        var symtab: UInt = 0, strtab: UInt = 0
        var tables: [(UInt, Int)] = [] // relocation tables (address, bytes)
        var jmprel: UInt = 0, pltrelsz = 0, rela: UInt = 0, relasz = 0
        while dyn.pointee.d_tag != Int64(DT_NULL) {
            let v = dyn.pointee.d_un.d_ptr
            switch Int32(dyn.pointee.d_tag) {
            case DT_SYMTAB: symtab = address(v)
            case DT_STRTAB: strtab = address(v)
            case DT_JMPREL: jmprel = address(v)
            case DT_PLTRELSZ: pltrelsz = Int(v)
            case DT_RELA: rela = address(v)
            case DT_RELASZ: relasz = Int(v)
            default: break
            }
            dyn += 1
        }
        guard symtab != 0, strtab != 0 else { return [] }
        if jmprel != 0 { tables.append((jmprel, pltrelsz)) }
        if rela != 0 { tables.append((rela, relasz)) }
        let symbols = UnsafePointer<Elf64_Sym>(bitPattern: symtab)!
        let strings = UnsafePointer<CChar>(bitPattern: strtab)!
        var entries: [(UnsafeMutablePointer<UnsafeRawPointer>, String)] = []
        for (table, bytes) in tables {
            let relocations = UnsafePointer<Elf64_Rela>(bitPattern: table)!
            for r in 0..<(bytes / MemoryLayout<Elf64_Rela>.stride) {
                let info = relocations[r].r_info
                let (symbol, type) = (Int(info >> 32), UInt32(truncatingIfNeeded: info))
                // x86-64 GLOB_DAT / JUMP_SLOT, arm64 GLOB_DAT / JUMP_SLOT.
                guard symbol != 0, [6, 7, 1025, 1026].contains(type) else { continue }
                let name = String(cString: strings + Int(symbols[symbol].st_name))
                guard hooks[name] != nil else { continue }
                entries.append((UnsafeMutablePointer(bitPattern: base + UInt(relocations[r].r_offset))!, name))
            }
        }
        return entries
    }
}
#endif
