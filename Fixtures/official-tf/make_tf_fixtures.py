#!/usr/bin/env python3
"""Builds small TensorFlow-era StyleGAN fixtures with the OFFICIAL NVlabs TensorFlow code.

    python make_tf_fixtures.py --stylegan PATH --stylegan2 PATH --stylegan2-ada PATH [--out DIR] [--only NAME ...]

PATH are local checkouts of NVlabs/stylegan, NVlabs/stylegan2 and NVlabs/stylegan2-ada (outside
this repository; their code is never copied here). Each fixture is made in its own Python process
(the three repositories all define top-level `dnnlib` and `training` packages), which

  * runs the official code under TensorFlow 2 in `tf.compat.v1` graph mode: `import tensorflow`
    inside the official modules yields `tensorflow.compat.v1`, and, because TensorFlow's CPU kernels
    only implement NHWC, `tf.nn.conv2d`, `conv2d_transpose`, `depthwise_conv2d` and `avg_pool` called
    with data_format='NCHW' are wrapped in NCHW->NHWC->NCHW transposes, and grouped convolutions
    (StyleGAN2's fused_modconv), which the CPU kernels also lack, run as one ordinary convolution
    per group (tf.map_fn over the groups); for StyleGAN2 and ADA the
    custom ops (`fused_bias_act`, `upfirdn_2d` and their callers) default to the official reference
    implementation `impl='ref'` instead of the CUDA plugin;
  * builds `G`, `D` and `Gs = G.clone('Gs')` exactly as the official training loop does
    (`tflib.Network('G', num_channels=..., resolution=..., label_size=..., **G_args)`), with small
    sizes, then randomises EVERY variable (weights keep their official random-normal init; biases,
    mod_biases, noise strengths, StyleGAN1 noise weights, the constant input, noise inputs and
    `dlatent_avg` get random values, so no term is zero by accident; `lod` stays 0 as in a finished
    snapshot); G's trainables are then perturbed so that G differs from Gs (an EMA copy);
  * pickles `(G, D, Gs)` as the official loop does -- `misc.save_pkl` (protocol
    `pickle.HIGHEST_PROTOCOL`, which was 4 on the Python 3.6 that StyleGAN1/2 require) or, for ADA,
    `pickle.dump` (default protocol, 3 on ADA's Python 3.7) -- with each Network's embedded
    `build_module_src` replaced by a one-line comment;
  * runs Gs on CPU in float32 with the stored noise (`randomize_noise=False`) and writes the HDF5
    golden file (see README.md for the datasets).

Needs: tensorflow-cpu 2.15 (still has tf.compat.v1), numpy<2, h5py, pillow and requests (imported by
the official `misc.py` / `dnnlib.util`). See requirements.txt.
"""

import argparse
import inspect
import json
import os
import pickle
import re
import subprocess
import sys

N = 4                    # latents per golden
Z_SEED = 123             # z = np.random.RandomState(123).randn(N, z_dim)
C_SEED = 321             # classes for conditional fixtures: RandomState(321).randint(label_size, size=N)
OMITTED = '# module source omitted from this fixture\n'

# ---------------------------------------------------------------------------------------------
# Fixture table. `G` / `D` are the G_args / D_args of the official training configuration
# (func_name plus the kwargs the official config sets), shrunk to a few channels.

SMALL_SG1 = dict(latent_size=32, dlatent_size=32, mapping_layers=2, mapping_fmaps=48)
SMALL_SG2 = dict(latent_size=32, dlatent_size=32, mapping_layers=2, mapping_fmaps=32)

