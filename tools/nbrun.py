"""Run a notebook as nbdev's `test_nb` does, keeping what every cell shows; count the pictures among its outputs.

Shared by tools/run_tests.py (which checks that each lesson's stored outputs are current) and tools/store_outputs.py
(which stores them). A cell is skipped, as by `nbdev_test`, when it calls `nbdev_export(` or carries a flag of
`skip_flags` (`#| slow` and the other `tst_flags` of settings.ini) that `force_flags` does not force.
"""
import os, re
from pathlib import Path

PICTURE_TYPES = ('image/png', 'image/jpeg', 'image/gif', 'image/svg+xml')


def cell_flags(source: str) -> set:
    "The directive names at the top of a cell: `#| slow` gives {'slow'}, `#| eval: false` gives {'eval:'}."
    out = set()
    for line in source.splitlines():
        m = re.match(r'\s*#\|\s*(\S+)', line)
        if not m:
            if line.strip(): break
            continue
        out.add(m.group(1))
    return out


def runs(cell, flags: set) -> bool:
    "Whether the test run executes this cell."
    if cell.cell_type != 'code' or 'nbdev_export' + '(' in cell.source: return False
    f = cell_flags(cell.source)
    if 'eval:' in f and re.search(r'#\|\s*eval:\s*false', cell.source, re.I): return False
    return not (flags & f)


def is_picture(output) -> bool:
    "A figure, an image, a video or a widget's static picture among a cell's outputs."
    data = output.get('data', {}) if hasattr(output, 'get') else {}
    if any(k in data for k in PICTURE_TYPES): return True
    html = data.get('text/html', '')
    html = ''.join(html) if isinstance(html, list) else html
    return '<video' in html or '<img' in html


def pictures(nb, flags: set) -> list[int]:
    "The number of pictures each executed cell shows, in order (cells the test run skips are left out)."
    return [sum(map(is_picture, c.get('outputs', []))) for c in nb.cells if runs(c, flags)]


def run_notebook(path, skip_flags=(), force_flags=(), mpl_format: str = 'png'):
    "Execute a notebook top to bottom in an IPython shell, as `nbdev_test` does; the notebook with its outputs."
    from execnb.nbio import read_nb
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    path = Path(path).resolve()
    flags = set(skip_flags) - set(force_flags)
    nb = read_nb(path)
    for c in nb.cells:  # execnb leaves a cell's old outputs in place when the cell now shows nothing: start clean
        if runs(c, flags): c.outputs = []
    # execnb drops everything a cell printed when its last line ends with `;` (Jupyter hides only the last value): run
    # such a cell with a `pass` after it, which hides the value the same way and keeps the prints
    semicolon = {id(c): c.source for c in nb.cells if runs(c, flags) and c.source.rstrip().endswith(';')}
    for c in nb.cells:
        if id(c) in semicolon: c.source = c.source.rstrip() + '\npass'
    shell = CaptureShell(path, mpl_format=mpl_format)
    try:
        with working_directory(path.parent):
            shell.run_all(nb, exc_stop=True, preproc=lambda c: not runs(c, flags))
    except Exception as e:
        raise NotebookError(shell.prettytb(fname=path)) from e
    finally:
        for c in nb.cells:
            if id(c) in semicolon: c.source = semicolon[id(c)]
    return nb


class NotebookError(RuntimeError):
    "A cell of the notebook raised; the message is the traceback as nbdev_test prints it."
