"""How the sampler's settings change what a pretrained model draws: classifier-free guidance, level 0's stochastic
churn, its step count, tile overlap, coarse starts and the finer levels' sampler, measured with the quality bar's measurements (nbs/09b) on the
same seeds for every setting.

Every combination of --guidance, --churn, --steps, --overlap, --coarse-start and --fine-sampler samples --n videos (seeds --seed
onwards, labels cycling through the classes) with `hpdm_nb.quality.evaluate_model` and prints one row per level: one
object, objects per frame, foreground, right kind, copy ratio, token-border ratios and grain over the data's.
Results merge into --out (JSON); settings already there are printed, not sampled again.

Usage: python benchmarks/sampler_sweep.py pretrained:workshop --data runs/workshop-64/eval_data.pt [--n 16]
       [--levels 1] [--guidance 1,2,3] [--churn 0,40] [--steps 64] [--overlap none,spatial]
       [--coarse-start none,0.5] [--fine-sampler euler,heun] [--out benchmarks/sampler_sweep.json]
"""
import argparse, itertools, json, time
from pathlib import Path
import torch
from hpdm_nb.weights import load_pretrained
from hpdm_nb.pretrained import model_card
from hpdm_nb.quality import shapes_data, evaluate_model


def floats(s): return [float(x) for x in s.split(',')]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('model', help='pretrained:NAME')
    ap.add_argument('--data', help="a run's eval_data.pt (`shapes_data` of the model's training set); made if absent")
    ap.add_argument('--n', type=int, default=16)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--levels', type=int, help='measure only the first this many levels (default: all)')
    ap.add_argument('--guidance', type=floats, default=[1.0])
    ap.add_argument('--churn', type=floats, default=[40.0], help="level 0's s_churn (EDM's stochastic sampler)")
    ap.add_argument('--steps', type=lambda s: [int(x) for x in s.split(',')], default=[64])
    ap.add_argument('--overlap', type=lambda s: s.split(','), default=['none'],
                    help="tile overlap of the finer levels: none, spatial, full (sample_pyramid's overlap)")
    ap.add_argument('--coarse-start', type=lambda s: [None if x == 'none' else float(x) for x in s.split(',')],
                    default=[None], help='finer levels start from the upsampled coarser level plus noise of this sigma '
                                         "(sample_pyramid's coarse_start; none: from pure noise, as the paper)")
    ap.add_argument('--fine-sampler', type=lambda s: s.split(','), default=['euler'],
                    help="the finer levels' sampler: euler (the paper's reading, the default) or heun")
    ap.add_argument('--out', default='benchmarks/sampler_sweep.json')
    a = ap.parse_args()
    if not a.model.startswith('pretrained:'): raise SystemExit('give the model as pretrained:NAME')
    name = a.model.split(':', 1)[1]
    model = load_pretrained(name)
    if a.data and Path(a.data).exists(): data = torch.load(a.data)
    else:
        d = model_card(name)['config']['train']
        data = shapes_data(d['n_videos'], model.cfg.target, d['data_seed'], progress=True)
        if a.data: torch.save(data, a.data)
    out = Path(a.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    torch.set_grad_enabled(False)
    print(f'{a.model}: {a.n} samples per setting; per level: one object · objects/frame · foreground · right kind · '
          "copy ratio · token borders t/h/w over the data's · grain over the data's")
    for w, c, st, ov, cs, fs in itertools.product(a.guidance, a.churn, a.steps, a.overlap, a.coarse_start, a.fine_sampler):
        key = f'{name} guidance={w:g} churn={c:g} steps={st} n={a.n} seed={a.seed} levels={a.levels}'
        if ov != 'none': key += f' overlap={ov}'
        if cs is not None: key += f' coarse_start={cs:g}'
        if fs != 'euler': key += f' fine_sampler={fs}'
        if key not in results:
            t0 = time.time()
            res = evaluate_model(model, data, n=a.n, seed=a.seed, guidance=w, s_churn=c, steps=st, levels=a.levels,
                                 overlap=None if ov == 'none' else ov, coarse_start=cs, samplers=('heun', fs))
            results[key] = dict(report=res['report'], seconds=time.time() - t0)
            out.write_text(json.dumps(results, indent=1))
        r = results[key]
        for lv, row in r['report'].items():
            s, q = row['samples'], row['ratios']
            br = '/'.join(f"{q[k]:.2f}" for k in ('border_ratio_t', 'border_ratio_h', 'border_ratio_w'))
            print(f"guidance {w:g}, churn {c:g}, {st} steps, overlap {ov}, coarse start {cs}, finer levels {fs}, {lv}: "
                  f"{s['one_object']:.0%} · {s['objects_per_frame']:.2f} · {s['foreground']:.1%} · {s['kind_accuracy']:.0%} · {q['copy']:.2f} · {br} · {q['grain']:.2f}"
                  f"  ({r['seconds']:.0f} s)", flush=True)


if __name__ == '__main__':
    main()
