#!/usr/bin/env python3
"""Builds small official-format StyleGAN fixtures with the OFFICIAL NVlabs code.

    python make_fixtures.py --ada /path/to/stylegan2-ada-pytorch [--sg3 /path/to/stylegan3] [--out DIR]

The official code is imported from the checkout given on the command line; it is never copied
into this repository. For every fixture the script

  * builds a generator with `training.networks.Generator` (as `train.py` configures it: an
    EasyDict of kwargs through `dnnlib.util.construct_class_by_name`), randomises EVERY parameter
    and buffer that enters the computation (weights, biases, noise strengths, `noise_const`,
    `w_avg`, affine biases around 1, the constant input) so that no term is zero by accident;
  * writes the pickle exactly as `training/training_loop.py` writes a snapshot: a dict
    `training_set_kwargs, G, D, G_ema, augment_pipe` of `copy.deepcopy(m).eval()
    .requires_grad_(False).cpu()` modules, `pickle.dump`ed, the only change being that each
    persistent object's `module_src` is a one-line comment instead of tens of KB of Python;
    G (the training copy) differs slightly from G_ema, buffers are shared as EMA training leaves them;
  * re-loads the pickle with the official `legacy.load_network_pkl` (an official
    `persistence.import_hook` restores the module source) and runs the official forward passes
    on CPU in float32, writing HDF5 goldens and the official intermediate activations
    (forward hooks), named like our graph nodes (`act/<node>`);
  * records everything in `manifest.json`.

See README.md beside this file for the list of outputs.
"""

import argparse
import copy
import hashlib
import io
import json
import os
import pickle
import platform
import subprocess
import sys

import numpy as np

N = 4                    # latents per golden
Z_SEED = 123             # z = np.random.RandomState(123).randn(N, z_dim)
C_SEED = 321             # classes for conditional fixtures
OMITTED = '# module source omitted from this fixture: {}\n'

# ---------------------------------------------------------------------------------------------
# Fixture table (StyleGAN2-ADA).

ADA_FIXTURES = [
    dict(name='ada-orig-32', seed=1001, z_dim=32, w_dim=32, c_dim=0, res=32, img_channels=3,
         synthesis=dict(channel_base=128, channel_max=32, architecture='orig'),
         mapping=dict(num_layers=2),
         note='architecture orig (ToRGB only in the last block)'),
    dict(name='ada-resnet-32', seed=1002, z_dim=48, w_dim=32, c_dim=0, res=32, img_channels=3,
         synthesis=dict(channel_base=128, channel_max=32, architecture='resnet'),
         mapping=dict(num_layers=2),
         note='architecture resnet (1x1 up-sampling skip convolutions, gain sqrt(0.5)); z_dim 48 != w_dim'),
    dict(name='ada-cond-skip-16', seed=1003, z_dim=32, w_dim=32, c_dim=5, res=16, img_channels=3,
         synthesis=dict(channel_base=128, channel_max=32, architecture='skip'),
         mapping=dict(num_layers=2),
         note='conditional, c_dim 5 (labels: one-hot of random classes, dataset c); architecture skip'),
    dict(name='ada-gray-clamp-16', seed=1004, z_dim=32, w_dim=32, c_dim=0, res=16, img_channels=1,
         synthesis=dict(channel_base=128, channel_max=16, architecture='skip', conv_clamp=0.5),
         mapping=dict(num_layers=2),
         note='one image channel; conv_clamp 0.5 so that clamping really happens (fractions in the manifest)'),
    dict(name='ada-fp16-32', seed=1005, z_dim=32, w_dim=32, c_dim=0, res=32, img_channels=3,
         synthesis=dict(channel_base=128, channel_max=32, architecture='skip', num_fp16_res=2, conv_clamp=256),
         mapping=dict(num_layers=2),
         note='num_fp16_res 2 (blocks 16 and 32 use_fp16) and conv_clamp 256 as train.py sets them; '
              'run with force_fp32=True (CPU), so the goldens are float32'),
    dict(name='ada-map5-lr01-16', seed=1006, z_dim=64, w_dim=32, c_dim=0, res=16, img_channels=3,
         synthesis=dict(channel_base=128, channel_max=32, architecture='skip'),
         mapping=dict(num_layers=5, lr_multiplier=0.1, layer_features=48),
         note='mapping: 5 layers, lr_multiplier 0.1, hidden width 48 (layer_features), z_dim 64 != w_dim 32'),
]

# Extra files for the pickle reader: protocol re-dumps of one fixture's snapshot dict, a
# channels_last copy of the fp16 fixture (train.py --nhwc) and a torch.save zip checkpoint.
PROTOCOL_SOURCE = 'ada-gray-clamp-16'
PROTOCOLS = [2, 3, 4, 5]
MAIN_PROTOCOL = 4        # pickle.DEFAULT_PROTOCOL of Python 3.8-3.13 (what SG3-era snapshots use)
NHWC_SOURCE = 'ada-fp16-32'


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def tensor_sha(t):
    """sha256 of float32 little-endian C-order bytes."""
    a = np.ascontiguousarray(t.detach().cpu().numpy().astype('<f4'))
    return sha256(a.tobytes())


def jsonable(v):
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    return v


# ---------------------------------------------------------------------------------------------
# Official code and its persistence.

