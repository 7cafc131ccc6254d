#!/usr/bin/env python3
"""Batch size against batch 1 on the same model, taking turns (the machine's minute-to-minute
noise hits both alike): per pair, `stylegan bench MODEL --batch 1` then `--batch N`; prints each
one's median seconds per image with its range and the median of the per-pair ratios.

    python3 Benchmarks/batch.py .build/release/stylegan /tmp/configf.pkl --batch 4 --pairs 7
"""
import argparse
import json
import statistics
import subprocess


def seconds_per_image(binary, model, batch, iterations, threads):
    args = [binary, "bench", model, "--batch", str(batch), "--iterations", str(iterations), "--json"]
    if threads:
        args += ["--threads", str(threads)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["seconds_per_image"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary", help="the stylegan executable")
    ap.add_argument("model", help="a .pkl, .sgan or .onnx model")
    ap.add_argument("--batch", type=int, default=4, help="the batch size to compare with 1 (default 4)")
    ap.add_argument("--pairs", type=int, default=7, help="alternating pairs of runs (default 7)")
    ap.add_argument("--iterations", type=int, default=3, help="timed runs per bench (default 3)")
    ap.add_argument("--threads", type=int, help="kernel threads (default: stylegan's)")
    a = ap.parse_args()
    one, many = [], []
    for _ in range(a.pairs):
        one.append(seconds_per_image(a.binary, a.model, 1, a.iterations, a.threads))
        many.append(seconds_per_image(a.binary, a.model, a.batch, a.iterations, a.threads))
    ratios = [x / y for x, y in zip(one, many)]
    print(f"{a.model}: seconds per image, {a.pairs} alternating pairs of {a.iterations} runs")
    for name, values in [("batch 1", one), (f"batch {a.batch}", many)]:
        print(f"  {name:9} {statistics.median(values):.4f} s  ({min(values):.4f}–{max(values):.4f})")
    print(f"  batch {a.batch} is {statistics.median(ratios):.3f}x faster per image (pairs {min(ratios):.3f}–{max(ratios):.3f}x)")


if __name__ == "__main__":
    main()
