"""Multi-process and kill/resume tests of the trainer: they start real processes, which a notebook cannot do."""
import json, os, shutil, signal, subprocess, sys, time
from pathlib import Path

import pytest
import torch

PY = sys.executable
TORCHRUN = [PY, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2']
# a short tiny run: 4 steps of a global batch of 8, checkpoint at the end, small samples
COMMON = ['tiny', 'steps=4', 'batch_size=8', 'n_videos=16', 'ckpt_every=4', 'log_every=1', 'ema_half_life=2',
          'sample_steps=2', 'n_samples=1', 'device=cpu', '--no-progress']
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'MPLBACKEND': 'Agg'}


def run(cmd, timeout=300):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def ckpt(out):
    return torch.load(Path(out) / 'ckpt.pt', map_location='cpu', weights_only=True)


def max_rel_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(((a[k].float() - b[k].float()).abs().max() / (b[k].float().abs().max() + 1e-8)).item() for k in a)


@pytest.fixture(scope='module')
def single(tmp_path_factory):
    out = tmp_path_factory.mktemp('single')
    run([PY, '-m', 'hpdm_nb.cli', 'train', *COMMON, f'out={out}'])
    return out


def test_ddp_two_processes_match_one(single, tmp_path):
    """Two DDP processes with half the batch each end at the parameters of one process with the whole batch (and
    recomputing the blocks in backward, `checkpoint_blocks`, changes nothing)."""
    out = tmp_path / 'ddp'
    run([*TORCHRUN, '-m', 'hpdm_nb.cli', 'train', *COMMON, f'out={out}', 'checkpoint_blocks=true'])
    a, b = ckpt(out), ckpt(single)
    assert a['world_size'] == 2 and b['world_size'] == 1 and a['step'] == b['step'] == 4
    assert max_rel_diff(a['model'], b['model']) < 1e-4
    assert max_rel_diff(a['ema'], b['ema']) < 1e-4
    la = [r['loss'] for r in map(json.loads, (out / 'metrics.jsonl').read_text().splitlines())]
    lb = [r['loss'] for r in map(json.loads, (single / 'metrics.jsonl').read_text().splitlines())]
    assert len(la) == len(lb) == 4 and max(abs(x - y) for x, y in zip(la, lb)) < 1e-4


def test_fsdp_checkpoint_loads_in_one_process(single, tmp_path):
    """An FSDP run of two processes saves a full checkpoint that one process loads and samples from; it matches one
    process (with the sharded blocks recomputed in backward, `checkpoint_blocks`)."""
    out = tmp_path / 'fsdp'
    run([*TORCHRUN, '-m', 'hpdm_nb.cli', 'train', *COMMON, f'out={out}', 'parallel=fsdp', 'checkpoint_blocks=true'])
    a, b = ckpt(out), ckpt(single)
    assert max_rel_diff(a['model'], b['model']) < 1e-4  # LAMB's norms are of whole tensors, not shards
    assert max_rel_diff(a['ema'], b['ema']) < 1e-4  # the EMA of each shard is the EMA of the whole
    proc = run([PY, '-m', 'hpdm_nb.cli', 'sample', str(out), '--n', '2', '--steps', '2', '--no-progress'])
    assert (out / 'samples' / 'samples.mp4').stat().st_size > 0, proc.stdout
    # and it resumes in one process
    run([PY, '-m', 'hpdm_nb.cli', 'train', *[c for c in COMMON if not c.startswith('steps=')], 'steps=6', f'out={out}'])
    assert ckpt(out)['step'] == 6 and ckpt(out)['world_size'] == 1


@pytest.mark.parametrize('parallel', ['ddp', 'fsdp'])
def test_train_only_in_two_processes_matches_one(tmp_path, parallel):
    "train_only (nbs/06d) under DDP and FSDP: the named part trains as in one process, every other weight stays put."
    part = ['interface_cond=adaln', 'level0_unet=8,16', 'train_only=unet']
    one, two = tmp_path / 'one', tmp_path / parallel
    run([PY, '-m', 'hpdm_nb.cli', 'train', *COMMON, *part, f'out={one}'])
    run([*TORCHRUN, '-m', 'hpdm_nb.cli', 'train', *COMMON, *part, f'out={two}', f'parallel={parallel}'])
    a, b = ckpt(two), ckpt(one)
    # 2e-3, not 1e-4 as above: the U-Net's inner weights get their first, tiny gradients in steps 2 to 4 (its output
    # starts at zero), and LAMB's normalisation turns the float rounding of the two-process sum into up to 1e-3 there
    assert a['world_size'] == 2 and max_rel_diff(a['model'], b['model']) < 2e-3
    from hpdm_nb.model import HPDM
    from hpdm_nb.config import get_config
    torch.manual_seed(0)  # the trainer's seed: the initial weights
    init = HPDM(get_config('tiny', interface_cond='adaln', level0_unet=(8, 16))).state_dict()
    for k, v in a['model'].items():
        k = k.replace('module.', '')
        if k.startswith('unet.'): continue
        assert torch.equal(v, init[k]), k
    assert not torch.equal(a['model']['unet.out.weight'], torch.zeros_like(a['model']['unet.out.weight']))


