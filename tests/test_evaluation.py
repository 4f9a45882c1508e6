"""FVD end to end: the I3D port against the original's logits (nbs/12), and the hpdm_fvd and hpdm_eval console scripts' checks (nbs/12b, nbs/50c)."""
import shutil, subprocess, sys
from pathlib import Path

import numpy as np
import torch

FVD = str(Path(sys.executable).with_name('hpdm_fvd')) if Path(sys.executable).with_name('hpdm_fvd').exists() \
    else shutil.which('hpdm_fvd')
REF = Path(__file__).parent / 'data' / 'i3d'


def test_i3d_matches_original_logits():
    "The PyTorch port gives the logits of the original JAX model (tests/data/i3d/make_reference.py) within 1e-4."
    from hpdm_nb.i3d import load_i3d
    clips = torch.from_numpy(np.load(REF / 'clips.npz')['clips']).permute(0, 4, 1, 2, 3).float() / 127.5 - 1
    with torch.no_grad(): logits = load_i3d()(clips)
    ref = torch.from_numpy(np.load(REF / 'logits.npy'))
    assert logits.shape == ref.shape == (3, 400)
    assert (logits - ref).abs().max() < 1e-4


def _fvd(*args):
    proc = subprocess.run([FVD, *args, '--no-progress'], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith('FVD '), proc.stdout
    return float(last.split()[-1])


def test_hpdm_fvd_zero_for_same_and_grows_with_noise(tmp_path):
    "hpdm_fvd: a set against itself is 0; against itself with noise larger, and larger still for more noise."
    from hpdm_nb.shapes import MovingShapes
    ds = MovingShapes(4, size=(16, 64, 64), seed=0)
    clean = torch.stack([ds[i]['video'] for i in range(4)])
    g = torch.Generator().manual_seed(0)
    for s in (0.02, 0.08):
        torch.save((clean + s * torch.randn(clean.shape, generator=g)).clamp(-1, 1), tmp_path / f'noise_{s}.pt')
    same = _fvd('shapes', 'shapes', '--n', '4')
    low, high = _fvd('shapes', str(tmp_path / 'noise_0.02.pt'), '--n', '4'), _fvd('shapes', str(tmp_path / 'noise_0.08.pt'), '--n', '4')
    assert abs(same) < 0.01 and same < low < high, (same, low, high)


def test_hpdm_fvd_bad_source_is_a_clear_error(tmp_path):
    proc = subprocess.run([FVD, 'shapes', str(tmp_path / 'nothing'), '--n', '4'], capture_output=True, text=True)
    assert proc.returncode == 2 and 'not a video source' in proc.stderr, proc.stderr
    torch.save(torch.zeros(2, 3, 16, 8, 8), tmp_path / 'two.pt')
    proc = subprocess.run([FVD, 'shapes', str(tmp_path / 'two.pt'), '--n', '4'], capture_output=True, text=True)
    assert proc.returncode == 2 and 'has 2 videos' in proc.stderr, proc.stderr


def test_hpdm_eval_samples_a_model_and_reports_its_fvd(tmp_path):
    "hpdm_eval pretrained:workshop: samples, compares with the model's training data, writes the protocol beside the FVD."
    import json
    EVAL = str(Path(sys.executable).with_name('hpdm_eval'))
    out = tmp_path / 'fvd.json'
    proc = subprocess.run([EVAL, 'pretrained:workshop', '--n', '3', '--steps', '4', '--json', str(out), '--no-progress'],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(out.read_text())
    assert r['protocol']['n_fake'] == 3 and r['protocol']['n_real'] == 3 and 'training set' in r['real']
    from hpdm_nb.pretrained import card_sampler  # a shipped model is sampled as its card was measured
    assert r['sampler']['coarse_start'] == card_sampler('workshop')['coarse_start'] and 'coarse_start=' in r['fake']
    assert float(proc.stdout.strip().splitlines()[-1].split()[-1]) == round(r['fvd'], 2) and r['fvd'] > 0