class Official:
    """The official modules, imported from the checkout."""

    def __init__(self, root):
        root = os.path.abspath(root)
        if not os.path.isfile(os.path.join(root, 'legacy.py')):
            sys.exit(f'{root}: not a NVlabs checkout (no legacy.py)')
        sys.path.insert(0, root)
        import torch
        import dnnlib
        import legacy
        from torch_utils import persistence
        self.root = root
        self.torch = torch
        self.dnnlib = dnnlib
        self.legacy = legacy
        self.persistence = persistence
        self.commit = git_commit(root)
        self.sources = {}            # comment -> real module source

    def import_networks(self, module):
        import importlib
        m = importlib.import_module(module)
        self.omit_sources()
        return m

    def omit_sources(self):
        """Every persistent class pickles a one-line comment as its module_src; an official
        import hook gives the loader the real source back."""
        for cls in list(self.persistence._decorators):
            src = cls._orig_module_src
            if src.startswith('# module source omitted'):
                continue
            base = cls.__mro__[1]
            comment = OMITTED.format(base.__module__.replace('.', '/') + '.py')
            self.sources[comment] = src
            cls._orig_module_src = comment
        if not getattr(self, '_hooked', False):
            sources = self.sources

            def restore_source(meta):
                meta.module_src = sources.get(meta.module_src, meta.module_src)
                return meta
            self.persistence.import_hook(restore_source)
            self._hooked = True

    def load(self, path):
        with open(path, 'rb') as f:
            return self.legacy.load_network_pkl(f)


def git_commit(path):
    try:
        return subprocess.check_output(['git', '-C', path, 'rev-parse', 'HEAD'], text=True,
                                       stderr=subprocess.DEVNULL).strip()
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# Randomisation.

def randomize_stylegan2(torch, G, seed):
    """Sets every parameter and every buffer that enters the computation of a
    stylegan2-ada-pytorch Generator; fails if one is left as initialised."""
    gen = torch.Generator().manual_seed(seed)

    def randn(t, scale=1.0, mean=0.0):
        return torch.randn(t.shape, generator=gen) * scale + mean

    done = set()
    with torch.no_grad():
        for mname, m in G.named_modules():
            cls = type(m).__name__
            prefix = mname + '.' if mname else ''
            if cls == 'FullyConnectedLayer':
                lr = float(m.bias_gain)
                m.weight.copy_(randn(m.weight) / lr)                   # as initialised: randn / lr
                done.add(prefix + 'weight')
                if m.bias is not None:
                    if mname.endswith('affine'):
                        m.bias.copy_(randn(m.bias, 0.25, 1.0))         # bias_init=1: styles around 1
                    else:
                        m.bias.copy_(randn(m.bias, 0.3) / lr)          # effective bias 0.3·randn
                    done.add(prefix + 'bias')
            elif cls in ('SynthesisLayer', 'ToRGBLayer', 'Conv2dLayer'):
                m.weight.copy_(randn(m.weight))
                done.add(prefix + 'weight')
                if getattr(m, 'bias', None) is not None:
                    m.bias.copy_(randn(m.bias, 0.3))
                    done.add(prefix + 'bias')
                if cls == 'SynthesisLayer' and m.use_noise:
                    m.noise_strength.copy_(randn(m.noise_strength, 0.3))
                    m.noise_const.copy_(randn(m.noise_const))
                    done.update([prefix + 'noise_strength', prefix + 'noise_const'])
            elif cls == 'SynthesisBlock' and hasattr(m, 'const'):
                m.const.copy_(randn(m.const))
                done.add(prefix + 'const')
            elif cls == 'MappingNetwork' and hasattr(m, 'w_avg'):
                m.w_avg.copy_(randn(m.w_avg, 0.5))
                done.add(prefix + 'w_avg')
    names = [n for n, _ in G.named_parameters()] + [n for n, b in G.named_buffers() if b is not None]
    missing = [n for n in names if n not in done and not n.endswith('resample_filter')]
    assert not missing, f'not randomised: {missing}'


