"""Seed corpora for scripts/fuzz.sh, from Fixtures/ and the shared official pickles.

Writes <out>/<harness>/<name> files. Besides copying fixtures (and the inputs of
Fixtures/fuzz-regressions, so that every run replays them under the sanitizers) it extracts
the legacy torch streams embedded in PyTorch-era NVlabs pickles
(`torch.storage._load_from_bytes` arguments) for the torch harness, and writes a few mutated copies of each shared official pickle (cut at
an opcode boundary, one opcode argument byte changed) so the seeds already include
near-valid damaged files. Reads pickles with pickletools only: nothing is unpickled.
"""
import glob
import os
import pickletools
import random
import shutil
import sys

root, out, shared = sys.argv[1], sys.argv[2], sys.argv[3]
rng = random.Random(9)


def put(harness, name, data):
    os.makedirs(os.path.join(out, harness), exist_ok=True)
    with open(os.path.join(out, harness, name), "wb") as f:
        f.write(data)


def files(*patterns):
    return sorted(p for pat in patterns for p in glob.glob(os.path.join(root, pat)))


def read(p):
    with open(p, "rb") as f:
        return f.read()


def ops(data):
    try:
        return list(pickletools.genops(data))
    except Exception:
        return []


small_pickles = files("Fixtures/pickles/*.pkl", "Fixtures/official-code/*.pkl", "Fixtures/official-tf/*.pkl")
official = sorted(glob.glob(os.path.join(shared, "*.pkl")))
for p in small_pickles + official:
    data = read(p)
    name = os.path.basename(p)
    put("pickle", name, data)
    if "/official" in p:
        put("nvlabs", name, data)
    nested = [(pos, arg) for op, arg, pos in ops(data)  # legacy torch streams, a few per pickle
              if isinstance(arg, (bytes, bytearray)) and arg[:2] == b"\x80\x02" and len(arg) < 1 << 18]
    for pos, arg in nested[::max(1, len(nested) // 6)]:
        put("torch", f"{name}.{pos}.legacy", bytes(arg))
for p in official:
    data = read(p)
    listing = ops(data)
    name = os.path.basename(p)
    for k in range(4):
        op, arg, pos = listing[rng.randrange(len(listing))]
        if k % 2 == 0:
            mutated = data[:pos] + b"."  # cut before an opcode, STOP kept
        else:
            b = bytearray(data)
            b[min(pos + 1, len(b) - 1)] ^= 1 << rng.randrange(8)
            mutated = bytes(b)
        put("pickle", f"{name}.mut{k}", mutated)
        put("nvlabs", f"{name}.mut{k}", mutated)
for p in files("Fixtures/pickles/*.pt", "Fixtures/official-code/*.pt"):
    put("torch", os.path.basename(p), read(p))
for p in files("Fixtures/fileformats/zip/*.zip", "Fixtures/fileformats/npy/*.npz", "Fixtures/pickles/*.pt"):
    put("zip", os.path.basename(p), read(p))
for p in files("Fixtures/fileformats/npy/*.npy", "Fixtures/fileformats/npy/*.npz", "Fixtures/onnx-conformance/cases/*.npz"):
    put("npy", os.path.basename(p), read(p))
for p in files("Fixtures/onnx/*.onnx", "Fixtures/onnx-conformance/cases/*.onnx"):
    put("onnx", os.path.basename(p), read(p))
for p in files("Fixtures/fuzz-regressions/*/*"):  # every run (the CI smoke too) replays them under the sanitizers
    put(os.path.basename(os.path.dirname(p)), "regression-" + os.path.basename(p), read(p))
