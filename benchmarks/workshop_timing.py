"""How long each notebook takes to run top to bottom as a workshop student runs it: in a kernel, at full size.

Unlike the test command, `IN_TEST` is not set, so every notebook does its full-size work (more samples, more steps),
as it does in JupyterLab. Cells flagged `cuda` or `multigpu` are skipped (no GPU on a workshop laptop); `slow` cells
are timed separately (`--with-slow`), since the route tells students to skip them. Notebooks run one at a time.

    python benchmarks/workshop_timing.py [--threads 2] [--out benchmarks/workshop_timing.json] [NOTEBOOK ...]

Writes the seconds per notebook and its slowest cells; `benchmarks/README.md` has the results and the workshop route
in `nbs/index.ipynb` is planned from them.
"""
import argparse, json, os, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def time_notebook(path: Path, skip=('cuda', 'multigpu', 'slow')) -> dict:
    "Run one notebook's cells in a fresh kernel-like shell; return total seconds, per-cell seconds and any error."
    from execnb.shell import CaptureShell
    from nbdev.process import NBProcessor
    from nbdev.frontmatter import FrontmatterProc
    nb = NBProcessor(path, procs=FrontmatterProc, process=True).nb
    shell, cells, err = CaptureShell(path), [], None
    start = time.perf_counter()
    cwd = os.getcwd(); os.chdir(path.parent)
    try:
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != 'code' or 'nbdev_export(' in cell.source: continue
            if set(getattr(cell, 'directives_', {}) or {}) & set(skip): continue
            t = time.perf_counter()
            shell.run(cell.source)
            cells.append((i, time.perf_counter() - t))
            if shell.exc: err = f'cell {i}: {shell.exc!r}'; break
    finally: os.chdir(cwd)
    slowest = sorted(cells, key=lambda c: -c[1])[:3]
    return dict(seconds=round(time.perf_counter() - start, 1), slowest_cells=[(i, round(s, 1)) for i, s in slowest],
                error=err)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('notebooks', nargs='*', help='notebooks (default: every lesson in nbs/)')
    ap.add_argument('--threads', type=int, default=2, help='torch threads (a workshop laptop: 2 to 4 cores)')
    ap.add_argument('--with-slow', action='store_true', help='also run cells flagged slow')
    ap.add_argument('--out', default=str(ROOT / 'benchmarks' / 'workshop_timing.json'))
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))  # this checkout's hpdm_nb, whatever is installed
    os.environ.pop('IN_TEST', None)
    os.environ['OMP_NUM_THREADS'] = str(a.threads)
    import torch; torch.set_num_threads(a.threads)
    import matplotlib; matplotlib.use('Agg')
    paths = [Path(p).resolve() for p in a.notebooks] or sorted(p for p in (ROOT / 'nbs').glob('*.ipynb')
                                                              if not p.name.startswith('_'))
    out = Path(a.out)
    res = json.loads(out.read_text()) if out.exists() else {}
    skip = ('cuda', 'multigpu') if a.with_slow else ('cuda', 'multigpu', 'slow')
    for p in paths:
        r = time_notebook(p, skip)
        res[p.name] = dict(r, threads=a.threads, with_slow=a.with_slow)
        print(f'{p.name:28s} {r["seconds"]:7.1f} s  slowest cells {r["slowest_cells"]}' + (f'  ERROR {r["error"]}' if r['error'] else ''),
              flush=True)
        out.write_text(json.dumps(res, indent=1))
    print(f'total {sum(v["seconds"] for v in res.values()) / 60:.1f} min over {len(res)} notebooks -> {out}')


if __name__ == '__main__': main()
