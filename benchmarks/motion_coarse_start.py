"""How the finer levels' start moves the objects: motion measures (nbs/09b `motion_stats`) of a pretrained model's
samples at every level, for several ways of starting the finer levels, all from the same level-0 samples.

Level 0 is sampled once (--n videos, seeds --seed onwards, classes in turn, --steps steps, guidance 3, as the card's
sampler); the finer levels are then sampled from it (`sample_pyramid(given=[level 0])`) with each setting below, and
every level is measured beside held-out MovingShapes videos brought to the same resolution:

- `paper`: pure noise at sigma 80, no overlap (the paper's sampler);
- `cs0.5-even`, `cs0.1-even`, `cs0.1-centre`: the upsampled coarser level plus noise of sigma 0.5 or 0.1, with level 0's
  frames placed on the even frames or at the centre of the pairs they average (nbs/08c `coarse_frames`);
- `card`: `cs0.1-even` with tiles overlapping along h and w, ramp-blended (the card's sampler).

Prints one row per setting and level: speed, steadiness, step evenness, objects tracked, one object; writes --out.

Usage: python benchmarks/motion_coarse_start.py [--model pretrained:workshop] [--n 16] [--steps 32]
       [--out benchmarks/motion_coarse_start.json]
"""
import argparse, json, time
from pathlib import Path
import torch
from hpdm_nb.weights import load_model
from hpdm_nb.sampling import sample_pyramid
from hpdm_nb.shapes import held_out_shapes, object_stats
from hpdm_nb.patches import level_video
from hpdm_nb.quality import motion_stats

SETTINGS = {
    'paper': dict(coarse_start=None),
    'cs0.5-even': dict(coarse_start=0.5, coarse_frames='even'),
    'cs0.1-even': dict(coarse_start=0.1, coarse_frames='even'),
    'cs0.1-centre': dict(coarse_start=0.1, coarse_frames='centre'),
    'card': dict(coarse_start=0.1, coarse_frames='even', overlap='spatial', blend='ramp'),
}


def row(v):
    m, o = motion_stats(v), object_stats(v)
    return dict(**{k: round(x, 4) for k, x in m.items()}, one_object=round(o['one_object'], 3))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='pretrained:workshop')
    ap.add_argument('--n', type=int, default=16)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--steps', type=int, default=32, help='level-0 steps (halved per finer level)')
    ap.add_argument('--out', default=str(Path(__file__).with_suffix('.json')))
    a = ap.parse_args()
    model, info = load_model(a.model)
    cfg, L = model.cfg, model.cfg.n_levels
    n_train = info.get('train', {}).get('n_videos', 4096)
    held = held_out_shapes(n_train, 64, cfg.target)['video']
    res = dict(model=a.model, n=a.n, steps=a.steps, seed=a.seed, data={}, settings={})
    for l in range(L): res['data'][f'level_{l}'] = row(level_video(held, cfg.pyramid, l))
    labels, seeds = torch.arange(a.n) % cfg.n_classes, list(range(a.seed, a.seed + a.n))
    guidance = (3.0,) + (1.0,) * (L - 1)
    t0 = time.time()
    level0 = sample_pyramid(model, a.n, labels=labels, seeds=seeds, steps=a.steps, guidance=guidance, levels=1,
                            progress=False)[0]
    print(f'level 0: {a.n} samples in {time.time() - t0:.0f} s')
    for name, kw in SETTINGS.items():
        t0 = time.time()
        vids = sample_pyramid(model, a.n, labels=labels, seeds=seeds, steps=a.steps, guidance=guidance, given=[level0],
                              progress=False, **kw)
        res['settings'][name] = {f'level_{l}': row(v.float().clamp(-1, 1)) for l, v in enumerate(vids)}
        res['settings'][name]['seconds'] = round(time.time() - t0, 1)
        Path(a.out).write_text(json.dumps(res, indent=1))
        print(f'{name}: {res["settings"][name]["seconds"]} s', flush=True)
    keys = ['speed', 'steadiness', 'evenness', 'tracked', 'one_object']
    print('| setting | level | ' + ' | '.join(keys) + ' |\n|---|---|' + '---|' * len(keys))
    for name, rows in [('data', res['data'])] + list(res['settings'].items()):
        for l in range(L):
            r = rows[f'level_{l}']
            print(f'| {name} | {l} | ' + ' | '.join(f'{r[k]:.3f}' for k in keys) + ' |')


if __name__ == '__main__':
    main()