FIXTURES = [
    # --- StyleGAN1 (stylegan repo, G_style, Network version 3) ---
    dict(name='tf-sg1-64', repo='stylegan', seed=2001, resolution=64, num_channels=3, label_size=0,
         G=dict(func_name='training.networks_stylegan.G_style', fmap_base=256, fmap_max=16, **SMALL_SG1),
         D=dict(func_name='training.networks_stylegan.D_basic', fmap_base=256, fmap_max=16),
         note='StyleGAN1 at 64x64: every up-sampling is nearest x2 + 3x3 conv + blur (fused_scale auto: fused only for outputs >= 128)'),
    dict(name='tf-sg1-256', repo='stylegan', seed=2002, resolution=256, num_channels=1, label_size=0,
         G=dict(func_name='training.networks_stylegan.G_style', fmap_base=1024, fmap_max=8, **SMALL_SG1),
         D=dict(func_name='training.networks_stylegan.D_basic', fmap_base=1024, fmap_max=8),
         note='StyleGAN1 at 256x256, one image channel (keeps the goldens small): 8..64 use nearest up-sampling, '
              '128 and 256 the fused transposed convolution (fused_scale auto)'),

    # --- StyleGAN2 (stylegan2 repo, G_main, Network version 4) ---
    dict(name='tf-sg2-orig-32', repo='stylegan2', seed=2101, resolution=32, num_channels=3, label_size=0,
         G=dict(func_name='training.networks_stylegan2.G_main', architecture='orig', fmap_base=64, fmap_max=16, **SMALL_SG2),
         D=dict(func_name='training.networks_stylegan2.D_stylegan2', architecture='orig', fmap_base=64, fmap_max=16),
         note='StyleGAN2 config-e-Gorig-Dorig layout: architecture orig (ToRGB only at 32x32)'),
    dict(name='tf-sg2-resnet-32', repo='stylegan2', seed=2102, resolution=32, num_channels=3, label_size=0,
         G=dict(func_name='training.networks_stylegan2.G_main', architecture='resnet', fmap_base=64, fmap_max=16, **SMALL_SG2),
         D=dict(func_name='training.networks_stylegan2.D_stylegan2', architecture='resnet', fmap_base=64, fmap_max=16),
         note='StyleGAN2 config-e-Gresnet-Dresnet layout: architecture resnet (1x1 up-sampling Skip convs, (x+t)/sqrt2), ToRGB only at 32x32'),
    dict(name='tf-sg2-cond-32', repo='stylegan2', seed=2103, resolution=32, num_channels=3, label_size=3,
         G=dict(func_name='training.networks_stylegan2.G_main', fmap_base=64, fmap_max=16, **SMALL_SG2),
         D=dict(func_name='training.networks_stylegan2.D_stylegan2', fmap_base=64, fmap_max=16),
         note='conditional StyleGAN2 (label_size 3): mapping/LabelConcat/weight [3, latent_size], concatenated before normalisation; skip'),

    # --- StyleGAN2 configs A-D (stylegan2 repo, run_training.py) ---
    dict(name='tf-sg2-config-a-32', repo='stylegan2', seed=2201, resolution=32, num_channels=3, label_size=0,
         G=dict(func_name='training.networks_stylegan.G_style', fmap_base=64, fmap_max=16, **SMALL_SG2),
         D=dict(func_name='training.networks_stylegan.D_basic', fmap_base=64, fmap_max=16),
         note='config-a ("Baseline StyleGAN"): the StyleGAN1 networks (G_style, D_basic) as copied into the stylegan2 '
              'repository, so a Network version 4 with build_func_name G_style'),
    dict(name='tf-sg2-config-d-32', repo='stylegan2', seed=2204, resolution=32, num_channels=3, label_size=0,
         G=dict(func_name='training.networks_stylegan2.G_main', synthesis_func='G_synthesis_stylegan_revised', fmap_base=64, fmap_max=16, **SMALL_SG2),
         D=dict(func_name='training.networks_stylegan2.D_stylegan', fmap_base=64, fmap_max=16),
         note='config-d (configs B, C and D build the same networks; they differ only in losses and regularisation): '
              'G_main with synthesis_func G_synthesis_stylegan_revised (weight demodulation, progressive-growing '
              'structure with ToRGB_lod* at every resolution), D_stylegan'),

    # --- StyleGAN2-ADA TensorFlow (stylegan2-ada repo, G_main, Network version 5) ---
    dict(name='tf-ada-skip-32', repo='stylegan2-ada', seed=2301, resolution=32, num_channels=3, label_size=0,
         G=dict(func_name='training.networks.G_main', fmap_base=64, fmap_max=16, mapping_layers=2,
                num_fp16_res=0, conv_clamp=256, latent_size=32, dlatent_size=32),
         D=dict(func_name='training.networks.D_main', fmap_base=64, fmap_max=16, mbstd_group_size=4,
                num_fp16_res=0, conv_clamp=256),
         note='StyleGAN2-ADA TF, train.py kwargs (fmap_base, fmap_max, mapping_layers, num_fp16_res, conv_clamp 256) '
              'with num_fp16_res 0 so that it runs in float32; skip; mapping_fmaps default (= dlatent_size)'),
    dict(name='tf-ada-cond-32', repo='stylegan2-ada', seed=2302, resolution=32, num_channels=3, label_size=3,
         G=dict(func_name='training.networks.G_main', fmap_base=64, fmap_max=16, mapping_layers=2,
                num_fp16_res=0, conv_clamp=None, latent_size=32, dlatent_size=32),
         D=dict(func_name='training.networks.D_main', fmap_base=64, fmap_max=16, mbstd_group_size=4,
                num_fp16_res=0, conv_clamp=None),
         note='conditional StyleGAN2-ADA TF (label_size 3): mapping/LabelEmbed/{weight [3, latent_size], bias}, '
              'normalised and concatenated after the normalised z; conv_clamp None (train.py --fp32)'),
]

