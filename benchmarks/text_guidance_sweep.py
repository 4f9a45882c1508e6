"""Text following of the shipped `workshop-text` against the guidance scale at level 0, written into its model card.

For each scale, the same held-out captions (the videos after the training set) prompt the model with the same seeds;
each sample's object is judged for colour and kind (`text_following`, nbs/11) against its own prompt and against a
shuffled prompt (chance). The sampler is the card's, with guidance `w` at level 0 and none at the finer levels, and
without overlapping tiles (they change the finest level's seams, not what object is drawn, and cost 3.4 times the
finer levels' time).

    python benchmarks/text_guidance_sweep.py [--scales 1,3,6] [--n 16] [--steps 64]

Writes `guidance_sweep` into hpdm_nb/weights/workshop-text/card.json and re-renders its README.md; nbs/11 plots it.
"""
import argparse, json, sys, time
from pathlib import Path

import torch

from hpdm_nb.weights import load_pretrained, pretrained_folder
from hpdm_nb.pretrained import model_card, card_sampler
from hpdm_nb.quality import shapes_data, data_judge
from hpdm_nb.sampling import sample_pyramid
from hpdm_nb.text import TextEncoder
from hpdm_nb.quality import text_following

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'tools'))
from publish import write_card  # tools/publish.py: a maintainer's tool, not the library


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--scales', default='1,3,6')
    ap.add_argument('--n', type=int, default=16, help='prompts per scale')
    ap.add_argument('--steps', type=int, default=64)
    a = ap.parse_args()
    name = 'workshop-text'
    model, card = load_pretrained(name), model_card(name)
    t = card['config']['train']
    data = shapes_data(t['n_videos'], model.cfg.target, t['data_seed'], n_held=a.n)
    prompts, judge, enc = data['held_captions'][:a.n], data_judge(data, 512), TextEncoder('minilm')
    sampler = {**card_sampler(name), 'overlap': 'none', 'blend': 'uniform'}
    sweep = {}
    for w in (float(x) for x in a.scales.split(',')):
        t0 = time.time()
        kw = {**sampler, 'guidance': (w, *[1.0] * (model.cfg.n_levels - 1))}
        v = sample_pyramid(model, a.n, prompts=prompts, text_encoder=enc, seeds=range(a.n), steps=a.steps,
                           progress=False, **kw)[-1]
        sweep[f'{w:g}'] = tf = text_following(v, prompts, judge)
        print(f"guidance {w:g} at level 0: colour/kind/both {tf['prompts']['colour']:.0%}/{tf['prompts']['kind']:.0%}/"
              f"{tf['prompts']['both']:.0%}, shuffled {tf['shuffled']['both']:.0%} ({time.time() - t0:.0f} s)", flush=True)
    card['guidance_sweep'] = sweep
    write_card(pretrained_folder(name), card)
    print(f'wrote guidance_sweep into {pretrained_folder(name) / "card.json"}')


if __name__ == '__main__':
    main()