def _losses(out):
    return {r['step']: r['loss'] for r in map(json.loads, (Path(out) / 'metrics.jsonl').read_text().splitlines())}


def test_killed_run_resumes_on_the_same_curve(tmp_path):
    "A run killed with SIGKILL and restarted with the same command logs the losses of an uninterrupted run."
    args = ['tiny', 'steps=30', 'batch_size=4', 'n_videos=16', 'ckpt_every=5', 'log_every=1', 'sample_steps=2',
            'n_samples=1', 'device=cpu', '--no-progress']
    ref = tmp_path / 'ref'
    run([PY, '-m', 'hpdm_nb.cli', 'train', *args, f'out={ref}'])
    out = tmp_path / 'killed'
    cmd = [PY, '-m', 'hpdm_nb.cli', 'train', *args, f'out={out}']
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:  # kill it somewhere after its second checkpoint
        m = out / 'metrics.jsonl'
        if m.exists() and len(m.read_text().splitlines()) >= 13: break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL); proc.wait()
    killed_at = max(_losses(out))
    assert 10 <= killed_at < 30, killed_at
    assert ckpt(out)['step'] in (10, 15)  # the last good checkpoint survived
    run(cmd)  # the same command again
    got, want = _losses(out), _losses(ref)
    assert sorted(got) == sorted(want) == list(range(1, 31))
    assert max(abs(got[s] - want[s]) for s in want) < 1e-6
    assert not list(out.glob('.ckpt.pt.tmp-*'))  # no temporary files left behind


def test_legacy_checkpoint_samples_but_does_not_resume(single, tmp_path):
    "A checkpoint from before the per-level position gain (tokenizer.pos_scale) samples with gain 1; resuming it is refused."
    from hpdm_nb.runconfig import resolve_config
    from hpdm_nb.trainer import train
    from hpdm_nb.torch_core import atomic_save
    from hpdm_nb.checkpoints import CheckpointError
    from hpdm_nb.weights import load_model
    old = ckpt(single)
    for k in ('model', 'ema'): old[k] = {n: v for n, v in old[k].items() if not n.endswith('pos_scale')}
    atomic_save(old, tmp_path / 'ckpt.pt')
    m_old, _ = load_model(tmp_path)
    m_new, _ = load_model(single)
    assert torch.equal(m_old.tokenizer.pos_scale.detach(), torch.ones(m_new.cfg.n_levels))
    for (k, a), (_, b) in zip(m_old.state_dict().items(), m_new.state_dict().items()):
        if not k.endswith('pos_scale'): assert torch.equal(a, b), k  # every other weight as saved
    m_cfg, t_cfg = resolve_config('tiny', [c for c in COMMON if '=' in c] + [f'out={tmp_path}', 'steps=8'])
    with pytest.raises(CheckpointError, match='cannot be resumed'): train(m_cfg, t_cfg, progress=False)


SHARE = '''
import json, sys
import torch
import hpdm_nb.outputs as outputs
from hpdm_nb.distributed import setup_distributed
from hpdm_nb.model import HPDM
from hpdm_nb.config import get_config
info = setup_distributed('cpu')
drawn, draw = [], outputs.sample_pyramid
def spy(model, n, **kw):  # records the seeds this process samples
    drawn.extend(kw['seeds']); return draw(model, n, **kw)
outputs.sample_pyramid = spy
torch.manual_seed(0)
files = outputs.save_samples(HPDM(get_config('tiny')), sys.argv[1], n=3, steps=2, progress=False)
(open(f'{sys.argv[1]}/drawn_{info.rank}.json', 'w')).write(json.dumps(drawn))
from hpdm_nb.distributed import finish_process
finish_process(0)
'''


def test_preview_samples_are_shared_out_among_processes(tmp_path):
    "Under torchrun each process samples its share (no process waits on another's sampling) and rank 0 writes them all, as one process would."
    script = tmp_path / 'share.py'
    script.write_text(SHARE)
    run([*TORCHRUN, str(script), str(tmp_path / 'two')])
    run([PY, str(script), str(tmp_path / 'one')])
    drawn = [json.loads((tmp_path / 'two' / f'drawn_{r}.json').read_text()) for r in (0, 1)]
    assert drawn == [[0, 2], [1]], drawn
    assert json.loads((tmp_path / 'one' / 'drawn_0.json').read_text()) == [0, 1, 2]
    a, b = torch.load(tmp_path / 'two' / 'samples.pt'), torch.load(tmp_path / 'one' / 'samples.pt')
    assert a.shape == b.shape == (3, 3, 8, 16, 16) and torch.allclose(a, b, atol=1e-5)


