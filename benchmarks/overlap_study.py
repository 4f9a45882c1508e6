"""Table 4 in miniature: the finest level's seams under every overlap strategy, the blends and the moving grid.

Samples the same seeds with each variant of `hpdm_nb.seams.overlap_study` on a pretrained model and prints a
Markdown table: seams per axis (tile borders over the other token borders, over the data's ratio at the same
positions; 1 = no seam), the token grid per axis (token borders over inside tokens, over the data's), tiles per step,
seconds per video, and the paper's FVD for the same strategy (Table 4, 64x256x256).

Usage: python benchmarks/overlap_study.py [--model workshop] [--n 8] [--steps 32] [--held 64]
"""
import argparse, time
from hpdm_nb.weights import load_model
from hpdm_nb.weights import load_pretrained
from hpdm_nb.pretrained import held_out_videos
from hpdm_nb.seams import overlap_study, seam_score, PAPER_TABLE4, AXES, VARIANTS


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='workshop')
    ap.add_argument('--n', type=int, default=8)
    ap.add_argument('--steps', type=int, default=32)
    ap.add_argument('--held', type=int, default=64)
    ap.add_argument('--snapshot', help="the model's weights from this safetensors file instead (a snapshot of its run at another step)")
    ap.add_argument('--variants', help='comma-separated variant names (default: all)')
    a = ap.parse_args()
    model = load_model(a.snapshot)[0] if a.snapshot else load_pretrained(a.model)
    held = held_out_videos(a.model, a.held)
    t0 = time.time()
    variants = {k: VARIANTS[k] for k in a.variants.split(',')} if a.variants else None
    rows = overlap_study(model, held, variants, n=a.n, steps=a.steps)
    f = lambda v: '' if v is None else f'{v:.2f}'
    print(f'{a.snapshot or a.model}: {a.n} samples, seeds 0 to {a.n - 1}, {a.steps} level-0 steps; {time.time() - t0:.0f} s in all\n')
    print('| variant | seams t / h / w (÷ data) | mean | token grid t / h / w (÷ data) | tiles per step | s per video | paper FVD |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['variant']} | {' / '.join(f(r[f'seam_{x}']) for x in AXES)} | {seam_score(r):.3f} | "
              f"{' / '.join(f(r[f'grid_{x}']) for x in AXES)} | {r['tiles_per_step']:g} | {r['seconds_per_video']:.2f} | "
              f"{PAPER_TABLE4[r['variant']][1] if r['variant'] in PAPER_TABLE4 else ''} |")


if __name__ == '__main__':
    main()