# ---------------------------------------------------------------------------------------------
# Driver: one subprocess per fixture.

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--stylegan', help='checkout of NVlabs/stylegan')
    ap.add_argument('--stylegan2', help='checkout of NVlabs/stylegan2')
    ap.add_argument('--stylegan2-ada', dest='stylegan2_ada', help='checkout of NVlabs/stylegan2-ada')
    ap.add_argument('--out', default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument('--only', nargs='*', help='fixture names to (re)build')
    ap.add_argument('--reproduce', nargs=2, metavar=('PKL', 'GOLDEN'), action='append', default=[],
                    help='harness check: rebuild Gs of an existing TF-era pickle with the official code (its stored '
                         'variables, no code from the file), rerun it and compare with GOLDEN; repeatable')
    ap.add_argument('--worker', help=argparse.SUPPRESS)
    ap.add_argument('--repo-path', help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker == 'reproduce':
        return Worker(None, args.repo_path, args.out).reproduce(*args.reproduce[0])
    if args.worker:
        fx = next(f for f in FIXTURES if f['name'] == args.worker)
        return Worker(fx, args.repo_path, args.out).run()

    repos = {'stylegan': args.stylegan, 'stylegan2': args.stylegan2, 'stylegan2-ada': args.stylegan2_ada}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', TF_ENABLE_ONEDNN_OPTS='0', CUDA_VISIBLE_DEVICES='',
               PYTHONHASHSEED='0')
    me = os.path.abspath(__file__)
    if args.reproduce:
        for pkl, golden in args.reproduce:
            repo = {3: 'stylegan', 4: 'stylegan2', 5: 'stylegan2-ada'}[load_states(pkl)[2]['version']]
            print('=== reproduce %s (%s)' % (pkl, repo), flush=True)
            subprocess.run([sys.executable, me, '--worker', 'reproduce', '--reproduce', pkl, golden,
                            '--repo-path', os.path.abspath(repos[repo])], env=env, check=True)
        return
    todo = [f for f in FIXTURES if not args.only or f['name'] in args.only]
    os.makedirs(args.out, exist_ok=True)
    for fx in todo:
        path = repos[fx['repo']]
        if not path:
            print('skip %s: no --%s checkout given' % (fx['name'], fx['repo']))
            continue
        print('=== %s (%s)' % (fx['name'], fx['repo']), flush=True)
        subprocess.run([sys.executable, me, '--worker', fx['name'], '--repo-path', os.path.abspath(path),
                        '--out', args.out], env=env, check=True)
    write_manifest(args.out)


def load_states(path):
    """The Network states of a TF-era pickle as plain dicts (the Network class is replaced by a
    dict subclass, as the official legacy.py does; only numpy/builtins globals are resolved)."""
    class NetworkState(dict):
        def __setstate__(self, state):
            self.update(state)

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ('dnnlib.tflib.network', 'Network'):
                return NetworkState
            if module.split('.')[0] in ('numpy', 'collections', 'builtins', '_codecs'):
                return super().find_class(module, name)
            raise pickle.UnpicklingError('unexpected global %s.%s' % (module, name))

    with open(path, 'rb') as f:
        return Unpickler(f).load()


def write_manifest(out):
    """Collects the per-fixture records into manifest.json."""
    records = []
    for fx in FIXTURES:
        p = os.path.join(out, fx['name'] + '.json')
        if os.path.exists(p):
            with open(p) as f:
                records.append(json.load(f))
            os.remove(p)
    if records:
        old = []
        mp = os.path.join(out, 'manifest.json')
        if os.path.exists(mp):
            with open(mp) as f:
                old = [r for r in json.load(f)['fixtures'] if r['name'] not in {r['name'] for r in records}]
        allrec = sorted(old + records, key=lambda r: [f['name'] for f in FIXTURES].index(r['name']))
        with open(mp, 'w') as f:
            f.write(compact_json(dict(generator='make_tf_fixtures.py', fixtures=allrec)) + '\n')


def compact_json(obj, indent=0):
    """JSON with one line per variable entry (short lists stay on one line)."""
    pad = ' ' * indent
    if isinstance(obj, dict) and obj:
        items = ['%s %s: %s' % (pad, json.dumps(k), compact_json(v, indent + 1)) for k, v in obj.items()]
        return '{\n' + ',\n'.join(items) + '\n' + pad + '}'
    if isinstance(obj, list) and obj and any(isinstance(v, dict) or (isinstance(v, list) and
                                             any(isinstance(u, (list, dict)) for u in v)) for v in obj):
        items = ['%s %s' % (pad, compact_json(v, indent + 1)) for v in obj]
        return '[\n' + ',\n'.join(items) + '\n' + pad + ']'
    return json.dumps(obj, default=str)

# ---------------------------------------------------------------------------------------------
# Run-time adaptation of the official code to TensorFlow 2 on CPU (nothing in the checkout is edited).

def setup_tensorflow():
    import tensorflow as real_tf
    v1 = real_tf.compat.v1
    v1.disable_v2_behavior()
    sys.modules['tensorflow'] = v1     # the official `import tensorflow as tf` gets the 1.x API
    # StyleGAN2/ADA's tfutil.py does `import tensorflow.contrib` (only for GPU memory statistics in
    # training and an augmentation op, neither used here): an empty stand-in module.
    import types
    contrib = types.ModuleType('tensorflow.contrib')
    sys.modules['tensorflow.contrib'] = contrib
    v1.contrib = contrib

    def to_nhwc(v):
        return v1.transpose(v, [0, 2, 3, 1])

    def to_nchw(v):
        return v1.transpose(v, [0, 3, 1, 2])

    def perm(seq):  # [N, C, H, W] list -> [N, H, W, C]
        if isinstance(seq, (list, tuple)):
            return [seq[0], seq[2], seq[3], seq[1]]
        return v1.gather(seq, [0, 2, 3, 1])

    conv2d, conv2d_transpose = v1.nn.conv2d, v1.nn.conv2d_transpose
    depthwise_conv2d, avg_pool = v1.nn.depthwise_conv2d, v1.nn.avg_pool

    def static_dim(t, i):
        d = t.shape[i]
        return getattr(d, 'value', d)

    def dims(t):  # static sizes where known, dynamic ones elsewhere
        dyn = v1.shape(t)
        return [static_dim(t, i) if static_dim(t, i) is not None else dyn[i] for i in range(4)]

    def as_int(d):
        d = getattr(d, 'value', d)
        return d if isinstance(d, int) else None

    # Grouped convolutions (StyleGAN2's fused_modconv folds the minibatch into groups; the number of
    # groups is only known at run time) are missing from TensorFlow's CPU kernels: run one ordinary
    # convolution per group (tf.map_fn over the groups) and put the channels back in group order.
    def grouped_conv2d(x, f, strides, padding, dilations):
        cin, fin = static_dim(x, 3), static_dim(f, 2)
        if cin is not None and cin == fin:
            return conv2d(x, f, strides=strides, padding=padding, data_format='NHWC', dilations=dilations)
        B, H, W, C = dims(x)
        kh, kw, I, O = dims(f)
        G = C // I
        xg = v1.transpose(v1.reshape(x, [B, H, W, G, I]), [3, 0, 1, 2, 4])           # [G, B, H, W, I]
        fg = v1.transpose(v1.reshape(f, [kh, kw, I, G, O // G]), [3, 0, 1, 2, 4])    # [G, kh, kw, I, O/G]
        yg = v1.map_fn(lambda a: conv2d(a[0], a[1], strides=strides, padding=padding, data_format='NHWC', dilations=dilations),
                       (xg, fg), dtype=x.dtype)                                        # [G, B, H', W', O/G]
        y = v1.transpose(yg, [1, 2, 3, 0, 4])
        Ho, Wo = static_dim(yg, 2), static_dim(yg, 3)
        dy = v1.shape(y)
        return v1.reshape(y, [dy[0], Ho if Ho is not None else dy[1], Wo if Wo is not None else dy[2], -1])

    def grouped_conv2d_transpose(x, f, output_shape, strides, padding):
        # f is [kh, kw, out_per_group, in_total]; output_shape is NHWC.
        out_total, fout = as_int(output_shape[3]), static_dim(f, 2)
        if out_total is not None and out_total == fout:
            return conv2d_transpose(x, f, output_shape, strides, padding=padding, data_format='NHWC')
        B, H, W, C = dims(x)
        kh, kw, Og, _ = dims(f)
        G = output_shape[3] // Og
        xg = v1.transpose(v1.reshape(x, [B, H, W, G, C // G]), [3, 0, 1, 2, 4])      # [G, B, H, W, I/G]
        fg = v1.transpose(v1.reshape(f, [kh, kw, Og, G, C // G]), [3, 0, 1, 2, 4])   # [G, kh, kw, O/G, I/G]
        shape_g = v1.stack([v1.convert_to_tensor(getattr(d, 'value', d), dtype=v1.int32) for d in output_shape[:3]] +
                           [v1.convert_to_tensor(Og, dtype=v1.int32)])
        yg = v1.map_fn(lambda a: conv2d_transpose(a[0], a[1], shape_g, strides, padding=padding, data_format='NHWC'),
                       (xg, fg), dtype=x.dtype)                                        # [G, B, H', W', O/G]
        y = v1.transpose(yg, [1, 2, 3, 0, 4])
        dy = v1.shape(y)
        Ho, Wo = as_int(output_shape[1]), as_int(output_shape[2])
        y = v1.reshape(y, [dy[0], Ho if Ho is not None else dy[1], Wo if Wo is not None else dy[2], -1])
        return y

    def conv2d_nchw(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True, data_format='NHWC',
                    dilations=[1, 1, 1, 1], name=None, filters=None):
        if filter is None:
            filter = filters
        if data_format != 'NCHW':
            return conv2d(input, filter, strides=strides, padding=padding, data_format=data_format, dilations=dilations, name=name)
        y = grouped_conv2d(to_nhwc(input), filter, perm(strides) if isinstance(strides, (list, tuple)) else strides,
                           padding, perm(dilations) if isinstance(dilations, (list, tuple)) else dilations)
        return to_nchw(y)

    def conv2d_transpose_nchw(value=None, filter=None, output_shape=None, strides=None, padding='SAME', data_format='NHWC',
                              name=None, input=None, filters=None, dilations=None):
        value = value if value is not None else input
        filter = filter if filter is not None else filters
        if data_format != 'NCHW':
            return conv2d_transpose(value, filter, output_shape, strides, padding=padding, data_format=data_format, name=name)
        y = grouped_conv2d_transpose(to_nhwc(value), filter, perm(output_shape),
                                     perm(strides) if isinstance(strides, (list, tuple)) else strides, padding)
        return to_nchw(y)

    def depthwise_conv2d_nchw(input, filter, strides, padding, rate=None, name=None, data_format=None, dilations=None):
        if data_format != 'NCHW':
            return depthwise_conv2d(input, filter, strides, padding, rate=rate, name=name, data_format=data_format, dilations=dilations)
        y = depthwise_conv2d(to_nhwc(input), filter, perm(strides), padding, rate=rate, data_format='NHWC', dilations=dilations)
        return to_nchw(y)

    def avg_pool_nchw(value=None, ksize=None, strides=None, padding=None, data_format='NHWC', name=None, input=None):
        value = value if value is not None else input
        if data_format != 'NCHW':
            return avg_pool(value, ksize, strides, padding, data_format=data_format, name=name)
        return to_nchw(avg_pool(to_nhwc(value), perm(ksize), perm(strides), padding, data_format='NHWC'))

    v1.nn.conv2d = conv2d_nchw
    v1.nn.conv2d_transpose = conv2d_transpose_nchw
    v1.nn.depthwise_conv2d = depthwise_conv2d_nchw
    v1.nn.avg_pool = avg_pool_nchw
    return v1


def use_reference_ops():
    """StyleGAN2 / ADA: every custom-op entry point defaults to impl='ref' (the official TensorFlow
    reference implementation) instead of 'cuda'. The functions are shared objects, so changing
    their defaults reaches the names the network modules imported."""
    from dnnlib.tflib.ops import fused_bias_act, upfirdn_2d
    changed = []
    for mod in (fused_bias_act, upfirdn_2d):
        for name in dir(mod):
            fn = getattr(mod, name)
            if callable(fn) and getattr(fn, '__module__', None) == mod.__name__ and getattr(fn, '__defaults__', None):
                code = fn.__code__
                params = code.co_varnames[:code.co_argcount]
                defaults = list(fn.__defaults__)
                offset = len(params) - len(defaults)
                if 'impl' in params[offset:]:
                    defaults[params.index('impl') - offset] = 'ref'
                    fn.__defaults__ = tuple(defaults)
                    changed.append('%s.%s' % (mod.__name__.split('.')[-1], name))
    return changed

# ---------------------------------------------------------------------------------------------

class Worker:
    def __init__(self, fx, repo_path, out):
        self.fx, self.repo_path, self.out = fx, repo_path, out

    def run(self):
        fx = self.fx
        tf = setup_tensorflow()
        sys.path.insert(0, self.repo_path)
        import numpy as np
        import dnnlib
        import dnnlib.tflib as tflib
        self.np, self.tf, self.tflib = np, tf, tflib
        has_ops = os.path.isdir(os.path.join(self.repo_path, 'dnnlib', 'tflib', 'ops'))
        ref_ops = use_reference_ops() if has_ops else []   # StyleGAN2 / ADA custom ops

        tflib.init_tf({'rnd.np_random_seed': fx['seed'], 'allow_soft_placement': True})
        rng = np.random.RandomState(fx['seed'])

        # Construct networks exactly as training_loop.py does.
        G_args = dict(fx['G'])
        D_args = dict(fx['D'])
        dims = dict(num_channels=fx['num_channels'], resolution=fx['resolution'], label_size=fx['label_size'])
        G = tflib.Network('G', **dims, **G_args)
        D = tflib.Network('D', **dims, **D_args)
        self.randomize(G, rng)
        self.randomize(D, rng)
        Gs = G.clone('Gs')
        self.perturb_trainables(G, rng)   # G is the training copy, Gs its moving average

        for net in (G, D, Gs):
            self.omit_source(net)

        pkl_path = os.path.join(self.out, fx['name'] + '.pkl')
        if fx['repo'] == 'stylegan2-ada':
            protocol = 3                                   # pickle.DEFAULT_PROTOCOL on Python 3.7
            with open(pkl_path, 'wb') as f:
                pickle.dump((G, D, Gs), f, protocol=protocol)   # training_loop.py: pickle.dump((G, D, Gs), f)
        else:
            protocol = 4                                   # pickle.HIGHEST_PROTOCOL on Python 3.6
            from training import misc
            saved = pickle.HIGHEST_PROTOCOL
            pickle.HIGHEST_PROTOCOL = protocol
            try:
                misc.save_pkl((G, D, Gs), pkl_path)        # training_loop.py: misc.save_pkl((G, D, Gs), pkl)
            finally:
                pickle.HIGHEST_PROTOCOL = saved

        self.write_goldens(Gs, protocol, ref_ops)
        self.write_inventory(Gs, D)

    def reproduce(self, pkl, golden):
        import h5py
        tf = setup_tensorflow()
        sys.path.insert(0, self.repo_path)
        import numpy as np
        import dnnlib.tflib as tflib
        self.np, self.tf, self.tflib = np, tf, tflib
        if os.path.isdir(os.path.join(self.repo_path, 'dnnlib', 'tflib', 'ops')):
            use_reference_ops()
        tflib.init_tf({'rnd.np_random_seed': 1, 'allow_soft_placement': True})
        state = load_states(pkl)[2]
        module = {'G_style': 'training.networks_stylegan', 'G_main': 'training.networks_stylegan2'}[state['build_func_name']]
        if state['version'] == 5:
            module = 'training.networks'
        Gs = tflib.Network('Gs', func_name=module + '.' + state['build_func_name'], **state['static_kwargs'])
        values = {}
        def collect(net, st):
            for name, value in st['variables']:
                values[net.vars[name]] = value
            for cname, comp in net.components.items():
                collect(comp, st['components'][cname])
        collect(Gs, state)
        tflib.set_vars(values)
        self.fx = dict(label_size=state['static_kwargs'].get('label_size', 0), repo='reproduce')
        ds = self.golden_datasets(Gs)
        with h5py.File(golden, 'r') as f:
            for key in f.keys():
                if key in ds:
                    err = float(np.abs(f[key][:] - ds[key][0]).max()) if f[key].size else 0.0
                    print('  %-22s max|err| %.3g  (max|golden| %.3g)' % (key, err, float(np.abs(f[key][:]).max()) if f[key].size else 0))
                else:
                    print('  %-22s (not recomputed)' % key)

    # -- randomisation -------------------------------------------------------------------------

    def randomize(self, net, rng):
        np, tflib = self.np, self.tflib
        mapping_lrmul = self.fx['G'].get('mapping_lrmul', 0.01)
        values = {}
        for name, var in net.vars.items():
            shape = var.shape.as_list()
            last = name.split('/')[-1]
            if last == 'lod':
                v = np.zeros(shape)                                        # finished snapshot: lod 0
            elif last == 'dlatent_avg':
                v = rng.normal(0, 0.5, shape)
            elif re.fullmatch(r'noise\d+', last):
                v = rng.normal(0, 1, shape)
            elif last == 'noise_strength':
                v = np.float32(rng.choice([-1, 1]) * rng.uniform(0.1, 0.4))
            elif name.endswith('Noise/weight'):                           # StyleGAN1 per-channel noise weight
                v = rng.normal(0, 0.2, shape)
            elif last == 'const':
                v = rng.normal(0, 1, shape)
            elif last in ('bias', 'mod_bias'):
                scale = 0.2
                if name.startswith('G_mapping/') and re.search(r'/Dense\d+/bias$', name):
                    scale /= mapping_lrmul                                 # runtime bias = stored * lrmul
                v = rng.normal(0, scale, shape)
            else:
                continue                                                   # weights: official random-normal init
            values[var] = np.asarray(v, dtype=np.float32).reshape(shape)
        tflib.set_vars(values)

    def perturb_trainables(self, net, rng):
        np, tflib = self.np, self.tflib
        names = list(net.trainables.keys())
        current = tflib.run([net.trainables[n] for n in names])
        values = {}
        for n, v in zip(names, current):
            v = np.asarray(v, dtype=np.float32)
            values[net.trainables[n]] = (v + 0.05 * (np.std(v) + 1e-3) * rng.standard_normal(v.shape)).astype(np.float32)
        tflib.set_vars(values)

    def omit_source(self, net):
        net._build_module_src = OMITTED
        for comp in net.components.values():
            self.omit_source(comp)

    # -- goldens -------------------------------------------------------------------------------

    def golden_datasets(self, Gs):
        np, fx = self.np, self.fx
        z_dim = Gs.input_shape[1]
        label_size = fx['label_size']
        z = np.random.RandomState(Z_SEED).randn(N, z_dim).astype(np.float32)
        c = np.zeros([N, label_size], np.float32)
        if label_size:
            classes = np.random.RandomState(C_SEED).randint(label_size, size=N)
            c[np.arange(N), classes] = 1
        ws = Gs.components.mapping.run(z, c)
        num_ws = ws.shape[1]
        is_sg1 = Gs._build_func_name == 'G_style'

        def img(psi, cutoff):
            return Gs.run(z, c, truncation_psi=psi, truncation_cutoff=cutoff, randomize_noise=False).astype(np.float32)

        ds = {}
        ds['z'] = (z, 'latents, float32 [N, z_dim], np.random.RandomState(123).randn')
        ds['c'] = (c, 'class labels, float32 [N, c_dim] (one-hot of np.random.RandomState(321).randint(c_dim, size=N); c_dim may be 0)')
        ds['ws_psi1'] = (ws.astype(np.float32), 'mapping output, truncation_psi=1, [N, num_ws, w_dim]')
        ds['img_const_psi1'] = (img(1.0, None), 'generator output, psi=1, noise_mode=const (stored noise buffers), float32 NCHW')
        if is_sg1:
            # G_style applies truncation only when psi AND cutoff are set: cutoff = num_ws means every W.
            ds['img_const_psi07'] = (img(0.7, num_ws), 'generator output, psi=0.7 on every W vector '
                                     '(StyleGAN1 needs a cutoff: truncation_cutoff=num_ws=%d), noise_mode=const' % num_ws)
        else:
            ds['img_const_psi07'] = (img(0.7, None), 'generator output, psi=0.7 on every W vector (truncation_cutoff=None), noise_mode=const')
        ds['img_const_psi05_cut4'] = (img(0.5, 4), 'generator output, psi=0.5 on the first 4 W vectors only (truncation_cutoff=4), noise_mode=const')
        if is_sg1:
            ds['img_const_psi07_cut8'] = (img(0.7, 8), 'generator output, psi=0.7 on the first 8 W vectors only (truncation_cutoff=8, StyleGAN1 defaults), noise_mode=const')
        if 'fused_modconv' in inspect.signature(Gs.components.synthesis._build_func).parameters:
            # Harness check: fused_modconv=True (grouped convolutions, default in StyleGAN2) and False
            # (ADA's default) are the same math; the grouped-convolution emulation must agree.
            other = not inspect.signature(Gs.components.synthesis._build_func).parameters['fused_modconv'].default
            alt = Gs.run(z, c, truncation_psi=1.0, randomize_noise=False, fused_modconv=other)
            err = float(np.abs(alt - ds['img_const_psi1'][0]).max())
            print('  check: fused_modconv=%s vs default, max|diff| %.3g' % (other, err))
            assert err < 1e-4 * max(1.0, float(np.abs(alt).max()))
        return ds

    def write_goldens(self, Gs, protocol, ref_ops):
        import h5py
        np, fx = self.np, self.fx
        ds = self.golden_datasets(Gs)
        path = os.path.join(self.out, fx['name'] + '.golden.h5')
        with h5py.File(path, 'w') as f:
            f.attrs['source'] = ('official NVlabs %s TensorFlow code (TensorFlow 2 in compat.v1 mode, NHWC transposes around '
                                 'the convolutions%s), CPU, float32' % (fx['repo'], ', reference ops' if ref_ops else ''))
            f.attrs['network'] = 'Gs'
            f.attrs['pickle_protocol'] = protocol
            for key, (arr, desc) in ds.items():
                arr = np.ascontiguousarray(arr, dtype=np.float32)
                if arr.ndim == 4:   # images: deflate + byte shuffle (lossless, ~20 % smaller)
                    d = f.create_dataset(key, data=arr, chunks=arr.shape, compression='gzip', compression_opts=9, shuffle=True)
                else:
                    d = f.create_dataset(key, data=arr)
                d.attrs['description'] = desc
        for key, (arr, _) in ds.items():
            print('  %-22s %-20s max|x| %.4g' % (key, arr.shape, float(np.abs(arr).max()) if arr.size else 0.0))

    def write_inventory(self, Gs, D):
        """Variable names/shapes of Gs (and its components), for the README and debugging."""
        np, tflib = self.np, self.tflib
        def describe(net):
            own = [n for n in net.vars.keys()
                   if not any(n.startswith(comp.name + '/') for comp in net.components.values())]
            return dict(name=net.name, build_func_name=net._build_func_name,
                        static_kwargs={k: v for k, v in net.static_kwargs.items()},
                        variables=[[n, net.vars[n].shape.as_list(), bool(n in net.trainables)] for n in own],
                        components={k: describe(c) for k, c in net.components.items()})
        trainable = int(sum(np.prod(v.shape.as_list()) for v in Gs.trainables.values()))
        info = dict(name=self.fx['name'], note=self.fx['note'], Gs=describe(Gs), trainable_params=trainable,
                    num_ws=Gs.components.synthesis.input_shape[1], z_dim=Gs.input_shape[1],
                    w_dim=Gs.components.synthesis.input_shape[2])
        path = os.path.join(self.out, self.fx['name'] + '.json')
        with open(path, 'w') as f:
            json.dump(info, f, indent=1, default=str)
            f.write('\n')
        print('  trainable params %d, num_ws %d' % (trainable, info['num_ws']))


if __name__ == '__main__':
    main()