def randomize_all(torch, module, seed, scale=0.5):
    """Every parameter of a module that is never run here (the discriminator)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in module.named_parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * scale)


def training_copy(torch, G_ema, seed):
    """G as the training loop leaves it beside G_ema: different parameters (G_ema is their moving
    average), the same buffers (copied from G to G_ema every step)."""
    G = copy.deepcopy(G_ema)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in G.named_parameters():
            p.add_(torch.randn(p.shape, generator=gen) * (0.05 * float(p.abs().mean()) + 1e-3))
    return G


# ---------------------------------------------------------------------------------------------
# Pickles.

def snapshot(torch, G, D, G_ema, training_set_kwargs, order):
    """`training_loop.py`: copy.deepcopy(module).eval().requires_grad_(False).cpu()."""
    modules = dict(G=G, D=D, G_ema=G_ema, augment_pipe=None)
    data = {}
    for key in order:
        if key == 'training_set_kwargs':
            data[key] = dict(training_set_kwargs)
        else:
            m = modules[key]
            data[key] = None if m is None else copy.deepcopy(m).eval().requires_grad_(False).cpu()
    return data


def write_pickle(path, data, protocol):
    buf = io.BytesIO()
    pickle.dump(data, buf, protocol=protocol)
    b = buf.getvalue()
    assert b'module source omitted' in b and b'import torch' not in b, 'module source left in the pickle'
    with open(path, 'wb') as f:
        f.write(b)
    return b


def training_set_kwargs_for(name, res, c_dim):
    # train.py: EasyDict(class_name, path, use_labels, max_size, xflip), then resolution,
    # use_labels and max_size made explicit; the loop stores dict(training_set_kwargs).
    return dict(class_name='training.dataset.ImageFolderDataset', path=f'~/datasets/{name}.zip',
                use_labels=c_dim > 0, max_size=1000, xflip=False, resolution=res)


# ---------------------------------------------------------------------------------------------
# Goldens.

def write_h5(path, datasets, attrs):
    import h5py
    with h5py.File(path, 'w') as f:
        for k, v in attrs.items():
            f.attrs[k] = v
        for name, (array, description) in datasets.items():
            a = np.ascontiguousarray(np.asarray(array, dtype=np.float32))
            d = f.create_dataset(name, data=a)
            d.attrs['description'] = description


def capture_activations(torch, G, arch):
    """Forward hooks on the official modules; names are our graph's node names."""
    acts = {}
    handles = []

    def keep(name, pick=None):
        def hook(module, inputs, output):
            o = output if pick is None else output[pick]
            # Clone: the official code later updates some outputs in place (resnet y.add_(x)).
            acts[name] = o.detach().to(torch.float32).clone().contiguous()
        return hook

    mapping = G.mapping
    if G.c_dim > 0:
        handles.append(mapping.embed.register_forward_hook(keep('mapping.embed')))
    for i in range(mapping.num_layers):
        handles.append(getattr(mapping, f'fc{i}').register_forward_hook(keep(f'mapping.fc{i}')))
    for res in G.synthesis.block_resolutions:
        block = getattr(G.synthesis, f'b{res}')
        for layer in ('conv0', 'conv1', 'torgb'):
            if hasattr(block, layer):
                m = getattr(block, layer)
                handles.append(m.affine.register_forward_hook(keep(f'b{res}.{layer}.affine')))
                handles.append(m.register_forward_hook(keep(f'b{res}.{layer}')))
        if hasattr(block, 'skip'):
            handles.append(block.skip.register_forward_hook(keep(f'b{res}.skip.act')))
        if arch == 'resnet' and res > 4:
            handles.append(block.register_forward_hook(keep(f'b{res}.add', 0)))
        if arch == 'skip' and res > 4:
            handles.append(block.register_forward_hook(keep(f'b{res}.img', 1)))
    return acts, handles


def activation_description(name):
    if name.startswith('mapping.embed'):
        return 'official MappingNetwork.embed (FullyConnectedLayer) output, before normalize_2nd_moment, [N, w_dim]'
    if name.startswith('mapping.fc'):
        return 'official mapping FullyConnectedLayer output (after lrelu and gain), [N, features]'
    if name.endswith('.affine'):
        return 'official affine FullyConnectedLayer output = styles before any gain (ToRGB multiplies by 1/sqrt(C) later), [N, in_channels]'
    if name.endswith('.torgb'):
        return 'official ToRGBLayer output (bias, clamp), [N, img_channels, R, R]'
    if name.endswith('.skip.act'):
        return 'official resnet skip Conv2dLayer output (1x1 up-conv, gain sqrt(0.5)), [N, C, R, R]'
    if name.endswith('.add'):
        return 'official resnet SynthesisBlock x output: skip + conv1 (both scaled by sqrt(0.5)), [N, C, R, R]'
    if name.endswith('.img'):
        return 'official skip-architecture SynthesisBlock img output: upsample2d(previous img) + torgb, [N, img_channels, R, R]'
    return 'official SynthesisLayer output (modulated conv, const noise, bias, lrelu, gain, clamp), [N, C, R, R]'


