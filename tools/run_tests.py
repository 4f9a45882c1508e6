"""Run every hpdm_nb test and end with one line: `N passed, N failed`.

What counts as one test:
- each notebook in nbs/ (not starting with `_`), run top to bottom as nbdev's `test_nb` runs it, with the skip flags of
  settings.ini (`tst_flags`), two at a time; it must also store its outputs (tools/store_outputs.py): at least one
  picture, and the same pictures cell by cell as the run shows, so that what a reader sees is current;
- each pytest test under tests/;
- four checks of the source tree: the library's modules import only downward, without cycles (tools/house.py);
  each lesson imports only what it or a lesson before it in the index's reading order made (tools/lesson_order.py);
  the library is what `nbdev_export` makes of the notebooks, and the notebooks are what `nbdev_clean` makes of them
  (both checked on a copy, so the working tree is never modified); and the stored outputs keep to their size budget.

Usage: python tools/run_tests.py [--flags "slow cuda"] [--workers 2] [NOTEBOOK_GLOB]
"""
import argparse, filecmp, importlib.util, os, shutil, signal, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _one_notebook(path, skip_flags, force_flags):
    "Child-process entry: run one notebook as nbdev's test_nb does; check its stored outputs; exit status 0 if all is well."
    os.environ['IN_TEST'] = '1'
    os.environ.setdefault('MPLBACKEND', 'Agg')
    sys.path[:0] = [str(ROOT), str(ROOT / 'tools')]
    from execnb.nbio import read_nb
    from nbrun import run_notebook, pictures, NotebookError
    try: nb = run_notebook(path, skip_flags, force_flags)
    except NotebookError as e:
        print(e, file=sys.stderr); sys.exit(1)
    if force_flags: sys.exit(0)  # cells run that the stored outputs skip: nothing to compare
    flags = set(skip_flags)
    stored, shown = pictures(read_nb(path), flags), pictures(nb, flags)
    name = Path(path).name
    if not sum(stored):
        print(f'{name} stores no picture: a reader sees no figure or video. Run `python tools/store_outputs.py {name}` '
              'and commit it (a lesson with nothing to show needs a figure)', file=sys.stderr); sys.exit(1)
    if stored != shown:
        cells = [i for i, (a, b) in enumerate(zip(stored, shown)) if a != b] or ['the count of cells']
        print(f'{name}: its stored outputs are stale: run again, its executed cells show {shown} pictures where the file '
              f'stores {stored} (first difference at executed cell {cells[0]}). Run `python tools/store_outputs.py '
              f'{name}` and commit it', file=sys.stderr); sys.exit(1)
    sys.exit(0)


THREADS = '1'  # set in main(): the cores each notebook process may use
NOTEBOOK_LIMIT_S = 300  # a notebook still running after this is hung: it fails, and the run goes on
PYTEST_LIMIT_S = 600  # the same for one pytest test (pytest-timeout)


