"""Package-level tests that notebooks cannot do: fresh-process imports and the console script end to end."""
import json, shutil, subprocess, sys
from pathlib import Path

import pytest

# the console script installed beside this interpreter (the venv need not be activated)
DEMO = str(Path(sys.executable).with_name('hpdm_demo')) if Path(sys.executable).with_name('hpdm_demo').exists() \
    else shutil.which('hpdm_demo')

MODULES = sorted(p.stem for p in (Path(__file__).parent.parent / 'hpdm_nb').glob('*.py') if not p.stem.startswith('_'))


# One interpreter loads the third-party libraries once, then forks a fresh child per module: each child imports one
# hpdm_nb module with no other hpdm_nb module loaded (a second or two per module instead of a whole interpreter start).
FORK_IMPORTS = """
import json, os, sys, traceback
import numpy, torch, matplotlib, matplotlib.pyplot, einops, mediapy, tqdm.auto, torch.distributed, fastcore.basics  # third-party only: no hpdm_nb module is loaded before the fork
assert not [m for m in sys.modules if m.startswith('hpdm_nb')]
out = {}
for module in sys.argv[1:]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try: __import__('hpdm_nb.' + module); msg = ''
        except BaseException: msg = traceback.format_exc()
        os.write(w, msg.encode()); os._exit(0)
    os.close(w)
    with os.fdopen(r) as f: out[module] = f.read()
    os.waitpid(pid, 0)
print(json.dumps(out))
"""


@pytest.fixture(scope='module')
def fresh_imports():
    proc = subprocess.run([sys.executable, '-c', FORK_IMPORTS, *MODULES], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize('module', MODULES)
def test_module_imports_in_fresh_process(module, fresh_imports):
    "Every exported module imports on its own, with no notebook and no state from other modules."
    assert fresh_imports[module] == '', fresh_imports[module]


def test_demo_end_to_end(tmp_path):
    "The main job's console script trains, samples, writes every file it reports, and says where they are."
    out = tmp_path / 'demo'
    proc = subprocess.run([DEMO, '--preset', 'tiny', '--out', str(out), 'steps=6', 'n_videos=16', '--n-samples', '2',
                           '--sample-steps', '4', '--no-progress'], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out / 'summary.json').read_text())
    for path in summary['files'].values(): assert Path(path).stat().st_size > 0, path
    assert summary['step'] == 6 and summary['coarse_start'] == 0.5  # the demo's default sampler start (nbs/08c)
    assert 'outputs in' in proc.stdout
    samples = __import__('torch').load(summary['files']['tensor'])
    assert samples.shape == (2, 3, 8, 16, 16) and samples.isfinite().all()


def test_demo_rejects_bad_settings(tmp_path):
    "A setting that cannot work fails before any work, with a message that says what would be right."
    for bad, want in [('patch=3,8,8', 'power of two'), ('stpes=5', 'did you mean steps'), ('lr=fast', 'expected a float'),
                      ('--coarse-start=fast', 'expected a noise level'), ('pos_gain=5,1,1', 'one per level')]:
        proc = subprocess.run([DEMO, '--preset', 'tiny', '--out', str(tmp_path / 'x'), bad], capture_output=True, text=True)
        assert proc.returncode == 2 and want in proc.stderr, (bad, proc.stderr)
    assert not any(tmp_path.iterdir())


def test_functions_follow_input_dtype():
    "Patches and denoisers keep the dtype they are given (no hidden float32; devices: the test below)."
    import torch
    from hpdm_nb.patches import Pyramid, sample_starts, extract_patches
    from hpdm_nb.diffusion import Denoiser, get_sigmas_karras
    from hpdm_nb.samplers import sample_euler
    pyr = Pyramid((8, 32, 32), (2, 8, 8))
    x = torch.rand(2, 3, 8, 32, 32, dtype=torch.float64) * 2 - 1
    for mode in ('area', 'trilinear'):
        assert all(p.dtype == torch.float64 for p in extract_patches(x, pyr, sample_starts(pyr, 2), mode=mode))
    den = Denoiser(lambda y, c_noise: torch.zeros_like(y), sigma_data=0.5)
    y = sample_euler(den, torch.randn(2, 3, dtype=torch.float64) * 80, get_sigmas_karras(4).double(), disable=True)
    assert y.dtype == torch.float64


