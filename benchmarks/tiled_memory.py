"""Peak memory of one tiled-denoiser call against the tile count, chunked from a memory budget or all rows at once.

A tiny-width model on a four-level pyramid with the shape of the paper's T2V pyramid (each level twice the previous per
axis): with full overlap its levels 1, 2 and 3 have 27, 343 and 3375 tiles, as the T2V model's. Every point runs in a
fresh subprocess, which builds the model and the denoiser and makes one call; its peak resident memory is read from
`resource.getrusage(RUSAGE_SELF).ru_maxrss` (torch's CPU allocations count there, unlike in tracemalloc). A baseline
subprocess builds the same but makes no call; the difference is the call's working memory. `cache='none'`, so that
nothing per tile outlives a call (the per-tile cache of `cache='full'` is what `offload_context` moves to the host).

    .venv/bin/python benchmarks/tiled_memory.py
"""
import json, subprocess, sys

CHILD = r'''
import json, resource, sys, torch
from hpdm_nb.config import get_config
from hpdm_nb.model import HPDM
from hpdm_nb.tiled_denoiser import TiledDenoiser
from hpdm_nb.tile_grid import row_bytes, resolve_stride
level, mode = int(sys.argv[1]), sys.argv[2]
cfg = get_config('tiny', target=(32, 64, 64), patch=(4, 8, 8), n_levels=4, levels_per_block='adaptive')
torch.manual_seed(0)
model = HPDM(cfg).eval()
g = torch.Generator().manual_seed(0)
fin = [torch.randn(1, 3, *cfg.pyramid.resolution(l), generator=g) for l in range(level)]
x = torch.randn(1, 3, *cfg.pyramid.resolution(level), generator=g)
budget = {'whole': None, 'default': 2 ** 30, '64MiB': 2 ** 26, 'baseline': None}[mode]
den = TiledDenoiser(model, level, fin, stride=resolve_stride(cfg.patch, 'full'), self_cond=False, cache='none',
                    memory_budget=budget)
out = None if mode == 'baseline' else den(x, torch.ones(1))
print(json.dumps(dict(tiles=den.n_tiles, rows=den.tile_batch, row_bytes=den.row_bytes,
                      peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      checksum=None if out is None else float(out.double().abs().sum()))))
'''


def point(level: int, mode: str) -> dict:
    r = subprocess.run([sys.executable, '-c', CHILD, str(level), mode], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


if __name__ == '__main__':
    rows = []
    for level in (1, 2, 3):
        base = point(level, 'baseline')
        res = {m: point(level, m) for m in ('whole', 'default', '64MiB')}
        rows.append((level, base, res))
        print(f"level {level}: {base['tiles']:5} tiles | baseline {base['peak_mib']:6.0f} MiB | " + ' | '.join(
            f"{m}: {r['rows']:5} rows/call, +{r['peak_mib'] - base['peak_mib']:6.0f} MiB" for m, r in res.items()), flush=True)
        for m in ('default', '64MiB'):  # the chunked call gives the same video
            assert abs(res[m]['checksum'] - res['whole']['checksum']) <= 1e-4 * res['whole']['checksum'], (m, res)
    print('\ncall working memory (peak minus baseline), MiB')
    print(f"{'tiles':>6} {'all rows':>9} {'1 GiB':>7} {'64 MiB':>7}")
    for level, base, res in rows:
        print(f"{base['tiles']:6} " + ' '.join(f"{res[m]['peak_mib'] - base['peak_mib']:{w}.0f}"
                                                for m, w in (('whole', 9), ('default', 7), ('64MiB', 7))))
    grow = lambda m: (rows[-1][2][m]['peak_mib'] - rows[-1][1]['peak_mib']) / max(1.0, rows[0][2][m]['peak_mib'] - rows[0][1]['peak_mib'])
    print(f"\n3375 tiles against 27: all rows x{grow('whole'):.1f}, 1 GiB budget x{grow('default'):.1f}, 64 MiB budget x{grow('64MiB'):.1f}")
    w = rows[-1][2]['whole']
    measured = (w['peak_mib'] - rows[-1][1]['peak_mib']) * 2 ** 20 / w['rows']
    print(f"one row at 3375 tiles, all at once: measured {measured / 1024:.0f} KiB, row_bytes estimate {w['row_bytes'] / 1024:.0f} KiB "
          f"(estimate / measured {w['row_bytes'] / measured:.1f})")
