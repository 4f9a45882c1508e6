"""Learning curves of a MovingShapes run: the right kind, one object and grain per pyramid level against videos seen.

Every EMA snapshot of the run (`snapshot_every`, nbs/07b) is sampled with fixed seeds (`--n`, the sampler's options as
`hpdm_sample`'s) up to `--levels` levels and measured against held-out data (`hpdm_nb.quality.evaluate_model`, nbs/09b).
Results go to RUN/curve.json (written atomically after each snapshot, so a killed measurement resumes) and the plot to
RUN/curve.png. `--watch` keeps measuring the snapshots a training run writes beside it, until the run's last step.

Videos seen = step x batch_size x grad_accum, plus `--videos-before` for a run that started from trained weights.
For each level the script fits the right kind against log2(videos seen) over the last `--fit` points and prints how many
videos the line needs to reach `--goal-kind` (an extrapolation, to plan a budget: not a promise).

Usage: python benchmarks/learning_curves.py RUN [--levels 1] [--n 32] [--guidance 3] [--watch] [--videos-before 0]
"""
import argparse, json, math, os, sys, time
from pathlib import Path
import numpy as np
import torch
from hpdm_nb.config import HPDMConfig
from hpdm_nb.model import HPDM
from hpdm_nb.weights import read_weights
from hpdm_nb.quality import shapes_data, evaluate_model
from hpdm_nb.sampling import sampler_args, sampler_settings


def measure(run: Path, mcfg, data, snap: Path, a, sampler) -> dict:
    model = HPDM(mcfg); model.load_state_dict(read_weights(snap)); model.eval()
    res = evaluate_model(model, data, n=a.n, seed=a.seed, steps=a.steps, levels=a.levels, **sampler)
    out = dict(n=a.n, sampler={k: list(v) if isinstance(v, tuple) else v for k, v in sampler.items()}, seconds_per_video=res['seconds_per_video'])
    for lv, r in res['report'].items():
        s, d, q = r['samples'], r['data'], r['ratios']
        out[lv] = dict(kind=s['kind_accuracy'], one_object=s['one_object'], grain=q['grain'], copy=q['copy'],
                       data_kind=d['kind_accuracy'], data_one_object=d['one_object'])
    return out


def step_zero_videos(curve): return curve.get('videos_before')


def videos_seen(step, train, before): return step * train['batch_size'] * train['grad_accum'] + before


def fit(points, goal):
    "Slope of the right kind per doubling of videos, and the videos its line reaches `goal` at (None if it does not rise)."
    points = [p for p in points if p[0] > 0]
    if len(points) < 2: return None, None
    x, y = np.log2([p[0] for p in points]), np.array([p[1] for p in points])
    slope, icpt = np.polyfit(x, y, 1)
    return slope, (2 ** ((goal - icpt) / slope) if slope > 1e-4 else None)


