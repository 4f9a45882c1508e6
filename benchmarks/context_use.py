"""How well a trained model's finer levels use their finished coarser levels (benchmarks/README.md, "Finished context").

At inference a finer level is drawn beside coarser levels that are finished (shown at sigma = 0.002). This measures,
on held-out MovingShapes videos:

1. `--table`: level 1's loss for every pair of level-0 and level-1 noise levels, and level 2's loss with levels 0 and 1
   at one noise level: does the model use its context, and does a clean context suit it?
2. the mean square error of the model's estimate of level 1 (and 2) at a high noise level beside finished coarser
   levels, against the simplest estimate there is: the finished coarser level upsampled. A model that uses its
   context well is never worse than that.
3. `--kind`: the kind drawn at levels 1 and 2, and frames with one object, when level 0 is the data's own, from pure
   noise and from `coarse_start=0.5` (`--starts`).

Usage: python benchmarks/context_use.py pretrained:workshop [runs/X/snapshots/step_N.safetensors ...] [--n 32]
       [--table] [--kind] [--starts none,0.5,0.1] [--threads 2]
"""
import argparse, time
import torch, torch.nn.functional as F
from hpdm_nb.weights import load_model
from hpdm_nb.loss import pyramid_loss
from hpdm_nb.patches import sample_starts, extract_patches, level_video
from hpdm_nb.quality import shapes_data, data_judge, object_stats
from hpdm_nb.sampling import sample_pyramid

FINISHED = 0.002  # the sampler's noise level of a finished level (TiledDenoiser's context_sigma)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('models', nargs='+', help='pretrained:NAME, run folders or snapshots (three-level MovingShapes models)')
    ap.add_argument('--n', type=int, default=32, help='held-out videos')
    ap.add_argument('--n-videos', type=int, default=4096, help='training videos the models saw (the data seed is 0)')
    ap.add_argument('--table', action='store_true', help='also the loss table over pairs of noise levels')
    ap.add_argument('--kind', action='store_true', help='also sample levels 1 and 2 given the data\'s level 0')
    ap.add_argument('--starts', default='none,0.5', help="with --kind: the finer levels' starts, 'none' (pure noise) "
                                                        "or a coarse_start sigma, comma-separated")
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for src in a.models:
        m, _ = load_model(src)
        pyr = m.cfg.pyramid
        if pyr.n_levels != 3: raise SystemExit(f'{src}: this benchmark reads three-level models; it has {pyr.n_levels}')
        data = shapes_data(a.n_videos, m.cfg.target, 0, n_held=a.n)
        held, lab = data['held'].float(), data['held_labels']
        g = torch.Generator().manual_seed(0)
        starts = sample_starts(pyr, a.n, g)
        pat = extract_patches(held, pyr, starts)
        noises = [torch.randn(p.shape, generator=g) for p in pat]

        def run(sigmas):
            with torch.no_grad():
                return pyramid_loss(m, held, lab, starts=starts, sigmas=sigmas, noises=noises, label_dropout=0.0,
                                    self_cond_prob=0.0)
        if a.table:
            ctx = [0.002, 0.05, 0.3, 1.5, 10, 200]
            print(f'\n{src}: level-1 loss; rows: level-1 sigma, columns: level-0 sigma', ctx)
            for s1 in [0.2, 1.0, 5.0, 20.0]:
                print(f'{s1:5g}', ' '.join(f'{run([s0, s1, 1.0]).per_level[1]:.4f}' for s0 in ctx), flush=True)
            print(f'{src}: level-2 loss; rows: level-2 sigma, columns: the sigma of levels 0 and 1', ctx)
            for s2 in [0.2, 1.0, 5.0, 20.0]:
                print(f'{s2:5g}', ' '.join(f'{run([c, c, s2]).per_level[2]:.4f}' for c in ctx), flush=True)
        lv = [level_video(held, pyr, l) for l in range(3)]
        up = [F.interpolate(lv[l - 1], size=pyr.resolution(l), mode='trilinear', align_corners=False) for l in (1, 2)]
        base = [((u - v) ** 2).mean().item() for u, v in zip(up, lv[1:])]
        cells = []
        for s in [2.0, 20.0, 80.0]:
            e1 = ((run([FINISHED, s, FINISHED]).denoised[1] - pat[1]) ** 2).mean()
            e2 = ((run([FINISHED, FINISHED, s]).denoised[2] - pat[2]) ** 2).mean()
            cells.append(f'{e1:.4f} / {e2:.4f}')
        print(f'{src}: mean square error of levels 1 / 2 beside finished coarser levels, at sigma 2, 20, 80: '
              + ' | '.join(cells) + f'  (the coarser level upsampled: {base[0]:.4f} / {base[1]:.4f})', flush=True)
        if a.kind:
            judges = {l: data_judge(data, 512, pyr, l) for l in (1, 2)}
            for st in a.starts.split(','):
                kw = {} if st.strip() == 'none' else dict(coarse_start=float(st))
                t = time.time()
                v = sample_pyramid(m, a.n, labels=lab, seeds=range(a.n), steps=64, given=lv[:1], progress=False, **kw)
                print(f'{src}: given the data\'s level 0, {kw or "pure noise"}: right kind',
                      ' / '.join(f'{judges[l].accuracy(v[l], lab):.0%}' for l in (1, 2)), '; one object',
                      ' / '.join(f"{object_stats(v[l].clamp(-1, 1))['one_object']:.0%}" for l in (1, 2)),
                      f'({time.time() - t:.0f} s)', flush=True)


if __name__ == '__main__': main()
