"""Error propagation and dead pixels on a pretrained model: the numbers quoted in nbs/10.

Survival of each perturbation of level 0 at every finer level, the dead-block rate of samples and data at every level,
and the dead-block rate of the finest level's prediction of noisy data at several noise levels. Then where the token
grid comes from: the token-border ratio (over the data's) of every finer level's one-step prediction of noisy held-out
data, with the data's own coarser levels as context, per noise level; and of samples' finest level under three
samplers (the default, level 0's steps at every level, Heun at every level, and the finer levels started from the
coarser one plus noise of sigma 0.5 or 5). Last, whether the finer levels keep one object: held-out videos' own
coarser levels given, the finer levels sampled from them, and the share of frames with exactly one object.

Usage: python benchmarks/failure_numbers.py [--model workshop] [--n 8] [--steps 32]
           [--sections propagation,dead,grid,objects]
"""
import argparse, time
import torch
from hpdm_nb.weights import load_pretrained
from hpdm_nb.pretrained import held_out_videos, model_card
from hpdm_nb.patches import level_video
from hpdm_nb.sampling import sample_pyramid
from hpdm_nb.propagation import PERTURBATIONS, propagation
from hpdm_nb.dead_pixels import dead_rate, dead_rate_by_sigma, predictions_by_sigma
from hpdm_nb.quality import token_border_stats, border_summary
from hpdm_nb.shapes import object_stats


def grid(videos, data, tokenizer) -> str:
    "Token-border ratios t/h/w of `videos` over those of `data` at the same resolution."
    a, b = border_summary(token_border_stats(videos, tokenizer)), border_summary(token_border_stats(data, tokenizer))
    return ' / '.join(f"{a[k] / b[k]:.2f}" for k in a if k.startswith('border_ratio'))


def grid_by_sigma(model, held, labels, sigmas, level) -> list[str]:
    "One denoising step of noisy held-out data at `level`, the data's own coarser levels as context: its token grid."
    data = level_video(held, model.cfg.pyramid, level)
    preds = predictions_by_sigma(model, held, labels, sigmas, level)
    return [grid(preds[s], data, model.cfg.tokenizer) for s in sigmas]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='workshop')
    ap.add_argument('--n', type=int, default=8)
    ap.add_argument('--steps', type=int, default=32)
    ap.add_argument('--sections', default='propagation,dead,grid,objects', help='which measurements, comma-separated')
    a = ap.parse_args()
    sections = set(a.sections.split(','))
    t0 = time.time()
    model = load_pretrained(a.model)
    cfg, held = model.cfg, held_out_videos(a.model, 64)
    labels = torch.arange(a.n) % cfg.n_classes
    print(f'{a.model}, {a.n} samples, {a.steps} level-0 steps')
    if sections & {'propagation', 'dead'}:
        full = sample_pyramid(model, a.n, labels=labels, seeds=range(a.n), steps=a.steps, progress=False)
    if 'propagation' in sections: propagation_table(model, full, labels, a.steps)
    if 'dead' in sections: dead_blocks(model, full, held)
    if 'grid' in sections: grid_tables(model, held, labels, a.n, a.steps)
    if 'objects' in sections: objects_table(model, a.model, held, a.steps)
    print(f'\n{time.time() - t0:.0f} s')


def propagation_table(model, full, labels, steps):
    cfg = model.cfg
    print('\nerror propagation: survival of the change at each finer level')
    print('| change | strength | ' + ' | '.join(f'level {l}' for l in range(1, cfg.n_levels)) + ' |')
    print('|---|---|' + '---|' * (cfg.n_levels - 1))
    original = None
    for kind in PERTURBATIONS:
        st = 0.3 if kind == 'noise' else 1.0
        r = propagation(model, full[:1], kind, st, labels, steps=steps, original=original)
        original = r['original']
        print(f'| {kind} | {st} | ' + ' | '.join(f"{r['survival'][l]:.2f}" for l in range(1, cfg.n_levels)) + ' |')