def run_goldens(torch, G, spec, z_np, c_np):
    """Official forward passes (CPU, float32) -> {dataset: (array, description)}."""
    arch = spec['synthesis'].get('architecture', 'skip')
    z = torch.from_numpy(z_np)
    c = torch.from_numpy(c_np)
    kw = dict(force_fp32=True)
    out = {}
    out['z'] = (z_np, f'latents, float32 [N, z_dim], np.random.RandomState({Z_SEED}).randn(N, z_dim)')
    out['c'] = (c_np, 'class labels, float32 [N, c_dim] (one-hot of np.random.RandomState(%d).randint(c_dim, size=N); c_dim may be 0)' % C_SEED)
    with torch.no_grad():
        ws1 = G.mapping(z, c)
        ws07 = G.mapping(z, c, truncation_psi=0.7)
        ws05c4 = G.mapping(z, c, truncation_psi=0.5, truncation_cutoff=4)
        out['ws_psi1'] = (ws1.numpy(), 'G.mapping(z, c), truncation_psi=1, [N, num_ws, w_dim]')
        out['ws_psi07'] = (ws07.numpy(), 'G.mapping(z, c, truncation_psi=0.7) (no cutoff), [N, num_ws, w_dim]')
        out['ws_psi05_cut4'] = (ws05c4.numpy(), 'G.mapping(z, c, truncation_psi=0.5, truncation_cutoff=4): only the first 4 W vectors truncated')

        acts, handles = capture_activations(torch, G, arch)
        img1 = G(z, c, truncation_psi=1, noise_mode='const', **kw)
        for h in handles:
            h.remove()
        out['img_const_psi1'] = (img1.numpy(), 'G(z, c, truncation_psi=1, noise_mode=const (the stored noise_const buffers), force_fp32=True), float32 NCHW')
        out['img_const_psi07'] = (G(z, c, truncation_psi=0.7, noise_mode='const', **kw).numpy(),
                                  'G(z, c, truncation_psi=0.7, noise_mode=const)')
        out['img_const_psi05_cut4'] = (G(z, c, truncation_psi=0.5, truncation_cutoff=4, noise_mode='const', **kw).numpy(),
                                       'G(z, c, truncation_psi=0.5, truncation_cutoff=4, noise_mode=const)')
        out['img_none_psi1'] = (G(z, c, truncation_psi=1, noise_mode='none', **kw).numpy(),
                                'G(z, c, truncation_psi=1, noise_mode=none) (no noise added)')
        mixed = ws1[:1].clone()
        mixed[:, :2] = ws1[1:2, :2]
        out['ws_mixed'] = (mixed.numpy(), 'style mixing: ws_psi1[0] with its first 2 rows taken from ws_psi1[1], [1, num_ws, w_dim]')
        out['img_mixed_const'] = (G.synthesis(mixed, noise_mode='const', **kw).numpy(),
                                  'G.synthesis(ws_mixed, noise_mode=const)')
    assert torch.equal(acts[f'mapping.fc{G.mapping.num_layers - 1}'], ws1[:, 0]), 'hooks saw another run'
    for name in sorted(acts):
        out['act/' + name] = (acts[name].numpy(), activation_description(name) + '; run: z, c, psi 1, noise_mode=const')
    return out, acts


# ---------------------------------------------------------------------------------------------
# Manifest entries.

def generator_config(G, spec):
    syn = G.synthesis
    channels = {str(r): int(getattr(syn, f'b{r}').conv1.weight.shape[0]) for r in syn.block_resolutions}
    fp16 = [r for r in syn.block_resolutions if getattr(syn, f'b{r}').use_fp16]
    clamp = getattr(syn, f'b{syn.block_resolutions[0]}').conv1.conv_clamp
    return dict(
        family='StyleGAN2-ADA', z_dim=G.z_dim, w_dim=G.w_dim, c_dim=G.c_dim, num_ws=G.num_ws,
        resolution=G.img_resolution, img_channels=G.img_channels,
        architecture=getattr(syn, f'b{syn.block_resolutions[0]}').architecture,
        mapping_layers=G.mapping.num_layers, mapping_lr_multiplier=float(G.mapping.fc0.bias_gain),
        mapping_layer_features=int(G.mapping.fc0.weight.shape[0]),
        channels=channels, conv_clamp=clamp, fp16_resolutions=fp16, resample_filter=[1, 3, 3, 1],
        parameters=sum(p.numel() for p in G.parameters()),
        buffers=sum(b.numel() for b in G.buffers()),
    )


def named_tensor_list(G):
    names = ['mapping.fc0.weight', f'mapping.fc{G.mapping.num_layers - 1}.bias', 'mapping.w_avg',
             'synthesis.b4.const', 'synthesis.b4.conv1.weight', 'synthesis.b4.conv1.noise_strength',
             'synthesis.b8.conv0.weight', 'synthesis.b8.conv0.affine.bias', 'synthesis.b8.conv0.noise_const']
    last = G.img_resolution
    names += [f'synthesis.b{last}.conv0.weight', f'synthesis.b{last}.conv1.weight', f'synthesis.b{last}.conv1.noise_const',
              f'synthesis.b{last}.torgb.weight', f'synthesis.b{last}.torgb.bias', f'synthesis.b{last}.torgb.affine.weight']
    sd = G.state_dict()
    if 'mapping.embed.weight' in sd:
        names += ['mapping.embed.weight', 'mapping.embed.bias']
    if f'synthesis.b{last}.skip.weight' in sd:
        names += [f'synthesis.b8.skip.weight', f'synthesis.b{last}.skip.weight']
    return names


def tensor_entries(G, names):
    sd = G.state_dict()
    out = {}
    for n in names:
        t = sd[n]
        out[n] = dict(shape=list(t.shape), dtype='float32', sha256=tensor_sha(t),
                      stride=list(t.stride()), contiguous=bool(t.is_contiguous()))
    return out


def clamp_stats(acts, clamp):
    """How many SynthesisLayer / ToRGB outputs sit exactly at the clamp."""
    if clamp is None:
        return None
    stats = {}
    for name, a in acts.items():
        if name.endswith('.affine') or name.startswith('mapping') or name.endswith('.img'):
            continue
        limit = clamp
        x = a.numpy()
        stats[name] = float(np.mean(np.isclose(np.abs(x), limit, rtol=0, atol=1e-7)))
    return stats


# ---------------------------------------------------------------------------------------------

