"""Cached against uncached sampling of the finer pyramid levels (HPDM §4.5; the paper: about 1.4x faster).

Times the tiled denoiser of the finest level, per denoising step, with the three cache modes of
`hpdm_nb.sampling.TiledDenoiser`, measured in one run and interleaved so that machine noise hits all modes alike:

- none:   every step recomputes the coarser levels' context patches together with the tiles;
- blocks: the coarser levels' block activations are computed once (the paper's cache); grid sampling every step;
- full:   the fusion's whole coarse-level part is computed once per tile (HPDM.cache_terms); no grid sampling per step.

The one-time cost of building each cache is printed too. Usage: python benchmarks/cached_sampling.py [--device cuda]
"""
import argparse, time, statistics
import torch
from hpdm_nb.config import get_config
from hpdm_nb.model import HPDM
from hpdm_nb.tiled_denoiser import TiledDenoiser, CACHES
from hpdm_nb.tile_grid import resolve_stride


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--config', default='workshop')
    ap.add_argument('--levels', type=int, default=3, help='pyramid levels (the finest is timed)')
    ap.add_argument('--overlap', default='none', choices=['none', 'spatial', 'full'])
    ap.add_argument('--batch', type=int, default=2, help='videos')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--device', default='cpu')
    a = ap.parse_args()
    torch.manual_seed(0)
    base = get_config(a.config)
    t, h, w = base.patch
    f = 2 ** (a.levels - 1)
    cfg = get_config(a.config, n_levels=a.levels, target=(t * f, h * f, w * f), levels_per_block='adaptive')
    model = HPDM(cfg).eval()
    with torch.no_grad():  # an untrained model outputs zeros (zero-initialised output layer): randomise it and the
        torch.nn.init.normal_(model.detokenizer.proj.weight, std=0.1)  # fusions, so that the modes' equality means something
        for f in model.fusions:
            if hasattr(f, 'proj'): f.proj.weight.add_(torch.randn_like(f.proj.weight) * 0.1)
    model = model.to(a.device)
    pyr, L = cfg.pyramid, a.levels - 1
    finished = [torch.randn(a.batch, 3, *pyr.resolution(l), device=a.device) * 0.5 for l in range(L)]
    labels = torch.arange(a.batch, device=a.device) % max(cfg.n_classes, 1) if cfg.n_classes else None
    stride = resolve_stride(pyr.patch, a.overlap)
    x = torch.randn(a.batch, 3, *pyr.resolution(L), device=a.device)
    sig = torch.full((a.batch,), 1.0, device=a.device)
    sync = torch.cuda.synchronize if a.device.startswith('cuda') else (lambda: None)
    dens, build = {}, {}
    for c in CACHES:
        sync(); t0 = time.perf_counter()
        dens[c] = TiledDenoiser(model, L, finished, labels, self_cond=True, stride=stride, cache=c)
        sync(); build[c] = time.perf_counter() - t0
        dens[c](x, sig)  # warm-up (and the first self-conditioning latents)
    times = {c: [] for c in CACHES}
    for _ in range(a.repeats):
        for c in CACHES:
            sync(); t0 = time.perf_counter(); dens[c](x, sig); sync(); times[c].append(time.perf_counter() - t0)
    out = {c: dens[c](x, sig) for c in CACHES}
    dev = max((out[c] - out['none']).abs().max().item() for c in CACHES)
    med = {c: statistics.median(v) for c, v in times.items()}
    n_params = sum(p.numel() for p in model.parameters())
    print(f'{cfg.name}, {a.levels} levels, level {L}: {dens["full"].n_tiles} tiles x {a.batch} videos, overlap {a.overlap}, '
          f'{n_params / 1e6:.1f}M parameters, device {a.device}, torch threads {torch.get_num_threads()}')
    for c in CACHES:
        print(f'  cache={c:6}  per step {med[c] * 1e3:8.1f} ms   cache build {build[c] * 1e3:8.1f} ms')
    print(f'  speed-up per step: blocks/none {med["none"] / med["blocks"]:.2f}x, full/none {med["none"] / med["full"]:.2f}x, '
          f'full/blocks {med["blocks"] / med["full"]:.2f}x   (largest difference between modes {dev:.1e})')
    for steps in (32, 16):
        tot = {c: build[c] + steps * med[c] for c in CACHES}
        print(f'  a {steps}-step level incl. cache build: full/none {tot["none"] / tot["full"]:.2f}x, blocks/none {tot["none"] / tot["blocks"]:.2f}x')


if __name__ == '__main__': main()