@pytest.mark.parametrize('device,dtype', [('meta', 'float32'), ('cpu', 'float64')])
def test_model_and_loss_follow_input_device_and_dtype(device, dtype):
    "The model's forward and the training loss keep the device and dtype they are given: a tensor made on a hard-coded device or dtype inside them fails here (on 'meta', which mixes with no real device)."
    import torch
    from hpdm_nb.model import HPDM
    from hpdm_nb.loss import pyramid_loss
    from hpdm_nb.patches import sample_starts, starts_to_coords
    dt = getattr(torch, dtype)
    n_classes = 0 if device == 'meta' else 4  # checking the labels' values reads them, which 'meta' cannot
    with torch.device(device):
        model = HPDM('tiny', n_classes=n_classes, interface_cond='adaln', level0_unet=(8, 16), context_pixels=True).to(dt)
    cfg, B = model.cfg, 2
    labels = torch.tensor([0, 1], device=device) if n_classes else None
    coords = starts_to_coords(cfg.pyramid, sample_starts(cfg.pyramid, B))
    ys = [torch.randn(B, 3, *cfg.patch, device=device, dtype=dt) for _ in range(cfg.n_levels)]
    sig = [torch.full((B,), 2.0, device=device, dtype=dt) for _ in range(cfg.n_levels)]
    out = model(ys, sig, coords, labels=labels, keep_context=True)
    for d in out.denoised: assert (d.device.type, d.dtype) == (device, dt), (d.device, d.dtype)
    videos = torch.rand(B, 3, *cfg.target, device=device, dtype=dt) * 2 - 1
    loss = pyramid_loss(model, videos, labels=labels).loss
    assert (loss.device.type, loss.dtype) == (device, dt), (loss.device, loss.dtype)


SAMPLE = str(Path(sys.executable).with_name('hpdm_sample')) if Path(sys.executable).with_name('hpdm_sample').exists() \
    else shutil.which('hpdm_sample')


def test_pretrained_loads_offline_with_its_card():
    "The shipped model loads from package data alone (no network, no run folder), and its card describes it."
    code = ("import json, torch; from hpdm_nb.weights import load_pretrained, list_pretrained, WEIGHTS_DIR;"
            "from hpdm_nb.pretrained import model_card;"
            "from hpdm_nb.config import HPDMConfig; m = load_pretrained('workshop'); c = model_card('workshop');"
            "assert m.cfg == HPDMConfig.from_dict(c['config']['model']) and not m.training;"
            "assert m.cfg.n_levels >= 3 and c['config']['train']['n_videos'] >= 1000;"
            "assert all(k in c for k in ('command', 'step', 'hardware', 'wall_time_s', 'quality', 'data'));"
            "assert (WEIGHTS_DIR / 'workshop' / 'README.md').read_text().startswith('# workshop');"
            "print(list_pretrained())")
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          env={**__import__('os').environ, 'HF_HUB_OFFLINE': '1', 'no_proxy': '*', 'http_proxy': 'http://0.0.0.0:1'})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'workshop' in proc.stdout


