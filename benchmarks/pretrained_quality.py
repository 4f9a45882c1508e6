"""Quality of a MovingShapes run along its training, and the publishing of its final weights as a pretrained model.

For every EMA snapshot of the run (`snapshot_every`, nbs/07b) and its last checkpoint, samples `--n` videos with fixed
seeds and measures every pyramid level against held-out data (`hpdm_nb.quality.evaluate_model`): one object per
frame, the right kind, distance to the nearest training video, token-border ratios and grain. Prints one table row per
step and writes them to RUN/quality_vs_steps.json. With `--publish NAME` it then writes the final weights, in half
precision if that changes nothing measurable (it measures the difference), with a model card into hpdm_nb/weights/NAME
(`publish_pretrained` of tools/publish.py).

Text models (dim_text) are prompted with held-out captions, and their text following is measured too (nbs/11).

Usage: python benchmarks/pretrained_quality.py runs/workshop-64 [--n 64] [--steps 64] [--snapshots all|last|none]
       [--publish workshop --command "hpdm_train workshop-64"]
"""
import argparse, json, sys, time
from pathlib import Path
import torch
from hpdm_nb.config import HPDMConfig
from hpdm_nb.model import HPDM
from hpdm_nb.checkpoints import load_checkpoint, clean_state_dict
from hpdm_nb.weights import read_weights
from hpdm_nb.quality import shapes_data, evaluate_model
from hpdm_nb.weights import load_pretrained
from hpdm_nb.sampling import sampler_args, sampler_settings
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'tools'))
from publish import publish_pretrained, card_markdown  # tools/publish.py: a maintainer's tool, not the library


