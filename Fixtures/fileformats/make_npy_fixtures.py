#!/usr/bin/env python3
"""Writes the NPY/NPZ and zip fixtures in npy/ and zip/ beside this script, and the manifests
that record what NumPy and Python's zipfile (the independent references) read back from them.

Run once with Python 3 + NumPy; the outputs are committed. Deterministic: no random data,
fixed zip timestamps (numpy.savez's members get zipfile's default, 1980-01-01)."""
import io, json, math, os, struct, zipfile
import numpy as np
from numpy.lib import format as npformat

HERE = os.path.dirname(os.path.abspath(__file__))
NPY, ZIP = os.path.join(HERE, "npy"), os.path.join(HERE, "zip")
OUR_DTYPE = {"f2": "f16", "f4": "f32", "f8": "f64", "i1": "i8", "i2": "i16", "i4": "i32",
             "i8": "i64", "u1": "u8", "b1": "bool"}
STAMP = (2020, 1, 1, 0, 0, 0)


def jsonable(x):
    """A flat value as NumPy reads it: ints as ints, floats exactly (repr), NaN/inf as strings."""
    if isinstance(x, (bool, np.bool_)):
        return int(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def describe(a):
    return {"dtype": OUR_DTYPE[a.dtype.str[1:]], "shape": list(a.shape),
            "values": [jsonable(v) for v in np.ravel(a, order="C")]}


def sample(code, shape=(2, 3)):
    n = int(np.prod(shape))
    kind = np.dtype(code).kind
    if kind == "f":
        info = np.finfo(code)
        base = [1.5, -0.0, np.nan, np.inf, -np.inf, float(info.tiny) / 4, float(info.max), -2.25, 1 / 3]
    elif kind == "b":
        base = [True, False, False, True, True, False]
    else:
        info = np.iinfo(code)
        base = [int(info.min), int(info.max), 0, 1, -1 if info.min < 0 else 7, 42]
    vals = (base * (n // len(base) + 1))[:n]
    return np.array(vals, dtype=code).reshape(shape)


def main():
    os.makedirs(NPY, exist_ok=True)
    os.makedirs(ZIP, exist_ok=True)
    manifest = {}

    def save(name, a, version=None):
        path = os.path.join(NPY, name)
        with open(path, "wb") as f:
            npformat.write_array(f, a, version=version)
        b = np.load(path)  # record what NumPy reads, not what we meant to write
        manifest[name] = describe(b)

    for code in ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "b1"]:
        orders = ["|"] if code in ("i1", "u1", "b1") else ["<", ">"]
        for order in orders:
            tag = {"<": "le", ">": "be", "|": "na"}[order]
            save(f"{code}_{tag}.npy", sample(order + code))

    save("v2.npy", sample("<f4", (3, 2)), version=(2, 0))
    save("v3.npy", sample("<i4", (2, 2)), version=(3, 0))
    save("fortran_f4.npy", np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)))
    save("fortran_f8_be.npy", np.asfortranarray(np.arange(6, dtype=">f8").reshape(2, 3) / 7))
    save("scalar.npy", np.array(3.5, dtype="<f4"))
    save("empty_4x0.npy", np.zeros((4, 0), dtype="<f4"))
    save("vector.npy", np.linspace(-1, 1, 5, dtype="<f4"))

    arrays = {"w": np.arange(12, dtype="<f4").reshape(3, 4) / 3,
              "labels": np.array([3, 1, 2], dtype="<i8"),
              "mask": np.array([[True, False]])}
    for name, fn in [("stored.npz", np.savez), ("deflated.npz", np.savez_compressed)]:
        path = os.path.join(NPY, name)
        fn(path, **arrays)
        with np.load(path) as z:
            manifest[name] = [dict(name=k, **describe(z[k])) for k in z.files]

    with open(os.path.join(NPY, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    make_zips()


def write_zip(name, members, compression=zipfile.ZIP_STORED, comment=b"", stream=False, **kw):
    """members: list of (name, bytes). stream=True writes to an unseekable file, which makes
    zipfile use data descriptors (flag bit 3) like streaming writers do."""
    buf = io.BytesIO()
    target = buf
    if stream:
        class Unseekable(io.RawIOBase):
            def writable(self): return True
            def seekable(self): return False
            def write(self, b): return buf.write(b)
        target = Unseekable()
    with zipfile.ZipFile(target, "w", compression=compression) as z:
        z.comment = comment
        for n, data in members:
            info = zipfile.ZipInfo(n, STAMP)
            info.compress_type = compression
            with z.open(info, "w", **kw) as f:
                f.write(data)
    data = buf.getvalue()
    with open(os.path.join(ZIP, name), "wb") as f:
        f.write(data)
    return data


def make_zips():
    text = b"".join(b"line %d: the quick brown fox\n" % i for i in range(20))
    binary = bytes(range(256)) * 2
    good = {}
    good["stored.zip"] = write_zip("stored.zip", [("a.txt", b"hello zip\n"), ("dir/b.bin", binary), ("empty", b"")])
    good["deflated.zip"] = write_zip("deflated.zip", [("text.txt", text), ("bin", binary), ("empty", b"")],
                                     zipfile.ZIP_DEFLATED)
    good["streamed.zip"] = write_zip("streamed.zip", [("s.txt", text[:500]), ("t.bin", binary[:100])],
                                     zipfile.ZIP_DEFLATED, stream=True)
    good["comment.zip"] = write_zip("comment.zip", [("c.txt", b"commented")], comment=b"an archive comment")
    # Same entries, but the comment holds an end-record signature: Python's zipfile trips on it,
    # a reader that checks the comment length finds the real record (expected: comment.zip).
    write_zip("comment_fake_eocd.zip", [("c.txt", b"commented")], comment=b"fake PK\x05\x06 record")
    # A real zip64 archive (zip64 end record + locator, zip64 extras in the central directory)
    # by lowering zipfile's limits, as an archive over 4 GiB or 65535 entries would need.
    saved = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 0, 0
    try:
        good["zip64.zip"] = write_zip("zip64.zip", [("x.bin", binary[:300]), ("y.txt", text[:200])],
                                      zipfile.ZIP_DEFLATED, force_zip64=True)
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved

    # Same archive with the end record's fields set to "see the zip64 record" (0xFFFF...), as
    # writers that always emit zip64 (PyTorch's) do.
    d = bytearray(good["zip64.zip"])
    eocd = d.rindex(b"PK\x05\x06")
    d[eocd + 8: eocd + 20] = b"\xff" * 12
    put("zip64_maxed_eocd.zip", d)
    good["zip64_maxed_eocd.zip"] = bytes(d)

    manifest = {}
    for name in good:
        with zipfile.ZipFile(os.path.join(ZIP, name)) as z:
            assert z.testzip() is None
            manifest[name] = [{"name": i.filename, "size": i.file_size, "crc": i.CRC,
                               "method": {0: "stored", 8: "deflated"}[i.compress_type],
                               "hex": z.read(i).hex()} for i in z.infolist()]
    with open(os.path.join(ZIP, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)

    # Hostile archives: each should be rejected with an error naming the problem.
    write_zip("dotdot.zip", [("../x", b"escape")])
    write_zip("absolute.zip", [("/etc/x", b"abs")])
    write_zip("backslash.zip", [("a\\b", b"bs")])
    write_zip("dot_component.zip", [("a/./b", b"dot")])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns "Duplicate name"
        write_zip("duplicate.zip", [("same", b"one"), ("same", b"two")])
    write_zip("bzip2.zip", [("b.txt", text)], zipfile.ZIP_BZIP2)

    d = bytearray(good["stored.zip"])
    d[d.index(b"hello zip")] ^= 0x20  # payload changed, CRC not: CRC mismatch
    put("crc_stored.zip", d)
    d = bytearray(good["deflated.zip"])
    cd = d.index(b"PK\x01\x02")
    d[cd + 16] ^= 0xFF  # first central CRC byte of text.txt
    put("crc_deflated.zip", d)
    put("truncated.zip", good["stored.zip"][: len(good["stored.zip"]) // 2])
    d = bytearray(good["stored.zip"])
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = d.index(sig)
        d[at + (6 if sig == b"PK\x03\x04" else 8)] |= 1  # general purpose flag bit 0: encrypted
    put("encrypted.zip", d)
    d = bytearray(good["stored.zip"])
    eocd = d.rindex(b"PK\x05\x06")
    d[eocd + 4: eocd + 6] = struct.pack("<H", 1)  # "this is disk 1"
    put("multidisk.zip", d)
    d = bytearray(good["zip64.zip"])
    rec = d.rindex(b"PK\x06\x06")
    d[rec + 24: rec + 40] = struct.pack("<QQ", 1 << 40, 1 << 40)  # 2^40 entries in a tiny file
    put("huge_count.zip", d)
    d = bytearray(good["stored.zip"])
    loc = d.index(b"dir/b.bin")  # the local header's copy of the name
    d[loc: loc + 3] = b"xyz"
    put("local_name_mismatch.zip", d)


def put(name, data):
    with open(os.path.join(ZIP, name), "wb") as f:
        f.write(bytes(data))


if __name__ == "__main__":
    main()