def _run_notebook(path, skip_flags, force_flags):
    "Run one notebook in a fresh process (notebooks never share state); returns (ok, seconds, output)."
    t0 = time.time()
    # notebooks run side by side: each gets its share of the cores (oversubscribed OpenMP threads spin and crawl)
    env = {**os.environ, 'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', THREADS)}
    # its own process group, so that a hung notebook is stopped with every worker it forked (they hold its pipes)
    proc = subprocess.Popen([sys.executable, __file__, '--one', str(path), '--skip', ' '.join(skip_flags),
                             '--flags', ' '.join(force_flags)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=NOTEBOOK_LIMIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        out += (f'\n{Path(path).name} did not finish within {NOTEBOOK_LIMIT_S} s and was stopped: a hang (a lesson runs in '
                f'about a minute under the test). Run it alone to see where: python tools/run_tests.py {Path(path).name} '
                '--no-pytest --workers 1')
        return False, time.time() - t0, out
    return proc.returncode == 0, time.time() - t0, out


def _diff_trees(a, b, pattern):
    "Relative paths matching `pattern` that differ between folders `a` and `b`."
    fa = {p.relative_to(a) for p in Path(a).rglob(pattern) if '__pycache__' not in p.parts}
    fb = {p.relative_to(b) for p in Path(b).rglob(pattern) if '__pycache__' not in p.parts}
    return sorted(str(p) for p in fa ^ fb) + sorted(str(p) for p in fa & fb
                                                      if not filecmp.cmp(Path(a) / p, Path(b) / p, shallow=False))


def check_sync_and_clean():
    "Export and clean a copy of the tree; report what would change."
    results = []
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        for name in ('settings.ini', 'setup.py', 'README.md', 'nbs', 'hpdm_nb'):
            src = ROOT / name
            if src.is_dir(): shutil.copytree(src, Path(tmp) / name, ignore=shutil.ignore_patterns('__pycache__'))
            elif src.exists(): shutil.copy(src, Path(tmp) / name)
        export = subprocess.run([str(bindir / 'nbdev_export')], cwd=tmp, capture_output=True, text=True)
        diff = _diff_trees(ROOT / 'hpdm_nb', Path(tmp) / 'hpdm_nb', '*.py')
        ok = export.returncode == 0 and not diff
        msg = '' if ok else (export.stderr[-2000:] + '\nout of sync with the notebooks: ' + ', '.join(diff) +
                             '\nrun `nbdev_export` and commit hpdm_nb/')
        results.append(('library in sync with notebooks (nbdev_export)', ok, msg))
        clean = subprocess.run([str(bindir / 'nbdev_clean')], cwd=tmp, capture_output=True, text=True)
        diff = _diff_trees(ROOT / 'nbs', Path(tmp) / 'nbs', '*.ipynb')
        ok = clean.returncode == 0 and not diff
        msg = '' if ok else clean.stderr[-2000:] + '\nnot clean: ' + ', '.join(diff) + '\nrun `nbdev_clean` and commit nbs/'
        results.append(('notebooks clean (nbdev_clean)', ok, msg))
    return results


def check_budget():
    "The notebooks with their stored outputs keep to tools/store_outputs.py's budget."
    sys.path.insert(0, str(ROOT / 'tools'))
    from store_outputs import BUDGET_ONE, BUDGET_ALL
    sizes = {p.name: p.stat().st_size for p in (ROOT / 'nbs').glob('*.ipynb')}
    over = [f'{n} ({b / 1e6:.1f} MB)' for n, b in sizes.items() if b > BUDGET_ONE]
    total = sum(sizes.values())
    ok = not over and total <= BUDGET_ALL
    msg = '' if ok else (f'over {BUDGET_ONE / 1e6:.0f} MB: {", ".join(over)}; ' if over else '') + \
        f'all notebooks {total / 1e6:.1f} MB (budget {BUDGET_ALL / 1e6:.0f} MB): shrink the figures or videos they store'
    return (f'stored outputs within budget ({total / 1e6:.1f} MB in all)', ok, msg)


def run_pytest():
    "Run pytest on tests/ and return (passed, failed)."
    if not any((ROOT / 'tests').glob('test_*.py')): return 0, 0
    report = Path(tempfile.mkstemp(suffix='.xml')[1])
    # two workers, one test file each at a time (pytest-xdist): the files share module-scoped runs within themselves
    parallel = ['-n', '2', '--dist', 'loadfile'] if importlib.util.find_spec('xdist') else []
    # a hung test fails after PYTEST_LIMIT_S and the run goes on, instead of stalling the whole command
    limit = [f'--timeout={PYTEST_LIMIT_S}'] if importlib.util.find_spec('pytest_timeout') else []
    proc = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-rs', '-p', 'no:cacheprovider', *parallel, *limit,
                           f'--junitxml={report}', str(ROOT / 'tests')], cwd=ROOT)
    import xml.etree.ElementTree as ET
    try:
        suite = ET.parse(report).getroot()
        suite = suite if suite.tag == 'testsuite' else suite.find('testsuite')
        total, fails = int(suite.get('tests')), int(suite.get('failures')) + int(suite.get('errors'))
        skipped = int(suite.get('skipped', 0))
        if skipped: print(f'  pytest skipped {skipped} test(s): see the reasons with pytest -rs', flush=True)
        return total - fails - skipped, fails
    except Exception:
        return 0, max(1, proc.returncode)
    finally:
        report.unlink(missing_ok=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('glob', nargs='?', default='[!_]*.ipynb', help='notebooks to run, relative to nbs/')
    ap.add_argument('--flags', default='', help='space-separated test flags to run anyway (e.g. "slow")')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--no-pytest', action='store_true')
    ap.add_argument('--one', help=argparse.SUPPRESS)
    ap.add_argument('--skip', default='', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one: return _one_notebook(args.one, args.skip.split(), args.flags.split())

    from nbdev.config import get_config
    skip = get_config(path=ROOT).tst_flags.split()
    force = args.flags.split()
    nbs = sorted((ROOT / 'nbs').glob(args.glob))
    global THREADS
    THREADS = str(max(1, (os.cpu_count() or 1) // max(1, args.workers)))
    passed = failed = 0
    t0 = time.time()
    print(f'running {len(nbs)} notebooks ({args.workers} at a time; skipping cells flagged '
          f'{sorted(set(skip) - set(force))})', flush=True)
    with ThreadPoolExecutor(args.workers) as ex:
        futs = {nb: ex.submit(_run_notebook, nb, skip, force) for nb in nbs}
        for nb, fut in futs.items():
            ok, secs, output = fut.result()
            print(f'  {"PASS" if ok else "FAIL"}  {nb.name:<40} {secs:6.1f} s', flush=True)
            if not ok: print(output[-6000:], file=sys.stderr, flush=True)
            passed, failed = passed + ok, failed + (not ok)
    for script, what in (('house.py', 'the library imports only downward, without cycles'),
                         ('lesson_order.py', 'each lesson imports only what it or an earlier lesson made')):
        r = subprocess.run([sys.executable, str(ROOT / 'tools' / script)], capture_output=True, text=True)
        print(f'  {"PASS" if r.returncode == 0 else "FAIL"}  {what} (tools/{script})', flush=True)
        if r.returncode: print(r.stderr, file=sys.stderr)
        passed, failed = passed + (r.returncode == 0), failed + (r.returncode != 0)
    for name, ok, msg in check_sync_and_clean() + [check_budget()]:
        print(f'  {"PASS" if ok else "FAIL"}  {name}', flush=True)
        if msg: print(msg, file=sys.stderr)
        passed, failed = passed + ok, failed + (not ok)
    if not args.no_pytest:
        p, f = run_pytest()
        print(f'  pytest: {p} passed, {f} failed', flush=True)
        passed, failed = passed + p, failed + f
    print(f'total time {time.time() - t0:.0f} s')
    print(f'{passed} passed, {failed} failed')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
