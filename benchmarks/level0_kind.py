"""Level 0 of a class model, judged alone: one object and the right kind of its samples, beside the data's.

Level 0 decides what a pyramid draws (the finer levels follow it), so a new level-0 network is judged there first,
cheaply: --n level-0 samples (seeds 0 onwards, classes in turn, --steps Heun steps, guidance --guidance), the bar's
kind judge fitted on the model's training videos at level 0's resolution (nbs/09b `data_judge`), and held-out videos.

Usage: python benchmarks/level0_kind.py SOURCE [SOURCE ...] [--n 32] [--steps 32] [--guidance 3]
       (a SOURCE is anything `load_model` reads: pretrained:NAME, a run folder, a checkpoint)
"""
import argparse, json, time
import torch
from hpdm_nb.weights import load_model
from hpdm_nb.sampling import sample_pyramid
from hpdm_nb.patches import level_video
from hpdm_nb.shapes import object_stats
from hpdm_nb.quality import shapes_data, data_judge, motion_stats


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('sources', nargs='+')
    ap.add_argument('--n', type=int, default=32)
    ap.add_argument('--steps', type=int, default=32)
    ap.add_argument('--guidance', type=float, default=3.0)
    ap.add_argument('--n-train', type=int, default=512, help='training videos the judge is fitted on')
    a = ap.parse_args()
    rows, data, judge = {}, None, None
    for src in a.sources:
        model, info = load_model(src)
        cfg = model.cfg
        if data is None:
            t = info.get('train', {})
            data = shapes_data(min(t.get('n_videos', 4096), a.n_train), cfg.target, t.get('data_seed', 0))
            judge = data_judge(data, pyramid=cfg.pyramid, level=0)
            held = level_video(data['held'], cfg.pyramid, 0)
            o = object_stats(held)
            rows['data'] = dict(one_object=o['one_object'], kind=judge.accuracy(held, data['held_labels']),
                                **motion_stats(held))
        labels = torch.arange(a.n) % cfg.n_classes
        t0 = time.time()
        v = sample_pyramid(model, a.n, labels=labels, seeds=range(a.n), steps=a.steps, levels=1,
                           guidance=(a.guidance,) + (1.0,) * (cfg.n_levels - 1), progress=False)[0].float().clamp(-1, 1)
        o = object_stats(v)
        rows[src] = dict(one_object=o['one_object'], kind=judge.accuracy(v, labels), **motion_stats(v),
                         seconds=time.time() - t0)
        print(src, {k: round(x, 3) for k, x in rows[src].items()}, flush=True)
    print('| source | one object | right kind | speed | steadiness |\n|---|---|---|---|---|')
    for k, r in rows.items():
        print(f"| {k} | {r['one_object']:.0%} | {r['kind']:.0%} | {r['speed']:.3f} | {r['steadiness']:.3f} |")
    print(json.dumps(dict(n=a.n, steps=a.steps, guidance=a.guidance, rows=rows)))


if __name__ == '__main__':
    main()