INF_ON_LAST_RANK = '''
import dataclasses, json, sys
import torch.distributed as dist
import hpdm_nb.step as step
from hpdm_nb.runconfig import resolve_config
from hpdm_nb.trainer import train
calls, real = [0], step.pyramid_loss
def loss(*a, **kw):  # at step 2, only the last process's loss is infinite, and its gradient stays finite
    res = real(*a, **kw); calls[0] += 1
    last = not dist.is_initialized() or dist.get_rank() == dist.get_world_size() - 1
    return dataclasses.replace(res, loss=res.loss + float('inf')) if last and calls[0] == 2 else res
step.pyramid_loss = loss
train(*resolve_config('tiny', sys.argv[2:] + [f'out={sys.argv[1]}']), progress=False)
from hpdm_nb.distributed import finish_process
finish_process(0)
'''


def test_a_step_bad_in_one_process_is_skipped_in_all(tmp_path):
    "Under DDP an infinite loss in one process only (finite gradients everywhere) makes every process skip that step."
    script = tmp_path / 'inf.py'
    script.write_text(INF_ON_LAST_RANK)
    args = [c for c in COMMON if '=' in c]
    run([*TORCHRUN, str(script), str(tmp_path / 'two'), *args])
    run([PY, str(script), str(tmp_path / 'one'), *args])
    a, b = ckpt(tmp_path / 'two'), ckpt(tmp_path / 'one')
    assert a['step'] == b['step'] == 4
    assert [s['step'].item() for s in a['optimizer']['state'].values()][:1] == [3.0]  # three updates of four steps
    assert max_rel_diff(a['model'], b['model']) < 1e-4 and max_rel_diff(a['ema'], b['ema']) < 1e-4
    recs = [json.loads(l) for l in (tmp_path / 'two' / 'metrics.jsonl').read_text().splitlines()]
    assert [r['step'] for r in recs if r.get('skipped')] == [2] and recs[1]['loss'] is None


# in-process runs of the tiny preset: two steps a checkpoint, a handful of videos
TINY = dict(steps=4, batch_size=4, n_videos=8, ckpt_every=2, log_every=1, ema_half_life=2, sample_steps=2, n_samples=1,
            device='cpu')


def tiny(out, **kw):
    from hpdm_nb.runconfig import resolve_config
    return resolve_config('tiny', {**TINY, 'out': str(out), **kw})


def test_resume_applies_changed_optimiser_settings(tmp_path, capsys):
    "Resumed with another lr, betas, eps, weight_decay and warmup, the run trains with them, as its config.json says, and says so."
    from hpdm_nb.trainer import train
    from hpdm_nb.optim import warmup_cosine
    train(*tiny(tmp_path), progress=False, stop_at=2)
    train(*tiny(tmp_path, lr=1e-4, betas=(0.8, 0.9), eps=1e-8, weight_decay=0.05, warmup=1), progress=False, stop_at=3)
    said = json.loads((tmp_path / 'config.json').read_text())['train']
    ck = ckpt(tmp_path)
    decay, rest = ck['optimizer']['param_groups']
    assert ck['scheduler']['base_lrs'] == [said['lr']] * 2 == [1e-4] * 2
    lr = said['lr'] * warmup_cosine(3, said['warmup'], said['steps'], said['min_lr_ratio'])  # the lr of the next step
    assert decay['lr'] == rest['lr'] == pytest.approx(lr)
    assert tuple(decay['betas']) == tuple(rest['betas']) == tuple(said['betas']) == (0.8, 0.9)
    assert decay['eps'] == rest['eps'] == said['eps'] == 1e-8
    assert (decay['weight_decay'], rest['weight_decay']) == (said['weight_decay'], 0.0)  # biases and norms never decay
    out = capsys.readouterr().out
    assert 'lr 0.002 -> 0.0001' in out and 'weight_decay 0.01 -> 0.05' in out, out


