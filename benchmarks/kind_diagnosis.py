"""Where a MovingShapes model decides an object's kind, and whether it reads its label there.

The quality bar's "right kind" (nbs/09b) stays at chance for the pretrained `workshop` model at every level. This
script looks at level 0, where the whole video is invented, in three ways, with the bar's `KindJudge` (fitted on
512 training videos, as `evaluate_model` does):

1. **Denoising held-out videos.** Held-out level-0 videos plus noise of one sigma, denoised once with their own label
   and with each of the three wrong ones. Prints the error over sigma^2 (1 is what returning the noisy input scores),
   the share judged to be of their own kind, the share judged to be of the *wrong* label's kind beside the share a
   model deaf to its label would score (how often the judge names that kind anyway, under the own label), and how
   much a wrong label raises the denoising error.
2. **From which noise level on is the kind lost?** Held-out videos plus noise of sigma `s`, then the deterministic
   Heun sampler from `s` down to 0 with their own label (an SDEdit): kind, one object per frame and foreground of the
   result. Sigma 80 is pure noise, as in sampling.
3. **Does the label change the samples?** Level 0 sampled from pure noise for `--n / 4` seeds under each of the four
   labels: the mean pixel difference between the labels (same seed) over that between seeds (same label), and which
   kinds the judge sees.

Usage: python benchmarks/kind_diagnosis.py pretrained:workshop --data runs/workshop-64/eval_data.pt [--n 64]
       python benchmarks/kind_diagnosis.py runs/workshop-64-b32/snapshots/step_0001000.safetensors --data ...
Results merge into --out (JSON), keyed by the model given.
"""
import argparse, json, time
from pathlib import Path
import numpy as np
import torch
from hpdm_nb.weights import load_model
from hpdm_nb.patches import level_video
from hpdm_nb.quality import data_judge
from hpdm_nb.shapes import object_stats
from hpdm_nb.tiled_denoiser import TiledDenoiser
from hpdm_nb.samplers import SAMPLERS
from hpdm_nb.diffusion import get_sigmas_karras
from hpdm_nb.sampling import sample_pyramid


def denoising(model, judge, held, labels, sigmas, gen) -> list[dict]:
    pyr, K = model.cfg.pyramid, model.cfg.n_classes
    rows = []
    for s in sigmas:
        y = held + s * torch.randn(held.shape, generator=gen)
        out, own = {}, None
        for shift in range(K):
            lab = (labels + shift) % K
            den = TiledDenoiser(model, 0, [], lab, None, None, 1.0, stride=pyr.patch, batch=len(lab))
            x0 = den(y, torch.tensor(s))
            pred = judge.predict(x0)
            if shift == 0: own = pred
            out[shift] = (((x0 - held) ** 2).mean().item(), (pred == lab).float().mean().item(),
                          (pred == labels).float().mean().item())
        wrong = [out[k] for k in range(1, K)]
        # how often the judge names a wrong label's kind anyway, under the own label: the share a deaf model scores
        deaf = float(np.mean([(own == (labels + k) % K).float().mean().item() for k in range(1, K)]))
        rows.append(dict(sigma=s, mse_over_sigma2=out[0][0] / s ** 2, own_kind=out[0][1],
                         wrong_label_followed=float(np.mean([w[1] for w in wrong])), wrong_label_if_ignored=deaf,
                         wrong_label_own_kind=float(np.mean([w[2] for w in wrong])),
                         wrong_label_loss_ratio=float(np.mean([w[0] for w in wrong]) / out[0][0])))
    return rows


def sdedit(model, judge, held, labels, starts, steps, gen) -> list[dict]:
    pyr = model.cfg.pyramid
    den = TiledDenoiser(model, 0, [], labels, None, None, 1.0, stride=pyr.patch, batch=len(labels))
    rows = []
    for s in starts:
        n = max(8, round(steps * np.log(s / 0.002) / np.log(80 / 0.002)))  # the sampler's step density below s
        x = held + s * torch.randn(held.shape, generator=gen)
        out = SAMPLERS['heun'](den, x, get_sigmas_karras(n, 0.002, s, 7.0), disable=True)
        o = object_stats(out)
        rows.append(dict(start_sigma=s, steps=n, kind=judge.accuracy(out, labels), one_object=o['one_object'],
                         foreground=o['foreground']))
    return rows


