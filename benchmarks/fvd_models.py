"""FVD of trained models against their training data (nbs/12), beside the FVD of held-out data at the same sizes.

    python benchmarks/fvd_models.py pretrained:workshop [runs/demo ...] --n-real 512 --n-fake 128 [--card]
        [--paper-sampler] [--keep runs/fvd_samples] [--guidance 3,1,1 --coarse-start 0.1 ...: the sampler options of hpdm_sample]

For each model: its training videos (a seeded subset of --n-real) are the real side, --n-fake samples (seeds 0, 1, ...,
classes in turn, 64 level-0 steps; a pretrained model with the sampler settings of its card, others with the paper's,
or the paper's for every model with --paper-sampler) the fake side. The same number of held-out videos of the same dataset (the videos
after the training set) against the same real side gives the floor: the FVD of a perfect model with this few videos.
With --card, the pretrained model's result is written into its model card (card.json and README.md).
Results go to benchmarks/fvd_models.json (one entry per model).
"""
import argparse, json, sys, time
from pathlib import Path

import torch

from hpdm_nb.shapes import MovingShapes
from hpdm_nb.fvd import FVDProtocol, evaluate_fvd, frechet_distance
from hpdm_nb.i3d import i3d_features, load_i3d
from hpdm_nb.weights import load_model
from hpdm_nb.sampling import sampler_args, sampler_settings


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('models', nargs='+', help='pretrained:NAME, run folders or export folders')
    ap.add_argument('--n-real', type=int, default=512)
    ap.add_argument('--n-fake', type=int, default=128)
    ap.add_argument('--steps', type=int, default=64)
    ap.add_argument('--card', action='store_true', help='write the result into the pretrained model card')
    ap.add_argument('--keep', help='a folder for finished chunks of samples (one subfolder per model): a killed run resumes')
    ap.add_argument('--paper-sampler', action='store_true', help="sample pretrained models as the paper does, not as their card")
    sampler_args(ap)  # a setting given here replaces the card's (or the paper's, with --paper-sampler)
    a = ap.parse_args()
    given = {k: v for k, v in vars(a).items() if k in sampler_settings(argparse.Namespace())}
    out = Path(__file__).with_name('fvd_models.json')
    results = json.loads(out.read_text()) if out.exists() else {}
    i3d = load_i3d()
    for src in a.models:
        card = {}
        if src.startswith('pretrained:'):
            from hpdm_nb.weights import pretrained_folder
            from hpdm_nb.pretrained import card_sampler
            model, info = load_model(pretrained_folder(src.split(':', 1)[1]))
            if not a.paper_sampler: card = card_sampler(src.split(':', 1)[1])
        else: model, info = load_model(src)
        sampler = sampler_settings(a, card)
        p = FVDProtocol(n_real=a.n_real, n_fake=a.n_fake)
        t0 = time.time()
        keep = Path(a.keep) / src.replace(':', '_').replace('/', '_') if a.keep else None
        r = evaluate_fvd(model, info, p, a.steps, i3d=i3d, keep=keep, **sampler)
        t = info['train']
        held = MovingShapes(t['n_videos'] + a.n_fake, size=(16, *model.cfg.target[1:]), seed=t['data_seed'])
        held = torch.stack([held[i]['video'] for i in range(t['n_videos'], t['n_videos'] + a.n_fake)])
        r['data_fvd'] = frechet_distance(r['features']['real'], i3d_features(held, i3d, total=len(held)))
        r.pop('features')
        r.update(model=src, step=info.get('step'), total_seconds=time.time() - t0)
        key = src + (' (paper sampler)' if a.paper_sampler and src.startswith('pretrained:') else '')
        results[key + ''.join(f', {k}={v}' for k, v in given.items())] = r
        out.write_text(json.dumps(results, indent=1))
        print(f"{src}: FVD {r['fvd']:.1f}; held-out data {r['data_fvd']:.1f} ({r['fake']} against {r['real']}; "
              f"{r['total_seconds']:.0f} s)", flush=True)
        if a.card and src.startswith('pretrained:'):
            from hpdm_nb.weights import pretrained_folder
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'tools'))
            from publish import card_markdown  # tools/publish.py: a maintainer's tool, not the library
            folder = pretrained_folder(src.split(':', 1)[1])
            card = json.loads((folder / 'card.json').read_text())
            card['fvd'] = {k: r[k] for k in ('fvd', 'data_fvd', 'protocol', 'real', 'fake', 'sampler')}
            (folder / 'card.json').write_text(json.dumps(card, indent=1))
            (folder / 'README.md').write_text(card_markdown(card))
            print(f'wrote the FVD into {folder}/README.md')


if __name__ == '__main__':
    main()
