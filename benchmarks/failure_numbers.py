"""Error propagation and dead pixels on a pretrained model: the numbers quoted in nbs/10.

Survival of each perturbation of level 0 at every finer level, the dead-block rate of samples and data at every level,
and the dead-block rate of the finest level's prediction of noisy data at several noise levels.

Usage: python benchmarks/failure_numbers.py [--model workshop] [--n 8] [--steps 32]
"""
import argparse, time
import torch
from hpdm_nb.pretrained import load_pretrained, held_out_videos
from hpdm_nb.patches import level_video
from hpdm_nb.sampling import sample_pyramid
from hpdm_nb.propagation import PERTURBATIONS, propagation, dead_rate, dead_rate_by_sigma


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='workshop')
    ap.add_argument('--n', type=int, default=8)
    ap.add_argument('--steps', type=int, default=32)
    a = ap.parse_args()
    t0 = time.time()
    model = load_pretrained(a.model)
    cfg, held = model.cfg, held_out_videos(a.model, 64)
    labels = torch.arange(a.n) % cfg.n_classes
    full = sample_pyramid(model, a.n, labels=labels, seeds=range(a.n), steps=a.steps, progress=False)
    print(f'{a.model}, {a.n} samples, {a.steps} level-0 steps\n\nerror propagation: survival of the change at each finer level')
    print('| change | strength | ' + ' | '.join(f'level {l}' for l in range(1, cfg.n_levels)) + ' |')
    print('|---|---|' + '---|' * (cfg.n_levels - 1))
    original = None
    for kind in PERTURBATIONS:
        st = 0.3 if kind == 'noise' else 1.0
        r = propagation(model, full[:1], kind, st, labels, steps=a.steps, original=original)
        original = r['original']
        print(f'| {kind} | {st} | ' + ' | '.join(f"{r['survival'][l]:.2f}" for l in range(1, cfg.n_levels)) + ' |')
    print('\ndead blocks (share of token blocks that break away from all neighbours)')
    for l in range(cfg.n_levels):
        print(f'  level {l}: samples {float(dead_rate(full[l], cfg.tokenizer).mean()):.2%}, '
              f'data {float(dead_rate(level_video(held, cfg.pyramid, l), cfg.tokenizer).mean()):.2%}')
    by = dead_rate_by_sigma(model, held[:16], torch.arange(16) % cfg.n_classes, (0.05, 0.2, 0.5, 1.0, 2.0, 5.0))
    print('  finest level, denoised noisy data: ' + ', '.join(f'sigma {s}: {v:.2%}' for s, v in by.items()))
    print(f'\n{time.time() - t0:.0f} s')


if __name__ == '__main__':
    main()
