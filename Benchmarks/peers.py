#!/usr/bin/env python3
"""Times PyTorch and ONNX Runtime on the same weights as `stylegan bench`, side by side.

usage: peers.py OFFICIAL_CHECKOUT MODEL.pkl STYLEGAN_BINARY [--iterations 5] [--rounds 3] [--threads 2] [--no-onnx]

z → image with psi 0.7 and constant noise, batch 1, median of the runs after one warm-up. The
three take turns for --rounds rounds (PyTorch, ONNX Runtime, stylegan, then again), so a slow
spell of the machine (another process, a noisy neighbour of the VM) hits all of them alike; each
reports the median of its per-round medians, and the ratios are medians of the per-round ratios. The
ONNX export (torch.onnx, dynamo) of the whole generator is made on the fly into a temporary
folder.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkout")
    ap.add_argument("model")
    ap.add_argument("stylegan")
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-onnx", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, args.checkout)
    import numpy as np
    import torch
    import legacy

    torch.set_num_threads(args.threads)
    with open(args.model, "rb") as f:
        G = legacy.load_network_pkl(f)["G_ema"].eval().float()
    z = torch.from_numpy(np.random.RandomState(0).randn(1, G.z_dim).astype(np.float32))
    c = torch.zeros(1, G.c_dim)

    class Full(torch.nn.Module):
        def __init__(self, g):
            super().__init__()
            self.g = g

        def forward(self, z):
            return self.g(z, c, truncation_psi=0.7, noise_mode="const", force_fp32=True)

    full = Full(G).eval()

    def times(fn):
        fn()
        out = []
        for _ in range(args.iterations):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
        return out

    runners = {"pytorch": lambda: times(lambda: full(z))}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_onnx:
            import onnxruntime as ort
            path = os.path.join(tmp, "g.onnx")
            with torch.no_grad():
                torch.onnx.export(full, (z,), path, input_names=["z"], output_names=["img"], dynamo=True)
            so = ort.SessionOptions()
            so.intra_op_num_threads = args.threads
            sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            feed = {"z": z.numpy()}
            runners["onnxruntime"] = lambda: times(lambda: sess.run(None, feed))
        ours = {}

        def stylegan():
            out = subprocess.run([args.stylegan, "bench", args.model, "--iterations", str(args.iterations),
                                  "--threads", str(args.threads), "--json"], check=True, capture_output=True, text=True)
            ours.update(json.loads(out.stdout))
            return [ours["seconds_per_image"]]

        runners["stylegan"] = stylegan
        rounds = []
        with torch.no_grad():
            for _ in range(args.rounds):
                medians = {}
                for name, run in runners.items():
                    medians[name] = statistics.median(run())
                rounds.append(medians)
    results = {name: statistics.median(r[name] for r in rounds) for name in runners}
    print(f"{args.model}: seconds per image (batch 1, {args.threads} threads, psi 0.7, const noise, "
          f"{args.rounds} rounds of {args.iterations} runs)")
    for name, t in results.items():
        ratios = [r[name] / r["stylegan"] for r in rounds]
        spread = f" (rounds {min(ratios):.2f}–{max(ratios):.2f}x)" if len(ratios) > 1 else ""
        faster = "" if name == "stylegan" else f"stylegan is {statistics.median(ratios):.2f}x faster{spread}"
        print(f"  {name:12s} {t:8.4f} s   {faster}")
    print(f"  stylegan: {ours['effective_gflops']:.1f} GFLOP/s effective, {100 * ours['share_of_peak']:.0f} % of the measured FMA peak")


if __name__ == "__main__":
    main()