def make_ada(args, out_dir):
    off = Official(args.ada)
    torch = off.torch
    torch.set_grad_enabled(False)
    torch.use_deterministic_algorithms(True)
    off.import_networks('training.networks')
    dnnlib = off.dnnlib

    manifest = dict(fixtures={}, extra={})
    goldens_by_name = {}
    live = {}
    for spec in ADA_FIXTURES:
        name = spec['name']
        print(f'[{name}] building', flush=True)
        torch.manual_seed(spec['seed'])
        G_kwargs = dnnlib.EasyDict(class_name='training.networks.Generator', z_dim=spec['z_dim'], w_dim=spec['w_dim'],
                                   mapping_kwargs=dnnlib.EasyDict(spec['mapping']),
                                   synthesis_kwargs=dnnlib.EasyDict(spec['synthesis']))
        D_kwargs = dnnlib.EasyDict(class_name='training.networks.Discriminator', block_kwargs=dnnlib.EasyDict(),
                                   mapping_kwargs=dnnlib.EasyDict(), epilogue_kwargs=dnnlib.EasyDict(mbstd_group_size=4),
                                   channel_base=64, channel_max=8,
                                   num_fp16_res=spec['synthesis'].get('num_fp16_res', 0),
                                   conv_clamp=spec['synthesis'].get('conv_clamp', None))
        common_kwargs = dict(c_dim=spec['c_dim'], img_resolution=spec['res'], img_channels=spec['img_channels'])
        G_ema = dnnlib.util.construct_class_by_name(**G_kwargs, **common_kwargs).eval().requires_grad_(False)
        D = dnnlib.util.construct_class_by_name(**D_kwargs, **common_kwargs).train().requires_grad_(False)
        randomize_stylegan2(torch, G_ema, spec['seed'])
        randomize_all(torch, D, spec['seed'] + 500)
        G = training_copy(torch, G_ema, spec['seed'] + 700).train()
        tsk = training_set_kwargs_for(name, spec['res'], spec['c_dim'])
        data = snapshot(torch, G, D, G_ema, tsk, ['training_set_kwargs', 'G', 'D', 'G_ema', 'augment_pipe'])
        pkl_path = os.path.join(out_dir, f'{name}.pkl')
        raw = write_pickle(pkl_path, data, MAIN_PROTOCOL)

        # Everything below runs on what the official loader reads back from the file.
        loaded = off.load(pkl_path)
        G_file = loaded['G_ema']
        assert not torch.equal(loaded['G'].synthesis.b4.conv1.weight, G_file.synthesis.b4.conv1.weight)
        z_np = np.random.RandomState(Z_SEED).randn(N, spec['z_dim']).astype(np.float32)
        c_np = np.zeros([N, spec['c_dim']], dtype=np.float32)
        if spec['c_dim'] > 0:
            classes = np.random.RandomState(C_SEED).randint(spec['c_dim'], size=N)
            c_np[np.arange(N), classes] = 1
        datasets, acts = run_goldens(torch, G_file, spec, z_np, c_np)
        golden_path = os.path.join(out_dir, f'{name}.golden.h5')
        write_h5(golden_path, datasets, {
            'source': 'official NVlabs stylegan2-ada-pytorch code (%s), PyTorch %s CPU, float32' % (off.commit, torch.__version__),
            'fixture': name, 'script': 'Fixtures/official-code/make_fixtures.py'})
        goldens_by_name[name] = datasets
        live[name] = (G_file, loaded, spec, tsk)

        cfg = generator_config(G_file, spec)
        entry = dict(file=f'{name}.pkl', golden=f'{name}.golden.h5', kind='nvlabs-torch-pickle', network='G_ema',
                     protocol=MAIN_PROTOCOL, bytes=len(raw), sha256=sha256(raw), note=spec['note'],
                     top_level_keys=list(data.keys()), G_differs_from_G_ema=True, **cfg)
        entry['tensors'] = tensor_entries(G_file, named_tensor_list(G_file))
        stats = clamp_stats(acts, cfg['conv_clamp'])
        if stats is not None and cfg['conv_clamp'] < 10:
            entry['clamped_fraction'] = stats
            assert max(stats.values()) > 0.05, 'conv_clamp never reached'
        entry['golden_datasets'] = sorted(datasets)
        manifest['fixtures'][name] = entry
        print(f'[{name}] {len(raw)} bytes, {cfg["parameters"]} parameters, {len(datasets)} datasets', flush=True)

    # Protocol re-dumps of one snapshot (the dict the official loader returned, re-dumped).
    G_src, loaded, spec, tsk = live[PROTOCOL_SOURCE]
    src_entry = manifest['fixtures'][PROTOCOL_SOURCE]
    for p in PROTOCOLS:
        fname = f'{PROTOCOL_SOURCE}.p{p}.pkl'
        path = os.path.join(out_dir, fname)
        data = {k: loaded[k] for k in src_entry['top_level_keys']}
        raw = write_pickle(path, data, p)
        back = off.load(path)['G_ema']
        for n, t in back.state_dict().items():
            assert torch.equal(t, G_src.state_dict()[n]), (fname, n)
        e = {k: v for k, v in src_entry.items() if k not in ('file', 'bytes', 'sha256', 'protocol', 'note', 'clamped_fraction', 'golden_datasets')}
        e.update(file=fname, protocol=p, bytes=len(raw), sha256=sha256(raw), golden=src_entry['golden'],
                 note=f'{PROTOCOL_SOURCE}.pkl re-dumped with pickle.dump(..., protocol={p})')
        manifest['fixtures'][fname[:-4]] = e

    # channels_last: the fp16 fixture rebuilt as train.py --nhwc builds it (fp16_channels_last:
    # the weights of the fp16 blocks are created channels_last), same values copied in.
    G_src, loaded, spec, tsk = live[NHWC_SOURCE]
    name = NHWC_SOURCE.replace('-32', '-nhwc-32')
    G_kwargs = dnnlib.EasyDict(G_src.init_kwargs)
    G_kwargs.synthesis_kwargs = dnnlib.EasyDict(G_kwargs.synthesis_kwargs, fp16_channels_last=True)
    D_kwargs_from = loaded['D']
    G_nhwc = type(G_src)(*G_src.init_args, **G_kwargs).eval().requires_grad_(False)
    G_nhwc_train = type(G_src)(*G_src.init_args, **G_kwargs).train().requires_grad_(False)
    with torch.no_grad():
        for dst, src in [(G_nhwc, G_src), (G_nhwc_train, loaded['G'])]:
            for (n, a), (m, b) in zip(list(dst.named_parameters()) + list(dst.named_buffers()),
                                      list(src.named_parameters()) + list(src.named_buffers())):
                assert n == m
                a.copy_(b)          # copy_ keeps dst's memory format
    nonc = [n for n, p in G_nhwc.named_parameters() if not p.is_contiguous()]
    assert nonc, 'no channels_last weight'
    data = snapshot(torch, G_nhwc_train, D_kwargs_from, G_nhwc, tsk, ['training_set_kwargs', 'G', 'D', 'G_ema', 'augment_pipe'])
    path = os.path.join(out_dir, f'{name}.pkl')
    raw = write_pickle(path, data, MAIN_PROTOCOL)
    back = off.load(path)['G_ema']
    assert any(not p.is_contiguous() for p in back.parameters()), 'channels_last lost on the way'
    z = torch.from_numpy(goldens_by_name[NHWC_SOURCE]['z'][0])
    c = torch.from_numpy(goldens_by_name[NHWC_SOURCE]['c'][0])
    img = back(z, c, noise_mode='const', force_fp32=True).numpy()
    err = float(np.abs(img - goldens_by_name[NHWC_SOURCE]['img_const_psi1'][0]).max())
    assert err < 1e-5, f'channels_last copy differs from the golden by {err}'
    src_entry = manifest['fixtures'][NHWC_SOURCE]
    e = {k: v for k, v in src_entry.items() if k not in ('file', 'bytes', 'sha256', 'note', 'tensors', 'clamped_fraction', 'golden_datasets')}
    e.update(file=f'{name}.pkl', bytes=len(raw), sha256=sha256(raw), golden=src_entry['golden'],
             note=f'{NHWC_SOURCE} rebuilt with synthesis_kwargs.fp16_channels_last=True (train.py --nhwc): the weights of '
                  f'the fp16 blocks are channels_last (non-contiguous strides) in the pickle; same values, so '
                  f'{NHWC_SOURCE}.golden.h5 applies (official forward max |diff| {err:.1e})',
             channels_last_tensors=nonc)
    names = named_tensor_list(back) + [n for n in nonc if n not in named_tensor_list(back)]
    e['tensors'] = tensor_entries(back, names)
    for n in src_entry['tensors']:
        assert e['tensors'][n]['sha256'] == src_entry['tensors'][n]['sha256'], n
    manifest['fixtures'][name] = e

    # torch.save(G_ema.state_dict()) zip checkpoint (of the channels_last generator, so the zip
    # path meets non-contiguous strides too).
    pt = f'{name}.G_ema.pt'
    sd = back.state_dict()
    torch.save(sd, os.path.join(out_dir, pt))
    reread = torch.load(os.path.join(out_dir, pt), weights_only=True)
    assert list(reread) == list(sd)
    with open(os.path.join(out_dir, pt), 'rb') as f:
        raw = f.read()
    manifest['extra'][pt] = dict(
        file=pt, kind='torch-zip-state-dict', source=f'{name}.pkl G_ema', bytes=len(raw), sha256=sha256(raw),
        note='torch.save(G_ema.state_dict(), path) (zip format); tensors in state_dict order, some channels_last',
        parameters=e['parameters'],
        tensor_names=list(sd.keys()),
        tensors={n: dict(shape=list(t.shape), dtype='float32', sha256=tensor_sha(t), stride=list(t.stride()),
                         contiguous=bool(t.is_contiguous())) for n, t in sd.items()})

    manifest['ada_source'] = dict(repository='NVlabs/stylegan2-ada-pytorch', commit=off.commit)
    manifest['torch'] = torch.__version__
    return manifest