def label_effect(model, judge, n_seeds, steps) -> dict:
    K = model.cfg.n_classes
    V = torch.stack([sample_pyramid(model, n_seeds, labels=torch.full((n_seeds,), c), seeds=list(range(n_seeds)),
                                    steps=steps, levels=1, progress=False)[0].clamp(-1, 1) for c in range(K)])
    iu = np.triu_indices(K, 1)
    between_labels = (V[:, None] - V[None]).abs().mean(dim=(2, 3, 4, 5, 6))[iu].mean().item()
    ju = np.triu_indices(n_seeds, 1)
    between_seeds = np.mean([(V[c][:, None] - V[c][None]).abs().mean(dim=(2, 3, 4, 5))[ju].mean().item()
                             for c in range(K)])
    judged = torch.stack([judge.predict(V[c]) for c in range(K)])
    acc = float((judged == torch.arange(K)[:, None]).float().mean())
    hist = {('no object' if k < 0 else judge.classes[k]): int((judged == k).sum()) for k in range(-1, K)}
    return dict(between_labels=between_labels, between_seeds=float(between_seeds),
                ratio=between_labels / float(between_seeds), kind=acc, judged_as=hist)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('model', help='pretrained:NAME, a run folder, or a snapshot file')
    ap.add_argument('--data', required=True, help="a run's eval_data.pt (`hpdm_nb.quality.shapes_data`)")
    ap.add_argument('--n', type=int, default=64, help='held-out videos (parts 1, 2) and samples (part 3)')
    ap.add_argument('--steps', type=int, default=64, help='level-0 sampler steps from sigma 80')
    ap.add_argument('--sigmas', default='0.3,0.7,1.5,3,6')
    ap.add_argument('--starts', default='0.7,1.5,3,6,80')
    ap.add_argument('--out', default='benchmarks/kind_diagnosis.json')
    a = ap.parse_args()
    torch.set_grad_enabled(False)
    t0 = time.time()
    model = load_model(a.model)[0]  # pretrained:NAME, a run folder (its EMA) or a snapshot file
    if not model.cfg.n_classes: raise SystemExit(f'{a.model} is not class-conditional')
    pyr = model.cfg.pyramid
    data = torch.load(a.data)
    judge = data_judge(data, 512, pyr, 0)  # the bar's judge, fitted at level 0's resolution
    if len(data['held']) < a.n: raise SystemExit(f"--n {a.n}: {a.data} holds only {len(data['held'])} held-out videos")
    held, labels = level_video(data['held'][:a.n], pyr, 0), data['held_labels'][:a.n]
    res = dict(n=a.n, data_kind=judge.accuracy(held, labels),
               denoising=denoising(model, judge, held, labels, [float(s) for s in a.sigmas.split(',')],
                                   torch.Generator().manual_seed(0)),
               sdedit=sdedit(model, judge, held, labels, [float(s) for s in a.starts.split(',')], a.steps,
                             torch.Generator().manual_seed(1)),
               labels=label_effect(model, judge, a.n // model.cfg.n_classes, a.steps), seconds=time.time() - t0)
    print(f'{a.model}: level 0, {a.n} held-out videos; the judge calls {res["data_kind"]:.0%} of them right')
    print('1. denoised once | sigma | error / sigma^2 | own label: judged own kind | wrong label: judged its kind '
          '(if ignored) | wrong label: error over own label\'s')
    for r in res['denoising']:
        print(f"   | {r['sigma']:g} | {r['mse_over_sigma2']:.3f} | {r['own_kind']:.0%} | "
              f"{r['wrong_label_followed']:.0%} ({r['wrong_label_if_ignored']:.0%}) | {r['wrong_label_loss_ratio']:.2f}")
    print('2. sampled down from data + noise | start sigma | steps | right kind | one object | foreground')
    for r in res['sdedit']:
        print(f"   | {r['start_sigma']:g} | {r['steps']} | {r['kind']:.0%} | {r['one_object']:.0%} | {r['foreground']:.1%}")
    lb = res['labels']
    print(f"3. samples under each label: difference between labels / between seeds = {lb['between_labels']:.3f} / "
          f"{lb['between_seeds']:.3f} = {lb['ratio']:.2f}; right kind {lb['kind']:.0%}; judged as {lb['judged_as']}")
    out = Path(a.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    results[a.model] = res
    out.write_text(json.dumps(results, indent=1))
    print(f'({res["seconds"]:.0f} s; written to {out})')


if __name__ == '__main__':
    main()