def test_resume_does_not_need_init_from_again(tmp_path, capsys):
    "A run started from other weights (init_from, pinned by init_sha256) resumes from its own checkpoint once they changed or went."
    from hpdm_nb.trainer import train
    from hpdm_nb.weights import weights_sha256
    src, run = tmp_path / 'src', tmp_path / 'run'
    train(*tiny(src, steps=2), progress=False)
    chain = dict(init_from=str(src), init_sha256=weights_sha256(src))
    train(*tiny(run, **chain), progress=False, stop_at=2)
    train(*tiny(src, steps=3), progress=False)  # the source trains on: other weights, another sha256
    assert train(*tiny(run, **chain), progress=False, stop_at=3)['step'] == 3
    shutil.rmtree(src)  # and then it is gone
    assert train(*tiny(run, **chain), progress=False)['step'] == 4 and ckpt(run)['step'] == 4
    out = capsys.readouterr().out
    assert f'init_from={src} is not read' in out, out


def test_torn_metrics_line_does_not_stop_a_resume(tmp_path, capsys):
    "A run killed in the middle of a metrics line resumes: the torn line is dropped, with a note, and the curve goes on."
    from hpdm_nb.trainer import train, read_metrics
    train(*tiny(tmp_path), progress=False, stop_at=2)
    with open(tmp_path / 'metrics.jsonl', 'a') as f: f.write('{"step": 3, "loss": 0.1')  # killed mid-line
    assert [r['step'] for r in read_metrics(tmp_path)] == [1, 2]  # a reader skips the torn line
    train(*tiny(tmp_path), progress=False)
    assert [r['step'] for r in read_metrics(tmp_path)] == [1, 2, 3, 4]
    assert 'torn' in capsys.readouterr().out


def test_run_files_are_replaced_whole(tmp_path, monkeypatch):
    "config.json and the trimmed metrics.jsonl are written to a temporary file and renamed over the old one (atomic_write)."
    from hpdm_nb.trainer import train
    replaced, real = [], os.replace
    monkeypatch.setattr(os, 'replace', lambda a, b: (replaced.append(Path(b).name), real(a, b))[1])
    train(*tiny(tmp_path, steps=1), progress=False)
    assert {'config.json', 'metrics.jsonl', 'ckpt.pt'} <= set(replaced), replaced


def test_level0_unet_alone_trains_only_level_0(tmp_path):
    "levels=1 with train_only=unet: the U-Net moves, nothing else does, only level 0's loss is logged; other uses are refused."
    from hpdm_nb.trainer import train, read_metrics
    from hpdm_nb.config import ConfigError
    from hpdm_nb.checkpoints import clean_state_dict
    kw = dict(level0_unet=(8, 16), interface_cond='adaln', train_only='unet', levels=1, steps=2, ckpt_every=1)
    train(*tiny(tmp_path / 'a', **{**kw, 'steps': 1}), progress=False)
    first = clean_state_dict(ckpt(tmp_path / 'a')['model'])
    train(*tiny(tmp_path / 'a', **kw), progress=False)
    last = clean_state_dict(ckpt(tmp_path / 'a')['model'])
    moved = {k for k in first if not torch.equal(first[k], last[k])}
    assert moved and all(k.startswith('unet.') for k in moved), sorted(moved)[:5]
    assert all(set(k for k in r if k.startswith('loss_level')) == {'loss_level_0'} for r in read_metrics(tmp_path / 'a'))
    with pytest.raises(ConfigError, match='levels=1 train_only=unet'):
        train(*tiny(tmp_path / 'b', **{**kw, 'train_only': 'blocks'}), progress=False)


def test_init_skip_regrows_a_part_at_another_width(tmp_path, capsys):
    "init_skip=unet starts a run from other weights with a U-Net of another width: the rest copied, the U-Net fresh."
    from hpdm_nb.trainer import train
    from hpdm_nb.config import ConfigError
    from hpdm_nb.checkpoints import clean_state_dict
    from hpdm_nb.weights import read_weights
    common = dict(interface_cond='adaln', steps=1)
    train(*tiny(tmp_path / 'narrow', level0_unet=(8, 16), **common), progress=False)
    with pytest.raises(ConfigError, match='other shapes'):
        train(*tiny(tmp_path / 'wide', level0_unet=(16, 32), init_from=str(tmp_path / 'narrow'), **common), progress=False)
    train(*tiny(tmp_path / 'wide', level0_unet=(16, 32), init_from=str(tmp_path / 'narrow'), init_skip='unet',
                train_only='unet', levels=1, **common), progress=True)
    src, got = read_weights(tmp_path / 'narrow'), clean_state_dict(ckpt(tmp_path / 'wide')['model'])
    assert got['unet.stem.weight'].shape[0] == 16 and src['unet.stem.weight'].shape[0] == 8
    assert all(torch.equal(got[k], src[k]) for k in src if not k.startswith('unet.'))  # trained the U-Net alone
    assert 'left unread (init_skip=unet)' in capsys.readouterr().out
    with pytest.raises(ConfigError, match='no init_from is given'): tiny(tmp_path / 'c', init_skip='unet')