def dead_blocks(model, full, held):
    cfg = model.cfg
    print('\ndead blocks (share of token blocks that break away from all neighbours)')
    for l in range(cfg.n_levels):
        print(f'  level {l}: samples {float(dead_rate(full[l], cfg.tokenizer).mean()):.2%}, '
              f'data {float(dead_rate(level_video(held, cfg.pyramid, l), cfg.tokenizer).mean()):.2%}')
    by = dead_rate_by_sigma(model, held[:16], torch.arange(16) % cfg.n_classes, (0.05, 0.2, 0.5, 1.0, 2.0, 5.0))
    print('  finest level, denoised noisy data: ' + ', '.join(f'sigma {s}: {v:.2%}' for s, v in by.items()))


def grid_tables(model, held, labels, n, steps):
    cfg, sigmas = model.cfg, (0.05, 0.2, 0.5, 1.0, 2.0, 5.0, 20.0, 80.0)
    lab16 = torch.arange(16) % cfg.n_classes
    print('\ntoken grid of one denoising step of noisy held-out data (16 videos, true coarser levels), t / h / w over the data\'s')
    print('| level | ' + ' | '.join(f'sigma {s}' for s in sigmas) + ' |\n|---|' + '---|' * len(sigmas))
    for l in range(cfg.n_levels):
        print(f'| {l} | ' + ' | '.join(grid_by_sigma(model, held[:16], lab16, sigmas, l)) + ' |')
    print(f'\ntoken grid of the samples ({n}, seeds 0 to {n - 1}), t / h / w over the data\'s, at every level')
    print('| sampler | ' + ' | '.join(f'level {l}' for l in range(cfg.n_levels)) + ' | seconds |\n|---|' + '---|' * (cfg.n_levels + 1))
    variants = {f'{steps} level-0 steps, half as many at each finer level (default)': dict(),
                f'{steps} steps at every level': dict(min_steps=steps),
                'Heun at every level': dict(samplers=('heun', 'heun')),
                'coarse_start=0.5': dict(coarse_start=0.5), 'coarse_start=5': dict(coarse_start=5.0)}
    for name, kw in variants.items():
        t1 = time.time()
        v = sample_pyramid(model, n, labels=labels, seeds=range(n), steps=steps, progress=False, **kw)
        cells = [grid(v[l].clamp(-1, 1), level_video(held, cfg.pyramid, l), cfg.tokenizer) for l in range(cfg.n_levels)]
        print(f'| {name} | ' + ' | '.join(cells) + f' | {time.time() - t1:.0f} |', flush=True)


def objects_table(model, name, held, steps, n=32):
    "Frames with exactly one object when the finer levels are sampled from held-out videos' own coarser levels."
    cfg, pyr = model.cfg, model.cfg.pyramid
    first = model_card(name)['config']['train']['n_videos']  # held-out video j is MovingShapes video first + j
    held, labels = held[:n], (first + torch.arange(n)) % cfg.n_classes  # MovingShapes: video i has class i % classes
    print(f'\nexactly one object per frame · objects per frame · exactly one, counting only regions of at least 2 level-0 '
          f'pixels ({n} held-out videos; the finer levels sampled from their true coarser levels)')
    print('| coarser levels given | tile overlap | ' + ' | '.join(f'level {l}' for l in range(cfg.n_levels)) + ' |\n|---|---|'
          + '---|' * cfg.n_levels)
    data = [level_video(held, pyr, l) for l in range(cfg.n_levels)]
    def cell(v):  # the bar's count; then the same count ignoring regions smaller than 2 level-0 pixels
        big = 2 * (v.shape[-1] // data[0].shape[-1]) ** 2
        o, ob = object_stats(v.clamp(-1, 1)), object_stats(v.clamp(-1, 1), min_pixels=big)
        return f"{o['one_object']:.0%} · {o['objects_per_frame']:.2f} · {ob['one_object']:.0%} ({big} px)"
    print('| none (the data itself) | | ' + ' | '.join(cell(v) for v in data) + ' |')
    for k in range(1, cfg.n_levels):
        for overlap in (None, 'spatial'):
            v = sample_pyramid(model, n, labels=labels, seeds=range(n), steps=steps, progress=False, given=data[:k],
                               overlap=overlap)
            print(f'| levels 0 to {k - 1} | {overlap or "none"} | ' + ' | '.join('given' if l < k else cell(v[l])
                                                                            for l in range(cfg.n_levels)) + ' |', flush=True)


if __name__ == '__main__':
    main()
