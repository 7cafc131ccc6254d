#!/usr/bin/env python3
"""Writes a StyleGAN2 config-f 1024² training snapshot (G, D, G_ema, random weights, about
360 MB) with the official stylegan2-ada-pytorch code, for the import-speed benchmark.

usage: make_configf_snapshot.py OFFICIAL_CHECKOUT OUT.pkl
(run with a Python that has torch; the official code is imported from the checkout, never copied)
"""
import copy
import pickle
import sys

checkout, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, checkout)
import torch  # noqa: E402
from training import networks  # noqa: E402

torch.manual_seed(0)
common = dict(c_dim=0, img_resolution=1024, img_channels=3)
G = networks.Generator(z_dim=512, w_dim=512, mapping_kwargs=dict(num_layers=8),
                       synthesis_kwargs=dict(channel_base=32768, channel_max=512, num_fp16_res=4, conv_clamp=256), **common)
D = networks.Discriminator(channel_base=32768, channel_max=512, num_fp16_res=4, conv_clamp=256, **common)
G_ema = copy.deepcopy(G).eval()
snapshot = dict(G=G, D=D, G_ema=G_ema, augment_pipe=None, training_set_kwargs=dict(resolution=1024))
with open(out, "wb") as f:
    pickle.dump(snapshot, f)
print(f"wrote {out}: G has {sum(p.numel() for p in G.parameters()):,} parameters")
