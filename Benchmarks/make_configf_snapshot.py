#!/usr/bin/env python3
"""Writes a StyleGAN2 training snapshot (G, D, G_ema, random weights) with the official
stylegan2-ada-pytorch code, for the import-speed and generation benchmarks:
config-f 1024² (about 380 MB) or ADA's paper256 (256², channel_base 16384).

usage: make_configf_snapshot.py OFFICIAL_CHECKOUT OUT.pkl [--paper256]
(run with a Python that has torch; the official code is imported from the checkout, never copied)
"""
import copy
import pickle
import sys

checkout, out = sys.argv[1], sys.argv[2]
paper256 = "--paper256" in sys.argv[3:]
sys.path.insert(0, checkout)
import torch  # noqa: E402
from training import networks  # noqa: E402

torch.manual_seed(0)
resolution, channel_base = (256, 16384) if paper256 else (1024, 32768)
common = dict(c_dim=0, img_resolution=resolution, img_channels=3)
G = networks.Generator(z_dim=512, w_dim=512, mapping_kwargs=dict(num_layers=8),
                       synthesis_kwargs=dict(channel_base=channel_base, channel_max=512, num_fp16_res=4, conv_clamp=256), **common)
D = networks.Discriminator(channel_base=channel_base, channel_max=512, num_fp16_res=4, conv_clamp=256, **common)
G_ema = copy.deepcopy(G).eval()
snapshot = dict(G=G, D=D, G_ema=G_ema, augment_pipe=None, training_set_kwargs=dict(resolution=resolution))
with open(out, "wb") as f:
    pickle.dump(snapshot, f)
print(f"wrote {out}: G has {sum(p.numel() for p in G.parameters()):,} parameters")