def test_sample_pretrained_and_unknown_name(tmp_path):
    "`hpdm_sample pretrained:workshop` writes videos of the model's shape; an unknown name lists the shipped ones."
    proc = subprocess.run([SAMPLE, 'pretrained:workshop', '--n', '2', '--steps', '8', '--out', str(tmp_path), '--no-progress'],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    samples = __import__('torch').load(tmp_path / 'samples.pt')
    assert samples.shape == (2, 3, 16, 64, 64) and samples.isfinite().all()
    assert 'pretrained:workshop' in proc.stdout
    summary = json.loads((tmp_path / 'summary.json').read_text())  # the failure measures of nbs/10, and the data's
    assert set(summary['seams']) == {'t', 'h', 'w'} and set(summary['data']['seams']) == {'t', 'h', 'w'}
    assert 0 <= summary['dead_blocks'] <= 1 and 'tile seams' in proc.stdout
    from hpdm_nb.pretrained import card_sampler
    card = card_sampler('workshop')  # sampled with the settings the card was measured with
    assert {'guidance', 'coarse_start'} <= set(card)
    for k, v in card.items():
        assert summary['churn' if k == 's_churn' else k] == (list(v) if isinstance(v, tuple) else v), (k, v, summary)
    assert 'sampler of the model card' in proc.stdout
    bad = subprocess.run([SAMPLE, 'pretrained:nope'], capture_output=True, text=True)
    assert bad.returncode == 2 and "no pretrained model 'nope'" in bad.stderr and 'workshop' in bad.stderr


def _script(name):
    p = Path(sys.executable).with_name(name)
    return str(p) if p.exists() else shutil.which(name)


def test_text_model_trains_on_captions_and_samples_from_prompts(tmp_path):
    "hpdm_train on MovingShapes' captions (MiniLM, offline), then hpdm_sample --prompt writes videos named by the prompts."
    run = tmp_path / 'text'
    proc = subprocess.run([_script('hpdm_train'), 'workshop-text', f'out={run}', 'steps=2', 'n_videos=8', 'batch_size=2',
                           'ckpt_every=2', 'sample_steps=2', 'n_samples=1', 'image_ratio=0.5', '--no-progress'],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = subprocess.run([_script('hpdm_sample'), str(run), '--prompt', 'a green square moving right', '--prompt',
                           'a red circle moving left', '--steps', '2', '--no-progress'], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((run / 'samples' / 'summary.json').read_text())
    assert summary['n'] == 2 and summary['prompts'] == ['a green square moving right', 'a red circle moving left']
    assert __import__('torch').load(summary['files']['tensor']).shape == (2, 3, 16, 32, 32)


def test_prompts_refused_by_a_class_model():
    proc = subprocess.run([_script('hpdm_sample'), 'pretrained:workshop', '--prompt', 'a red circle', '--no-progress'],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and 'not a text model' in proc.stderr, proc.stderr


def test_readme_examples_run():
    "Every Python example in README.md runs as written (in a fresh process), so the README cannot rot."
    import re
    readme = (Path(__file__).parent.parent / 'README.md').read_text()
    blocks = re.findall(r'```python\n(.*?)```', readme, re.S)
    assert blocks, 'README.md has no Python example'
    for code in blocks:
        proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
        assert proc.returncode == 0, code + proc.stderr[-3000:]


def test_wheel_builds_quietly_and_carries_the_weights_and_assets(tmp_path):
    """A wheel built from the packaging files (on a copy of them, so the tree is untouched) carries every shipped model's
    files and every asset, and setuptools has nothing to warn about how the package's data folders are declared."""
    import zipfile
    root, src = Path(__file__).parent.parent, tmp_path / 'src'
    for name in ('setup.py', 'settings.ini', 'pyproject.toml', 'README.md'): shutil.copy(root / name, tmp_path / name)
    shutil.copytree(root / 'hpdm_nb', tmp_path / 'hpdm_nb', ignore=shutil.ignore_patterns('__pycache__'))
    proc = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-v', '.',
                           '-w', str(tmp_path / 'wheel')], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    log = proc.stdout + proc.stderr
    warned = [line.strip() for line in log.splitlines() if 'Warning' in line and 'warning:' not in line]
    assert 'would be ignored' not in log and not warned, warned  # setuptools' "Package would be ignored", for one
    shipped = sorted(str(p.relative_to(root)) for d in ('weights', 'assets') for p in (root / 'hpdm_nb' / d).rglob('*')
                     if p.is_file() and '__pycache__' not in p.parts)
    assert any(p.endswith('model.safetensors') for p in shipped) and any(p.startswith('hpdm_nb/assets/') for p in shipped)
    wheel = next((tmp_path / 'wheel').glob('hpdm_nb-*.whl'))
    carried = set(zipfile.ZipFile(wheel).namelist())
    assert not [p for p in shipped if p not in carried], [p for p in shipped if p not in carried]
    assert {'hpdm_nb/weights.py', 'hpdm_nb/__init__.py'} <= carried  # the module beside the weights folder stays too
