#!/usr/bin/env python3
"""Writes a StyleGAN1 network pickle with the layout of the official FFHQ 1024x1024 generator
(karras2019stylegan-ffhq-1024x1024.pkl) and random weights: too big to commit, used to check
`stylegan inspect` against the published parameter count (26,219,627) and for benchmarks.

The layout is taken from ../shared/fixtures/official/tf-sg1-128.pkl (written by the official
StyleGAN code): the same Network-state structure (version 3, G_style with G_mapping and
G_synthesis components, variables in TF creation order), scaled to FFHQ's configuration
(fmap_base 8192, fmap_max 512, 512-d latents, 8 mapping layers of 512). The Network class is a
stand-in registered under the official module name, so the pickle opcodes are the same as the
official writer's.

usage: make_sg1_ffhq_pickle.py OUT.pkl [--resolution 1024]
"""
import argparse
import pickle
import sys
import types

import numpy as np


def make_network_class():
    # A class pickled as dnnlib.tflib.network.Network: GLOBAL, EMPTY_TUPLE, NEWOBJ, state, BUILD.
    for name in ["dnnlib", "dnnlib.tflib", "dnnlib.tflib.network"]:
        sys.modules.setdefault(name, types.ModuleType(name))

    class Network:
        def __init__(self, state):
            self._state = state

        def __getstate__(self):
            return self._state

    Network.__module__ = "dnnlib.tflib.network"
    Network.__qualname__ = "Network"
    sys.modules["dnnlib.tflib.network"].Network = Network
    return Network


def nf(stage, fmap_base=8192, fmap_max=512):
    return min(int(fmap_base / (2.0 ** stage)), fmap_max)


def variables(resolution, rng):
    r2 = int(np.log2(resolution))
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    w_dim, mapping_layers = 512, 8
    mapping = []
    for i in range(mapping_layers):
        mapping += [(f"Dense{i}/weight", f32(512, 512)), (f"Dense{i}/bias", f32(512))]
    synthesis = [("lod", np.float32(0))]
    num_layers = 2 * r2 - 2
    for i in range(num_layers):
        res = 2 ** (i // 2 + 2)
        synthesis.append((f"noise{i}", f32(1, 1, res, res)))

    def epilogue(scope, c):
        return [(f"{scope}/Noise/weight", f32(c)), (f"{scope}/bias", f32(c)),
                (f"{scope}/StyleMod/weight", f32(w_dim, 2 * c)), (f"{scope}/StyleMod/bias", f32(2 * c))]

    c4 = nf(1)
    synthesis += [("4x4/Const/const", f32(1, c4, 4, 4))] + epilogue("4x4/Const", c4)
    synthesis += [("4x4/Conv/weight", f32(3, 3, c4, c4))] + epilogue("4x4/Conv", c4)
    synthesis += [(f"ToRGB_lod{r2 - 2}/weight", f32(1, 1, c4, 3)), (f"ToRGB_lod{r2 - 2}/bias", f32(3))]
    for r in range(3, r2 + 1):
        res, cin, c = 2 ** r, nf(r - 2), nf(r - 1)
        synthesis += [(f"{res}x{res}/Conv0_up/weight", f32(3, 3, cin, c))] + epilogue(f"{res}x{res}/Conv0_up", c)
        synthesis += [(f"{res}x{res}/Conv1/weight", f32(3, 3, c, c))] + epilogue(f"{res}x{res}/Conv1", c)
        synthesis += [(f"ToRGB_lod{r2 - r}/weight", f32(1, 1, c, 3)), (f"ToRGB_lod{r2 - r}/bias", f32(3))]
    return mapping, synthesis


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--resolution", type=int, default=1024)
    args = ap.parse_args()
    Network = make_network_class()
    rng = np.random.default_rng(0)
    kwargs = {"num_channels": 3, "resolution": args.resolution, "label_size": 0}
    mapping_vars, synthesis_vars = variables(args.resolution, rng)

    def state(name, func, variables, components):
        return {"version": 3, "name": name, "static_kwargs": dict(kwargs), "components": components,
                "build_module_src": "# official module source omitted", "build_func_name": func,
                "variables": variables}

    def generator(name):
        mapping = Network(state("G_mapping", "G_mapping", mapping_vars, {}))
        synthesis = Network(state("G_synthesis", "G_synthesis", synthesis_vars, {}))
        own = [("lod", np.float32(0)), ("dlatent_avg", rng.standard_normal(512).astype(np.float32))]
        return Network(state(name, "G_style", own, {"synthesis": synthesis, "mapping": mapping}))

    # D is not needed to inspect Gs; a small stand-in keeps the (G, D, Gs) structure.
    D = Network(state("D", "D_basic", [("dummy/weight", np.zeros(1, np.float32))], {}))
    with open(args.out, "wb") as f:
        pickle.dump((generator("G"), D, generator("Gs")), f, protocol=4)
    trainable = sum(v.size for n, v in mapping_vars + synthesis_vars if not n.startswith("noise") and n != "lod")
    print(f"wrote {args.out}: {trainable:,} trainable parameters in Gs (published FFHQ count: 26,219,627)")


if __name__ == "__main__":
    main()