def row(step, res):
    cells = [str(step)]
    for lv, r in res['report'].items():
        s, q = r['samples'], r['ratios']
        br = '/'.join(f"{q[k]:.2f}" for k in ('border_ratio_t', 'border_ratio_h', 'border_ratio_w') if k in q)
        cells.append(f"{s['one_object']:.0%} · {'-' if s['kind_accuracy'] is None else format(s['kind_accuracy'], '.0%')} · {q['copy']:.2f} · {br} · {q['grain']:.2f}")
    tf = res.get('text_following')
    if tf:  # text models: right colour · right kind · both, with prompts as given and shuffled
        cells.append(' / '.join(f"{tf[w]['colour']:.0%} · {tf[w]['kind']:.0%} · {tf[w]['both']:.0%}" for w in ('prompts', 'shuffled')))
    return '| ' + ' | '.join(cells) + ' |'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('run')
    ap.add_argument('--n', type=int, default=64)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--steps', type=int, default=64, help='level-0 sampler steps (halved per level)')
    ap.add_argument('--snapshots', default='all', help="'all', 'none', or comma-separated steps")
    ap.add_argument('--snapshot-n', type=int, help='samples per snapshot (default --n)')
    ap.add_argument('--publish', help='publish the final weights under this name')
    ap.add_argument('--description', default='class-conditional MovingShapes, 3 levels up to 16x64x64')
    ap.add_argument('--command', default='hpdm_train workshop-64')
    ap.add_argument('--dest', help='publish into this folder instead of the package (for trying it out)')
    ap.add_argument('--note', action='append', default=[], help='a further paragraph for the model card (repeatable)')
    ap.add_argument('--weights', choices=['auto', 'float32', 'float16'], default='auto',
                    help='auto: float16 if it changes 8 samples by less than one grey level (measured), else float32')
    sampler_args(ap)  # --guidance, --churn, --coarse-start, --coarse-frames, --overlap, --blend (the library's defaults)
    ap.add_argument('--sweep', help='text models, with --publish: also measure text following at these guidance scales '
                                    '(comma-separated), into the card')
    ap.add_argument('--sweep-n', type=int, default=32, help='samples per guidance scale of --sweep')
    a = ap.parse_args()
    given, default = sampler_settings(a), sampler_settings(argparse.Namespace())
    sampler = {k: v for k, v in given.items()  # recorded in the results and card: these three always, the rest if set
               if k in ('guidance', 's_churn', 'coarse_start') or v != default[k]}
    run = Path(a.run)
    cfg = json.loads((run / 'config.json').read_text())
    mcfg = HPDMConfig.from_dict(cfg['model'])
    t = cfg['train']
    cache = run / 'eval_data.pt'
    if cache.exists() and 'held_captions' in (data := torch.load(cache, weights_only=False)): pass  # our own file
    else:
        data = shapes_data(t['n_videos'], mcfg.target, t['data_seed'], progress=True)
        torch.save(data, cache)
    results = json.loads((run / 'quality_vs_steps.json').read_text()) if (run / 'quality_vs_steps.json').exists() else {}
    snaps = sorted((run / 'snapshots').glob('step_*.safetensors'))
    if a.snapshots == 'none': snaps = []
    elif a.snapshots != 'all': snaps = [s for s in snaps if int(s.stem.split('_')[1]) in {int(x) for x in a.snapshots.split(',')}]
    ck = load_checkpoint(run / 'ckpt.pt')
    todo = [(int(s.stem.split('_')[1]), lambda s=s: read_weights(s)) for s in snaps]
    if int(ck['step']) not in [st for st, _ in todo] and not a.publish:  # --publish measures the shipped weights itself
        todo.append((int(ck['step']), lambda: clean_state_dict(ck['ema'])))
    print(f'{run}: {len(todo)} weights to measure, {a.n} samples each; cells: one object · right kind · copy ratio · '
          'token-border ratios over the data\'s (t/h/w) · grain over the data\'s')
    for step, get in todo:
        n = a.snapshot_n or a.n
        old = results.get(str(step))
        recorded = dict(guidance=1.0, s_churn=40.0, coarse_start=None, **(old or {}).get('sampler', {}))
        if old and old['n'] == n and all(recorded.get(k) == (list(v) if isinstance(v, tuple) else v) for k, v in sampler.items()):
            print(row(step, old)); continue
        model = HPDM(mcfg); model.load_state_dict(get()); model.eval()
        res = evaluate_model(model, data, n=n, seed=a.seed, steps=a.steps, **sampler)
        res.pop('levels')
        results[str(step)] = res
        (run / 'quality_vs_steps.json').write_text(json.dumps(results, indent=1))
        print(row(step, res), flush=True)
    if a.publish:
        sd = clean_state_dict(ck['ema'])
        full = HPDM(mcfg); full.load_state_dict(sd); full.eval()
        half = HPDM(mcfg); half.load_state_dict({k: v.half() for k, v in sd.items()}); half.eval()
        from hpdm_nb.sampling import sample_pyramid
        if mcfg.dim_text:
            from hpdm_nb.text import TextEncoder
            cond = dict(prompts=data['held_captions'][:8], text_encoder=TextEncoder('minilm'))
        else: cond = dict(labels=torch.arange(8) % mcfg.n_classes)
        kw = dict(**cond, seeds=range(a.seed, a.seed + 8), steps=a.steps, progress=False, **sampler)
        t0 = time.time()
        if a.weights == 'auto':
            s32 = sample_pyramid(full, 8, **kw)
            s16 = sample_pyramid(half, 8, **kw)
            diff = max(float((x - y).abs().max()) for x, y in zip(s32, s16))
            print(f'float16 weights against float32: largest difference of 8 samples {diff:.2e} ({time.time() - t0:.0f} s)')
            use_half = diff < 2 / 255  # below one 8-bit grey level of a written video
        else: diff, use_half, s32 = None, a.weights == 'float16', None  # the sheet shows the first 8 measured samples
        q = evaluate_model(half if use_half else full, data, n=a.n, seed=a.seed, steps=a.steps, **sampler)
        results[str(ck['step'])] = {k: v for k, v in q.items() if k != 'levels'}  # the shipped weights, measured
        (run / 'quality_vs_steps.json').write_text(json.dumps(results, indent=1))
        print(row(ck['step'], q), f'(shipped weights, {a.n} samples)', flush=True)
        steps_table = ['Quality along training (every level; one object · right kind · copy ratio · token-border '
                       'ratios t/h/w over the data\'s · grain over the data\'s; samples per row in the last column):', '',
                       '| step | ' + ' | '.join(f'level {l}' for l in range(mcfg.n_levels)) +
                       (' | text following: colour · kind · both (as given / shuffled)' if mcfg.dim_text else '') + ' | samples |',
                       '|---|' + '---|' * (mcfg.n_levels + 1 + bool(mcfg.dim_text))] + [row(s, results[s])[:-1] + f'| {results[s]["n"]} |'
                                                                  for s in sorted(results, key=int)]
        precision = (f'float16 weights change 8 samples (seeds {a.seed} to {a.seed + 7}) by at most {diff:.1e}: '
                     + ('less than one 8-bit grey level, so they are stored in float16.' if use_half else
                        'more than one 8-bit grey level, so they are stored in float32.')) if diff is not None else \
                    f'Weights stored in {a.weights} (--weights {a.weights}).'
        notes = [precision, *a.note] + (['\n'.join(steps_table)] if len(results) > 1 else [])
        extra = dict(dest=a.dest) if a.dest else {}
        folder = publish_pretrained(run, a.publish, a.description, a.command, half=use_half, quality=q, notes=notes, **extra)
        if not a.dest: load_pretrained(a.publish)  # the published folder loads as users will load it
        import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
        from hpdm_nb.video import level_sheet
        from hpdm_nb.shapes import SHAPE_KINDS
        names = ([f'"{c}"' for c in data['held_captions'][:8]] if mcfg.dim_text else
                 [f'{SHAPE_KINDS[i % 4]}, seed {a.seed + i}' for i in range(8)])
        shown = (s16 if use_half else s32) if s32 is not None else [v[:8] for v in q['levels']]
        fig = level_sheet([v.clamp(-1, 1) for v in shown], n=8, n_frames=8, names=names,
                          title=f'{a.publish}: 8 samples (seeds {a.seed} to {a.seed + 7}), every pyramid level')
        fig.savefig(folder / 'samples.png', dpi=55); plt.close(fig)
        from hpdm_nb.quality import data_judge
        card = json.loads((folder / 'card.json').read_text()); card['image'] = 'samples.png'
        if a.sweep and mcfg.dim_text:  # text following against the guidance scale, the shipped weights
            from hpdm_nb.quality import text_following
            model = half if use_half else full
            prompts = data['held_captions'][:a.sweep_n]
            judge = data_judge(data, 512)
            card['guidance_sweep'] = {}
            for w in (float(x) for x in a.sweep.split(',')):
                t0 = time.time()
                v = sample_pyramid(model, len(prompts), prompts=prompts, text_encoder=cond['text_encoder'],
                                   seeds=range(a.seed, a.seed + len(prompts)), steps=a.steps, guidance=w, s_churn=sampler['s_churn'],
                                   progress=False)[-1]
                card['guidance_sweep'][f'{w:g}'] = tf = text_following(v, prompts, judge)
                print(f"guidance {w:g}: colour/kind/both {tf['prompts']['colour']:.0%}/{tf['prompts']['kind']:.0%}/"
                      f"{tf['prompts']['both']:.0%}, shuffled {tf['shuffled']['both']:.0%} ({time.time() - t0:.0f} s)", flush=True)
        (folder / 'card.json').write_text(json.dumps(card, indent=1)); (folder / 'README.md').write_text(card_markdown(card))
        print(f'published {folder}; card: {folder / "README.md"}; frame sheet: {folder / "samples.png"}')


if __name__ == '__main__':
    main()
