"""The paper's Table 3 in miniature: five architecture variants trained on the same budget and data.

Variants, as in Table 3: the default model, shallow fusion (`fusion='shallow'`), context detach
(`context_detach=True`), no adaptive computation (`levels_per_block='full'`), no coordinates in the fusion
(`fusion_coords=False`). Each trains the pretrained model's architecture (`workshop-64`: three levels up to 16x64x64)
from scratch with the same seed, data (MovingShapes), batch, schedule and number of steps, one after the other on
this machine. Judged by:
  - the per-level denoising loss on held-out videos (the same videos, patch positions, noise levels and noise for
    every variant; EMA weights), the measure that the short CPU budget can resolve;
  - the training speed (videos/s, median of the logged intervals after the first tenth of the run).
Table 3 judges by FVD@512 per level, which needs samples of converged models: a GPU job
(`hpdm_eval RUN --n 512` on each run folder).

Usage: python benchmarks/table3_ablation.py [--steps 600] [--out runs/table3]   (results: table3_ablation.json)
"""
import argparse, json, statistics, time
from pathlib import Path

import torch

from hpdm_nb.shapes import MovingShapes
from hpdm_nb.loss import pyramid_loss
from hpdm_nb.runconfig import resolve_config
from hpdm_nb.trainer import train, read_metrics
from hpdm_nb.weights import load_model
from hpdm_nb.draws import draw_sample_noise

VARIANTS = {'default': {}, 'shallow fusion': {'fusion': 'shallow'}, 'context detach': {'context_detach': True},
            'no adaptive computation': {'levels_per_block': 'full'}, 'no coordinates': {'fusion_coords': False}}
PAPER = {'default': (287.6, 376.6, 378.2, 4.4), 'shallow fusion': (298.9, 411.9, 467.0, 4.91),
         'context detach': (290.6, 375.0, 397.3, 4.4), 'no adaptive computation': (319.3, 391.5, 373.9, 2.73),
         'no coordinates': (305.3, 400.7, 389.5, 4.47)}  # FVD@512 at 16x64², 32x128², 64x256²; videos/s on an A100


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=600)
    ap.add_argument('--n-videos', type=int, default=1024)
    ap.add_argument('--n-held', type=int, default=64)
    ap.add_argument('--out', default='runs/table3')
    ap.add_argument('--seed', type=int, default=0, help='training seed (another seed measures run-to-run spread)')
    ap.add_argument('--variants', default=','.join(VARIANTS), help='comma-separated variant names')
    a = ap.parse_args()
    todo = {n: VARIANTS[n] for n in a.variants.split(',')}
    suffix = f'_seed{a.seed}' if a.seed else ''
    full = MovingShapes(a.n_videos + a.n_held, size=(16, 64, 64), seed=0)
    held = torch.stack([full[a.n_videos + i]['video'] for i in range(a.n_held)])
    held_labels = torch.tensor([full[a.n_videos + i]['label'] for i in range(a.n_held)])
    res = {}
    for name, over in todo.items():
        out = Path(a.out) / (name.replace(' ', '_') + suffix)
        mcfg, tcfg = resolve_config('workshop-64', {**over, 'out': str(out), 'steps': a.steps, 'n_videos': a.n_videos,
                                                    'warmup': 50, 'ema_half_life': 100, 'snapshot_every': 0,
                                                    'log_every': 10, 'ckpt_every': a.steps, 'seed': a.seed})
        t0 = time.time()
        train(mcfg, tcfg, progress=False)
        recs = read_metrics(out)
        speed = statistics.median(r['videos_per_s'] for r in recs if r['step'] > a.steps // 10)
        model, _ = load_model(out)
        # class-conditional: the held-out videos' own labels
        tot = torch.zeros(mcfg.n_levels)
        with torch.no_grad():
            for i in range(0, a.n_held, 16):
                v, lab = held[i:i + 16], held_labels[i:i + 16]
                draws = draw_sample_noise(mcfg, [10 ** 6 + i + j for j in range(len(v))])
                draws['drop_mask'][:] = False; draws['self_cond_mask'][:] = False
                tot += pyramid_loss(model, v, lab, **draws).per_level * len(v)
        loss = (tot / a.n_held).tolist()
        res[name] = dict(held_out_loss=loss, videos_per_s=speed, train_loss_last=recs[-1]['loss'],
                         seconds=time.time() - t0, paper=PAPER[name])
        print(f"{name:>24}: held-out loss per level {' / '.join(f'{x:.4f}' for x in loss)}; {speed:.1f} videos/s "
              f"({time.time() - t0:.0f} s)", flush=True)
        Path(__file__).with_name(f'table3_ablation{suffix}.json').write_text(json.dumps(dict(steps=a.steps, results=res), indent=1))
    if 'default' not in res: return
    d = res['default']
    print('\nagainst the default (ratio of held-out loss per level; speed ratio), and the paper\'s FVD ratios:')
    for name, r in res.items():
        ours = ' / '.join(f'{x / y:.3f}' for x, y in zip(r['held_out_loss'], d['held_out_loss']))
        paper = ' / '.join(f'{x / y:.3f}' for x, y in zip(r['paper'][:3], PAPER['default'][:3]))
        print(f"{name:>24}: loss {ours}, speed {r['videos_per_s'] / d['videos_per_s']:.2f}x | paper FVD {paper}, "
              f"speed {r['paper'][3] / PAPER['default'][3]:.2f}x")


if __name__ == '__main__':
    main()
