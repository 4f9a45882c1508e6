"""Store the lessons' outputs, so that a reader on GitHub or the docs site sees every figure and video without running.

Each notebook runs top to bottom in a fresh process at the test's size (IN_TEST=1, cells flagged `slow`, `cuda`,
`multigpu` or `notest` skipped, exactly as the test command runs it), its outputs are written into the file, and
`nbdev_clean` strips what varies between runs (execution counts, metadata). The test command then checks that every
lesson stores at least one picture, that re-running it shows the same pictures cell by cell, and that it keeps within
the size budget (tools/run_tests.py).

Size budget: at most 2 MB per notebook and 30 MB in all: figures as PNG at the figure's own dpi (no retina doubling),
videos as short mp4 (mediapy, through show_videos).

The lessons in FULL_SIZE are stored at full size instead (IN_TEST unset, as a student's Run All does): their stored
tables and plots are measurements the prose compares, and at the test's size they would be a handful of samples. The
test's check still holds for them: the same cells draw the same number of pictures at either size.

Usage: python tools/store_outputs.py [NOTEBOOK_GLOB ...] [--workers 2]
"""
import argparse, os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))
from nbrun import run_notebook, pictures, NotebookError  # noqa: E402

BUDGET_ONE, BUDGET_ALL = 2_000_000, 30_000_000
FULL_SIZE = {'index.ipynb',  # the teaser: the shipped models at their cards' steps and sampler, timed
             '06b_step.ipynb',  # a training step's time and memory at 64², 128² and 256², HPDM against full resolution
             '09_caching.ipynb',  # cached equals uncached at 147 overlapping tiles, and the step and build times there
             '10_seams.ipynb',  # the overlap study: every variant on the samples the prose describes
             '10a_propagation.ipynb',  # survival through the levels from 8 samples, and through five levels at 256²
             '08c_sampling.ipynb',  # the shipped model's levels and denoising steps at its card's 64 steps
             '09c_pretrained.ipynb',  # the shipped model's samples at its card's settings
             '10b_dead_pixels.ipynb',  # dead blocks per level from 8 samples
             '11_text_to_video.ipynb',  # the text model's prompts and guidance scales at its card's settings
             '12b_fvd.ipynb',  # FVD's bias against the number of videos, 16 to 256 against 512, and its sensitivities
             '13b_additions.ipynb'}  # the sampler's switches measured on 16 samples


def skip_flags() -> list[str]:
    from nbdev.config import get_config
    return str(get_config().get('tst_flags', '')).split()


def _store_one(path: str) -> int:
    "Child-process entry: run one notebook and write it back with its outputs."
    if Path(path).name in FULL_SIZE: os.environ.pop('IN_TEST', None)
    else: os.environ['IN_TEST'] = '1'
    sys.path.insert(0, str(ROOT))
    from execnb.nbio import write_nb
    try: nb = run_notebook(path, skip_flags())
    except NotebookError as e:
        print(e, file=sys.stderr); return 1
    write_nb(nb, path)
    return 0


def store(path: Path, threads: str) -> tuple[bool, float, str]:
    t0 = time.time()
    env = {**os.environ, 'OMP_NUM_THREADS': threads, 'MPLBACKEND': 'Agg'}
    proc = subprocess.run([sys.executable, __file__, '--one', str(path)], cwd=ROOT, capture_output=True, text=True, env=env)
    ok = proc.returncode == 0
    if ok: subprocess.run([str(Path(sys.executable).parent / 'nbdev_clean'), '--fname', str(path)], cwd=ROOT, check=True)
    return ok, time.time() - t0, proc.stdout[-2000:] + proc.stderr[-3000:]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('globs', nargs='*', default=['[0-9]*.ipynb', 'index.ipynb'])
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--one', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one: sys.exit(_store_one(a.one))
    paths = sorted({p for g in a.globs for p in (ROOT / 'nbs').glob(g) if not p.name.startswith('_')})
    threads = str(max(1, (os.cpu_count() or 2) // a.workers))
    failed = []
    with ThreadPoolExecutor(a.workers) as ex:
        for p, (ok, secs, out) in zip(paths, ex.map(lambda p: store(p, threads), paths)):
            size = p.stat().st_size
            from execnb.nbio import read_nb
            n = sum(pictures(read_nb(p), set(skip_flags())))
            flag = '' if size <= BUDGET_ONE else f'  OVER the {BUDGET_ONE / 1e6:.0f} MB budget'
            print(f"  {'stored' if ok else 'FAILED'}  {p.name:34} {secs:6.1f} s  {size / 1e6:5.2f} MB  {n} pictures{flag}",
                  flush=True)
            if not ok: failed.append(p.name); print(out)
    total = sum(p.stat().st_size for p in (ROOT / 'nbs').glob('*.ipynb'))
    print(f'all notebooks: {total / 1e6:.1f} MB (budget {BUDGET_ALL / 1e6:.0f} MB)')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