# ---------------------------------------------------------------------------------------------
# StyleGAN3 (run in a separate process: its checkout has modules of the same names).

SG3_FIXTURES = [
    dict(name='sg3-t-16', seed=3001, z_dim=32, w_dim=32, c_dim=0, res=16, img_channels=3,
         G=dict(channel_base=64, channel_max=8, magnitude_ema_beta=0.999), note='StyleGAN3-T (conv_kernel 3)'),
    dict(name='sg3-r-16', seed=3002, z_dim=32, w_dim=32, c_dim=0, res=16, img_channels=3,
         G=dict(channel_base=128, channel_max=16, conv_kernel=1, use_radial_filters=True, magnitude_ema_beta=0.999),
         note='StyleGAN3-R (conv_kernel 1, radial filters; channel_base/max doubled as train.py does)'),
]


def randomize_stylegan3(torch, G, seed):
    gen = torch.Generator().manual_seed(seed)

    def randn(t, scale=1.0, mean=0.0):
        return torch.randn(t.shape, generator=gen) * scale + mean

    done = set()
    with torch.no_grad():
        for mname, m in G.named_modules():
            cls = type(m).__name__
            prefix = mname + '.' if mname else ''
            if cls == 'FullyConnectedLayer':
                lr = float(m.bias_gain)
                if mname.endswith('input.affine'):
                    # weight_init 0, bias [1,0,0,0] (identity transform): a small random transform.
                    m.weight.copy_(randn(m.weight, 0.2))
                    m.bias.copy_(torch.tensor([1, 0, 0, 0], dtype=torch.float32) + randn(m.bias, 0.1))
                else:
                    m.weight.copy_(randn(m.weight) / lr)
                    if m.bias is not None:
                        m.bias.copy_(randn(m.bias, 0.25, 1.0) if mname.endswith('affine') else randn(m.bias, 0.3) / lr)
                done.update([prefix + 'weight', prefix + 'bias'])
            elif cls == 'SynthesisInput':
                m.weight.copy_(randn(m.weight))
                m.freqs.copy_(randn(m.freqs) * m.bandwidth / np.sqrt(2))   # as initialised, redrawn
                m.phases.copy_(torch.rand(m.phases.shape, generator=gen) - 0.5)
                a = float(torch.rand([], generator=gen)) * 0.5
                tx, ty = (torch.rand([2], generator=gen) - 0.5).tolist()
                m.transform.copy_(torch.tensor([[np.cos(a), np.sin(a), tx], [-np.sin(a), np.cos(a), ty], [0, 0, 1]], dtype=torch.float32))
                done.update(prefix + n for n in ('weight', 'freqs', 'phases', 'transform'))
            elif cls == 'SynthesisLayer':
                m.weight.copy_(randn(m.weight))
                m.bias.copy_(randn(m.bias, 0.3))
                m.magnitude_ema.copy_(torch.rand([], generator=gen) * 1.5 + 0.25)
                done.update(prefix + n for n in ('weight', 'bias', 'magnitude_ema'))
            elif cls == 'MappingNetwork':
                m.w_avg.copy_(randn(m.w_avg, 0.5))
                done.add(prefix + 'w_avg')
    names = [n for n, _ in G.named_parameters()] + [n for n, b in G.named_buffers() if b is not None]
    missing = [n for n in names if n not in done and not (n.endswith('up_filter') or n.endswith('down_filter'))]
    assert not missing, f'not randomised: {missing}'


