"""The README's first picture: the shipped models drawing new videos, animated, at GitHub's width.

Three rows, each sampled here at its model card's sampler and steps (seeds 0 to 3 and seed 0, not chosen):
- `workshop-256`: one video through every level of its pyramid, 8x16x16 up to 16x256x256, each level shown at the
  same size (the coarser levels enlarged pixel by pixel, level 0's eight frames each shown twice);
- `workshop`: one video per class at its finest level, 16x64x64;
- `workshop-text`: one video per prompt at its finest level.
Written as an animated GIF (one palette for all frames, Pillow), with the seconds each row took printed and kept beside it.

Usage: python tools/readme_picture.py [--out nbs/images/readme.gif] [--threads 2]
"""
import argparse, json, time
from pathlib import Path

import torch
import torch.nn.functional as F
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from hpdm_nb.weights import load_pretrained
from hpdm_nb.pretrained import card_sampler, card_steps
from hpdm_nb.sampling import sample_pyramid
from hpdm_nb.shapes import SHAPE_KINDS
from hpdm_nb.text import TextEncoder, SHAPE_PROMPTS

ROOT = Path(__file__).resolve().parent.parent


def to_frames(v: torch.Tensor, frames: int = 16) -> torch.Tensor:
    "`C,T,H,W` in [-1, 1] -> `frames,H,W,C` in [0, 1], time repeated to `frames`."
    v = F.interpolate(v[None].float(), size=(frames, *v.shape[2:]), mode='nearest')[0]
    return ((v.clamp(-1, 1) + 1) / 2).permute(1, 2, 3, 0)


def draw(name: str, n: int, **kw) -> tuple[list, float]:
    "Sample `n` videos of shipped model `name` at its card's settings; every level and the seconds it took."
    model, t0 = load_pretrained(name), time.perf_counter()
    levels = sample_pyramid(model, n, seeds=range(n), steps=card_steps(name), progress=False, **card_sampler(name), **kw)
    return levels, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default='nbs/images/readme.gif')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--colours', type=int, default=160, help="the GIF's palette, shared by every frame")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    big, t_big = draw('workshop-256', 1, labels=torch.tensor([0]))
    small, t_small = draw('workshop', 4, labels=torch.arange(4))
    text, t_text = draw('workshop-text', 4, prompts=list(SHAPE_PROMPTS), text_encoder=TextEncoder('minilm'))
    rows = [([to_frames(v[0]) for v in big],
             [f"level {l}: {'x'.join(map(str, v.shape[2:]))}" for l, v in enumerate(big)],
             f'workshop-256: one video, every level of its pyramid ({t_big:.0f} s)'),
            ([to_frames(v) for v in small[-1]], [f'a {k}' for k in SHAPE_KINDS],
             f'workshop: one video per class, 16x64x64 ({t_small / 4:.0f} s a video)'),
            ([to_frames(v) for v in text[-1]], [p.replace(' moving', '\nmoving') for p in SHAPE_PROMPTS],
             f'workshop-text: one video per prompt ({t_text / 4:.0f} s a video)')]
    cols = max(len(r[0]) for r in rows)
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.6 * cols, 2.1 * len(rows) + 0.3), dpi=100, squeeze=False)
    ims = []
    for (vids, labels, title), ax_row in zip(rows, axes):
        for j, ax in enumerate(ax_row):
            ax.set_xticks([]); ax.set_yticks([])
            if j >= len(vids): ax.axis('off'); continue
            ims.append((ax.imshow(vids[j][0].numpy(), interpolation='nearest'), vids[j]))
            ax.set_xlabel(labels[j], fontsize=8)
        ax_row[0].set_title(title, loc='left', fontsize=10)
    fig.suptitle('hpdm_nb: the shipped models drawing new videos on a 2-core CPU (seeds 0 to 3, not chosen)', fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.91, bottom=0.06, wspace=0.06, hspace=0.5)

    out = ROOT / a.out
    out.parent.mkdir(parents=True, exist_ok=True)
    frames = []
    for t in range(16):
        for im, v in ims: im.set_data(v[t].numpy())
        fig.canvas.draw()
        frames.append(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()))
    # one palette for every frame, without dithering: the samples' grain would otherwise make every frame new to LZW
    mosaic = Image.fromarray(np.concatenate([np.asarray(f) for f in frames], 0))
    palette = mosaic.quantize(colors=a.colours, method=Image.Quantize.FASTOCTREE)
    gif = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    gif[0].save(out, save_all=True, append_images=gif[1:], duration=160, loop=0, optimize=True)
    seconds = {'workshop-256 (one video)': round(t_big, 1), 'workshop (four videos)': round(t_small, 1),
               'workshop-text (four videos)': round(t_text, 1), 'threads': a.threads}
    out.with_suffix('.json').write_text(json.dumps(seconds, indent=1) + '\n')
    print(f'wrote {out} ({out.stat().st_size / 1e6:.2f} MB); seconds: {seconds}')


if __name__ == '__main__':
    main()
