"""How fast does one CPU (or GPU) train the pretrained workshop model? Eager against torch.compile, batch sizes, threads,
the pixel convolutions beside the tokenizer (`--pixel-conv 0,16`) with their residual blocks (`--pixel-blocks 0,2`),
and the level-0 U-Net (`--unet none,32.64.96`, nbs/13), trained with the rest or alone (`--train-only all,unet`).

Every variant is timed in the same run, interleaved, after warm-up (compilation is excluded from the per-step time and
reported separately). Per-video throughput is what matters for a fixed wall-clock budget: videos/s = batch / step time.

Usage: python benchmarks/train_step_speed.py [--preset workshop-64] [--batches 8,16,32] [--threads 1,2]
                                             [--compile 0,1] [--pixel-conv 0,16] [--pixel-blocks 0,2] [--repeats 5]
                                             [--unet none,32.64.96] [--train-only all,unet] [--device cpu]
"""
import argparse, statistics, time
from dataclasses import replace
import torch
from hpdm_nb.runconfig import resolve_config
from hpdm_nb.model import HPDM
from hpdm_nb.loss import pyramid_loss
from hpdm_nb.shapes import MovingShapes
from hpdm_nb.distributed import freeze_except


class Step:
    "One training step (pyramid loss, backward, clip, AdamW step) of a fresh model on MovingShapes videos."
    def __init__(self, mcfg, batch, compile_, device, train_only=''):
        torch.manual_seed(0)
        self.model = HPDM(mcfg).to(device)
        freeze_except(self.model, train_only)
        self.net = torch.compile(self.model) if compile_ else self.model
        self.opt = torch.optim.AdamW([p for p in self.model.parameters() if p.requires_grad], lr=1e-4)
        ds = MovingShapes(batch, size=mcfg.target)
        self.videos = torch.stack([ds[i]['video'] for i in range(batch)]).to(device)
        self.labels = torch.arange(batch, device=device) % mcfg.n_classes
        self.device = torch.device(device)
        self.calls = 0

    def __call__(self):
        g = torch.Generator().manual_seed(self.calls); self.calls += 1
        loss = pyramid_loss(self.net, self.videos, self.labels, generator=g).loss
        self.opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0); self.opt.step()
        if self.device.type == 'cuda': torch.cuda.synchronize(self.device)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--preset', default='workshop-64')
    ap.add_argument('--batches', default='8,16,32')
    ap.add_argument('--threads', default='2')
    ap.add_argument('--compile', default='0,1')
    ap.add_argument('--pixel-conv', default=None, help="pixel_conv widths to compare (default: the preset's)")
    ap.add_argument('--pixel-blocks', default=None, help="pixel_blocks counts to compare (default: the preset's)")
    ap.add_argument('--unet', default=None, help="level0_unet widths to compare, 'none' or dot-separated (default: the preset's)")
    ap.add_argument('--train-only', default='all', help="'all' and/or parameter prefixes to train alone, comma-separated")
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('overrides', nargs='*', help='key=value model settings')
    a = ap.parse_args()
    mcfg, _ = resolve_config(a.preset, a.overrides)
    print(f'{mcfg.name}: target {mcfg.target}, patch {mcfg.patch}, {mcfg.n_levels} levels, device {a.device}')
    pcs = [mcfg.pixel_conv] if a.pixel_conv is None else list(map(int, a.pixel_conv.split(',')))
    pbs = [mcfg.pixel_blocks] if a.pixel_blocks is None else list(map(int, a.pixel_blocks.split(',')))
    unets = [mcfg.level0_unet] if a.unet is None else [() if u == 'none' else tuple(map(int, u.split('.')))
                                                         for u in a.unet.split(',')]
    variants = [(b, t, c, p, k, u, o) for b in map(int, a.batches.split(',')) for t in map(int, a.threads.split(','))
                for c in map(int, a.compile.split(',')) for p in pcs for k in pbs if p or not k
                for u in unets for o in a.train_only.split(',') if u or o != 'unet']
    steps, times = {}, {v: [] for v in variants}
    for v in variants:
        b, t, c, p, k, u, o = v
        torch.set_num_threads(t)
        t0 = time.perf_counter()
        steps[v] = Step(replace(mcfg, pixel_conv=p, pixel_blocks=k, level0_unet=u), b, bool(c), a.device,
                        '' if o == 'all' else o)
        steps[v](); steps[v]()  # warm-up (and compilation)
        print(f'  batch {b:3d} threads {t} compile {c} pixel_conv {p} pixel_blocks {k} level0_unet {u or "none"} '
              f'training {o}: warm-up {time.perf_counter() - t0:6.1f} s', flush=True)
    for _ in range(a.repeats):
        for v in variants:
            torch.set_num_threads(v[1])
            t0 = time.perf_counter(); steps[v](); times[v].append(time.perf_counter() - t0)
    base = variants[0]
    base_vps = base[0] / statistics.median(times[base])
    print('\n| batch | threads | compile | pixel_conv | pixel_blocks | level0_unet | training | step (median) | videos/s | '
          'videos/s vs first row |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for v in variants:
        m = statistics.median(times[v])
        print(f'| {v[0]} | {v[1]} | {"yes" if v[2] else "no"} | {v[3]} | {v[4]} | {".".join(map(str, v[5])) or "none"} | {v[6]} '
              f'| {m * 1000:.0f} ms | {v[0] / m:.1f} | {v[0] / m / base_vps:.2f}x |')


if __name__ == '__main__':
    main()