def make_sg3(args, out_dir):
    off = Official(args.sg3)
    torch = off.torch
    torch.set_grad_enabled(False)
    off.import_networks('training.networks_stylegan3')
    off.import_networks('training.networks_stylegan2')
    dnnlib = off.dnnlib
    result = {}
    for spec in SG3_FIXTURES:
        name = spec['name']
        print(f'[{name}] building', flush=True)
        torch.manual_seed(spec['seed'])
        G_kwargs = dnnlib.EasyDict(class_name='training.networks_stylegan3.Generator', z_dim=spec['z_dim'], w_dim=spec['w_dim'],
                                   mapping_kwargs=dnnlib.EasyDict(num_layers=2), **spec['G'])
        D_kwargs = dnnlib.EasyDict(class_name='training.networks_stylegan2.Discriminator', block_kwargs=dnnlib.EasyDict(),
                                   mapping_kwargs=dnnlib.EasyDict(), epilogue_kwargs=dnnlib.EasyDict(mbstd_group_size=4),
                                   channel_base=64, channel_max=8)
        common_kwargs = dict(c_dim=spec['c_dim'], img_resolution=spec['res'], img_channels=spec['img_channels'])
        G_ema = dnnlib.util.construct_class_by_name(**G_kwargs, **common_kwargs).eval().requires_grad_(False)
        D = dnnlib.util.construct_class_by_name(**D_kwargs, **common_kwargs).train().requires_grad_(False)
        randomize_stylegan3(torch, G_ema, spec['seed'])
        randomize_all(torch, D, spec['seed'] + 500)
        G = training_copy(torch, G_ema, spec['seed'] + 700).train()
        tsk = training_set_kwargs_for(name, spec['res'], spec['c_dim'])
        # stylegan3 training_loop.py: dict(G=G, D=D, G_ema=G_ema, augment_pipe=..., training_set_kwargs=...).
        data = snapshot(torch, G, D, G_ema, tsk, ['G', 'D', 'G_ema', 'augment_pipe', 'training_set_kwargs'])
        path = os.path.join(out_dir, f'{name}.pkl')
        raw = write_pickle(path, data, MAIN_PROTOCOL)
        loaded = off.load(path)
        Gf = loaded['G_ema']
        z_np = np.random.RandomState(Z_SEED).randn(N, spec['z_dim']).astype(np.float32)
        c_np = np.zeros([N, spec['c_dim']], dtype=np.float32)
        z, c = torch.from_numpy(z_np), torch.from_numpy(c_np)
        ws1 = Gf.mapping(z, c)
        datasets = {
            'z': (z_np, f'latents, float32 [N, z_dim], np.random.RandomState({Z_SEED}).randn(N, z_dim)'),
            'c': (c_np, 'class labels [N, 0] (unconditional)'),
            'ws_psi1': (ws1.numpy(), 'G.mapping(z, c), truncation_psi=1, [N, num_ws, w_dim]'),
            'ws_psi07': (Gf.mapping(z, c, truncation_psi=0.7).numpy(), 'G.mapping(z, c, truncation_psi=0.7)'),
            'img_const_psi1': (Gf(z, c, noise_mode='const', force_fp32=True).numpy(),
                               'G(z, c, truncation_psi=1, force_fp32=True); StyleGAN3 has no noise inputs'),
            'img_const_psi07': (Gf(z, c, truncation_psi=0.7, noise_mode='const', force_fp32=True).numpy(),
                                'G(z, c, truncation_psi=0.7, force_fp32=True)'),
        }
        golden = f'{name}.golden.h5'
        write_h5(os.path.join(out_dir, golden), datasets, {
            'source': 'official NVlabs stylegan3 code (%s), PyTorch %s CPU, float32' % (off.commit, torch.__version__),
            'fixture': name, 'script': 'Fixtures/official-code/make_fixtures.py'})
        syn = Gf.synthesis
        sd = Gf.state_dict()
        tnames = ['mapping.fc0.weight', 'mapping.w_avg', 'synthesis.input.weight', 'synthesis.input.freqs',
                  'synthesis.input.transform', 'synthesis.input.affine.weight']
        tnames += [n for n in sd if n.startswith(f'synthesis.{syn.layer_names[0]}.') or n.startswith(f'synthesis.{syn.layer_names[-1]}.')]
        e = dict(file=f'{name}.pkl', golden=golden, kind='nvlabs-torch-pickle', network='G_ema', protocol=MAIN_PROTOCOL,
                 bytes=len(raw), sha256=sha256(raw), note=spec['note'] + '; goldens for later (the runtime cannot run StyleGAN3 yet)',
                 top_level_keys=list(data.keys()), G_differs_from_G_ema=True,
                 family='StyleGAN3', z_dim=Gf.z_dim, w_dim=Gf.w_dim, c_dim=Gf.c_dim, num_ws=Gf.num_ws,
                 resolution=Gf.img_resolution, img_channels=Gf.img_channels, architecture=None,
                 mapping_layers=Gf.mapping.num_layers, mapping_lr_multiplier=float(Gf.mapping.fc0.bias_gain),
                 conv_kernel=int(spec['G'].get('conv_kernel', 3)), use_radial_filters=bool(spec['G'].get('use_radial_filters', False)),
                 layer_names=list(syn.layer_names), channel_base=spec['G']['channel_base'], channel_max=spec['G']['channel_max'],
                 parameters=sum(p.numel() for p in Gf.parameters()), buffers=sum(b.numel() for b in Gf.buffers()),
                 tensors=tensor_entries(Gf, tnames), golden_datasets=sorted(datasets))
        result[name] = e
        print(f'[{name}] {len(raw)} bytes, {e["parameters"]} parameters', flush=True)
    return dict(fixtures=result, sg3_source=dict(repository='NVlabs/stylegan3', commit=off.commit))


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ada', required=True, help='checkout of NVlabs/stylegan2-ada-pytorch')
    ap.add_argument('--sg3', help='checkout of NVlabs/stylegan3 (optional: the StyleGAN3 fixtures)')
    ap.add_argument('--out', default=os.path.dirname(os.path.abspath(__file__)), help='output folder (default: beside this script)')
    ap.add_argument('--sg3-child', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--json-out', help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    if args.sg3_child:
        r = make_sg3(args, args.out)
        with open(args.json_out, 'w') as f:
            json.dump(jsonable(r), f)
        return

    manifest = make_ada(args, args.out)
    if args.sg3:
        tmp = os.path.join(args.out, '.sg3-manifest.json')
        subprocess.check_call([sys.executable, os.path.abspath(__file__), '--ada', args.ada, '--sg3', args.sg3,
                               '--out', args.out, '--sg3-child', '--json-out', tmp])
        with open(tmp) as f:
            r = json.load(f)
        os.remove(tmp)
        manifest['fixtures'].update(r['fixtures'])
        manifest['sg3_source'] = r['sg3_source']
    import h5py
    import torch
    manifest['generated_with'] = dict(python=platform.python_version(), numpy=np.__version__, torch=torch.__version__,
                                      h5py=h5py.__version__, script='Fixtures/official-code/make_fixtures.py')
    manifest['conventions'] = dict(
        z=f'np.random.RandomState({Z_SEED}).randn({N}, z_dim), float32', N=N,
        parameters='sum(p.numel() for p in G_ema.parameters()) (noise_const, w_avg and filters are buffers, not counted)',
        tensors_sha256='sha256 of the float32 little-endian C-order bytes of the tensor as legacy.load_network_pkl reads it',
        module_src='each persistent object carries a one-line comment instead of its module source')
    with open(os.path.join(args.out, 'manifest.json'), 'w') as f:
        json.dump(jsonable(manifest), f, indent=1, sort_keys=False)
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print(f'wrote {args.out} ({total} bytes in all)')


if __name__ == '__main__':
    main()
