"""The random draws' share of a training step: per-sample `torch.Generator`s on the host against the batched
counter-based draws (`draw_sample_noise`, nbs/06a) on the step's device, beside the whole `train_step`.

Each variant is timed in the same run, interleaved, after a warm-up; the median of `--repeats` is reported. The
per-sample generators are written out below as the reference: one generator per sample, seeded by the sample's seed,
drawing its patch starts, noise levels, noise and coins in turn (what the trainer did before the counter-based draws).

Usage: python benchmarks/draws_share.py [--preset workshop-64] [--batches 8,32] [--threads 2] [--repeats 7] [--device cpu]
"""
import argparse, math, statistics, time

import torch

from hpdm_nb.runconfig import resolve_config
from hpdm_nb.draws import draw_sample_noise, sample_seed
from hpdm_nb.patches import sample_starts
from hpdm_nb.diffusion import sample_sigmas
from hpdm_nb.distributed import setup_distributed, prepare_model
from hpdm_nb.optim import make_optimizer
from hpdm_nb.step import train_step
from hpdm_nb.shapes import MovingShapes


def per_sample_generators(mcfg, seeds, device):
    "The reference: one host generator per sample, its draws made one sample at a time, then moved to the device."
    pyr, L = mcfg.pyramid, mcfg.n_levels
    pm, ps = (torch.tensor([mcfg.level_noise(l)[i] for l in range(L)]) for i in (0, 1))
    starts, sig, noise, coins = [], [], [], []
    for s in seeds:
        g = torch.Generator().manual_seed(int(s))
        starts.append(sample_starts(pyr, 1, g)[0])
        sig.append(sample_sigmas(L, pm, ps, g))
        noise.append(torch.stack([torch.randn(mcfg.channels, *mcfg.patch, generator=g) for _ in range(L)]))
        coins.append(torch.rand(2, generator=g))
    out = [torch.stack(starts), torch.stack(sig), torch.stack(noise), torch.stack(coins)]
    return [t.to(device) for t in out]


def timed(fn, device):
    if device.type == 'cuda': torch.cuda.synchronize()
    t = time.perf_counter(); fn()
    if device.type == 'cuda': torch.cuda.synchronize()
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--preset', default='workshop-64')
    ap.add_argument('--batches', default='8,32')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--repeats', type=int, default=7)
    ap.add_argument('--device', default='cpu')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    mcfg, tcfg = resolve_config(a.preset, [f'device={a.device}'])
    info = setup_distributed(a.device)
    dev = info.device
    print(f'{a.preset} on {dev} ({a.threads} threads); median of {a.repeats}, interleaved')
    print(f"{'batch':>5} {'step s':>8} {'generators s':>13} {'share':>7} {'counter s':>10} {'share':>7} {'speed-up':>9}")
    for B in map(int, a.batches.split(',')):
        model, wrapped, ema, _ = prepare_model(mcfg, info, seed=0)
        opt, sched = make_optimizer(model, 'adamw', lr=1e-4, warmup=1, steps=10_000)
        ds = MovingShapes(B, size=mcfg.target)
        batch = dict(video=torch.stack([ds[i]['video'] for i in range(B)]), label=torch.arange(B) % mcfg.n_classes)
        calls = [0]
        def seeds(): calls[0] += 1; return torch.tensor([sample_seed(0, calls[0], j) for j in range(B)])
        runs = dict(step=lambda: train_step(model, opt, sched, ema, iter([dict(batch, seed=seeds())]), forward=wrapped),
                    generators=lambda: per_sample_generators(mcfg, seeds().tolist(), dev),
                    counter=lambda: draw_sample_noise(mcfg, seeds(), dev))
        for f in runs.values(): f()  # warm-up
        times = {k: [] for k in runs}
        for _ in range(a.repeats):
            for k, f in runs.items(): times[k].append(timed(f, dev))
        m = {k: statistics.median(v) for k, v in times.items()}
        print(f"{B:>5} {m['step']:>8.3f} {m['generators']:>13.4f} {m['generators'] / m['step']:>7.1%} "
              f"{m['counter']:>10.4f} {m['counter'] / m['step']:>7.1%} {m['generators'] / m['counter']:>8.1f}x")


if __name__ == '__main__':
    main()