def plot(run: Path, curve: dict, train: dict, a):
    "The curves of this run (and of the `--also` runs, read from their curve.json) as one figure, RUN/curve.png."
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt, matplotlib.ticker
    runs = [(run.name, curve, train, a.videos_before)]
    for other in a.also or []:
        o = Path(other)
        runs.append((o.name, json.loads((o / 'curve.json').read_text()), json.loads((o / 'config.json').read_text())['train'], 0))
    fig, axs = plt.subplots(1, 3, figsize=(12, 3.4))
    xs = [max(1, videos_seen(int(s), t, vb)) for _, c, t, vb in runs for s in c['points']]
    wide = max(xs) > 8 * min(xs)  # a log scale once the videos span more than three doublings
    for ax, key, title, goal in zip(axs, ('kind', 'one_object', 'grain'), ('right kind', 'frames with one object', 'grain over the data\'s'),
                                    (a.goal_kind, a.goal_one, a.goal_grain)):
        for name, c, t, vb in runs:
            steps = sorted(c['points'], key=int)
            for lv in sorted({k for s in steps for k in c['points'][s] if k.startswith('level_')}):
                pts = [(max(1, videos_seen(int(s), t, vb)), c['points'][s][lv][key]) for s in steps if lv in c['points'][s]]
                ax.plot(*zip(*pts), 'o-', ms=3, label=f'{name}, {lv.replace("_", " ")}' if len(runs) > 1 else lv.replace('_', ' '))
        ax.axhline(goal, ls='--', c='gray', lw=1, label='goal')
        ax.set(title=title, xlabel='videos seen' + (' (log scale)' if wide else ''), xscale='log' if wide else 'linear',
               ylabel=key.replace('_', ' '))
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f'{v / 1000:.0f}k'))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        if key != 'grain': ax.set_ylim(0, 1.02)
    axs[0].legend(fontsize=7)
    fig.suptitle(a.title or f'{run.name}: {curve["n"]} samples per point', fontsize=10)
    fig.tight_layout(); fig.savefig(run / 'curve.png', dpi=80); plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('run')
    ap.add_argument('--levels', type=int, default=None, help='sample this many levels (default: all)')
    ap.add_argument('--n', type=int, default=32)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--steps', type=int, default=64, help='level-0 sampler steps (halved per level)')
    ap.add_argument('--videos-before', type=int, default=0, help='videos the starting weights had seen')
    ap.add_argument('--start', help="also measure these weights as step 0 (the run's init_from, e.g. pretrained:workshop)")
    ap.add_argument('--fit', type=int, default=4, help='fit the extrapolation over this many last points')
    ap.add_argument('--goal-kind', type=float, default=0.9)
    ap.add_argument('--goal-one', type=float, default=0.95)
    ap.add_argument('--goal-grain', type=float, default=1.25)
    ap.add_argument('--watch', action='store_true', help='wait for new snapshots until the run reaches its last step')
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0: leave as is)')
    ap.add_argument('--title', help="the plot's title (default: the run's name and the samples per point)")
    ap.add_argument('--also', nargs='*', help='other measured runs to draw beside this one (their curve.json)')
    sampler_args(ap)
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    sampler = sampler_settings(a)
    run = Path(a.run)
    cfg = json.loads((run / 'config.json').read_text())
    mcfg, train = HPDMConfig.from_dict(cfg['model']), cfg['train']
    data = None  # rendered when a point is to be measured
    path = run / 'curve.json'
    curve = json.loads(path.read_text()) if path.exists() else dict(n=a.n, levels=a.levels, points={})
    if a.videos_before and step_zero_videos(curve) not in (None, a.videos_before):
        raise SystemExit(f'{path} was measured with --videos-before {curve["videos_before"]}')
    curve['videos_before'] = a.videos_before
    if curve['n'] != a.n or curve.get('levels') != a.levels:
        raise SystemExit(f'{path} holds {curve["n"]} samples of {curve.get("levels")} levels a point; measure with those, '
                         'or move it away')
    while True:
        snaps = [(int(s.stem.split('_')[1]), s) for s in sorted((run / 'snapshots').glob('step_*.safetensors'))]
        if a.start: snaps.insert(0, (0, a.start))
        for step, s in [(st, s) for st, s in snaps if str(st) not in curve['points']]:
            t0 = time.time()
            if data is None: data = shapes_data(train['n_videos'], mcfg.target, train['data_seed'], n_held=max(64, a.n))
            curve['points'][str(step)] = measure(run, mcfg, data, s, a, sampler)
            tmp = path.with_suffix('.json.tmp'); tmp.write_text(json.dumps(curve, indent=1)); os.replace(tmp, path)
            p = curve['points'][str(step)]
            cells = ' | '.join(f"{lv}: kind {p[lv]['kind']:.0%}, one {p[lv]['one_object']:.0%}, grain {p[lv]['grain']:.2f}"
                               for lv in sorted(k for k in p if k.startswith('level_')))
            print(f'step {step} ({videos_seen(step, train, a.videos_before):,} videos): {cells} ({time.time() - t0:.0f} s)', flush=True)
            plot(run, curve, train, a)
        last = max((int(s) for s in curve['points']), default=0)
        if not a.watch or last >= train['steps']: break
        time.sleep(60)
    plot(run, curve, train, a)
    pts = sorted(curve['points'], key=int)
    for lv in sorted({k for s in pts for k in curve['points'][s] if k.startswith('level_')}):
        xy = [(videos_seen(int(s), train, a.videos_before), curve['points'][s][lv]['kind']) for s in pts][-a.fit:]
        slope, need = fit(xy, a.goal_kind)
        if slope is None: continue
        print(f'{lv}: right kind {xy[-1][1]:.0%} at {xy[-1][0]:,} videos; {slope * 100:+.1f} points per doubling over the last '
              f'{len(xy)} points; {a.goal_kind:.0%} ' + (f'at about {need:,.0f} videos' if need else 'not reached by this line'))


if __name__ == '__main__':
    main()
