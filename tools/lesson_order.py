"""Each lesson uses only what the lessons before it teach: a check of the reading order.

The reading order is the list of lessons in nbs/index.ipynb (the links in its "## Reading order" section). For every
lesson, every code cell may import from `hpdm_nb` only the modules made (`#| default_exp`) by itself or by a lesson
before it in that order. That holds for the cells exported to the library (`#| export`) as much as for the cells a
student reads and runs: an exported cell's import is the library module's import, and a lesson whose module imports a
later lesson's module could not be read, or its module built, without that later lesson. tools/house.py checks the
library's layers besides. Every notebook in nbs/ must appear in the reading order, and every module a lesson imports
must be made by a listed lesson.

Reads the notebooks as JSON; runs nothing. Prints what is wrong and exits 1, or prints one line and exits 0.
Usage: python tools/lesson_order.py [NBS_FOLDER]   (default: the repository's nbs/)
"""
import json, re, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbrun import cell_flags  # noqa: E402

NBS = Path(__file__).resolve().parent.parent / 'nbs'
# `from hpdm_nb.m import a, b` (or `import (a,\n b)`), `from hpdm_nb import m, n`, `import hpdm_nb.m`, each at a line's
# start or after `;`; the names end with the line unless they are in parentheses
_NAMES = r'(\([\w\s,]*\)|[\w \t,]+)'
FROM_MOD = re.compile(r'(?:^|;)[ \t]*from[ \t]+hpdm_nb\.(\w+)[ \t]+import[ \t]+' + _NAMES, re.M)
FROM_PKG = re.compile(r'(?:^|;)[ \t]*from[ \t]+hpdm_nb[ \t]+import[ \t]+' + _NAMES, re.M)
IMPORT_MOD = re.compile(r'(?:^|;)[ \t]*import[ \t]+hpdm_nb\.(\w+)', re.M)


def _source(cell) -> str:
    s = cell['source']
    return s if isinstance(s, str) else ''.join(s)


def _exported(source: str) -> bool:
    "Whether a cell goes to the library (`#| export`, `#| exporti`, `#| exports`)."
    return any(f.startswith('export') for f in cell_flags(source))


def reading_order(nbs: Path = NBS) -> list[str]:
    "The lessons (notebook stems) in the order `nbs`/index.ipynb lists them under its reading order."
    text = '\n'.join(_source(c) for c in json.loads((Path(nbs) / 'index.ipynb').read_text())['cells']
                     if c['cell_type'] == 'markdown')
    if '## Reading order' not in text: raise SystemExit('nbs/index.ipynb has no "## Reading order" section')
    section = text[text.index('## Reading order'):]
    if (end := section.find('\n## ', 1)) > 0: section = section[:end]  # up to the next section (the workshop route)
    order = []
    for stem in re.findall(r'\]\(([\w-]+)\.ipynb\)', section):
        if stem not in order and stem != 'index': order.append(stem)
    return order


def problems(nbs: Path = NBS) -> list[str]:
    "What breaks the reading order of the lessons in the folder `nbs`, one sentence each (empty: nothing)."
    nbs = Path(nbs)
    order = reading_order(nbs)
    made_by = {}  # module -> the lesson whose `default_exp` makes it
    for p in nbs.glob('*.ipynb'):
        for c in json.loads(p.read_text())['cells']:
            if m := re.search(r'#\|\s*default_exp\s+(\w+)', _source(c)): made_by[m.group(1)] = p.stem
    found = [p.stem for p in sorted(nbs.glob('[!_]*.ipynb')) if p.stem != 'index']
    out = [f'{s}.ipynb is not in the reading order of nbs/index.ipynb: list it there' for s in found if s not in order]
    out += [f'the reading order lists {s}.ipynb, which does not exist' for s in order if s not in found]
    pos = {s: i for i, s in enumerate(order)}
    names = lambda group: [n.split(' as ')[0].strip() for n in group.strip('()').replace('\n', ' ').split(',') if n.strip()]
    for stem in order:
        if stem not in found: continue
        for k, c in enumerate(json.loads((nbs / f'{stem}.ipynb').read_text())['cells']):
            s = _source(c)
            if c['cell_type'] != 'code': continue
            mods = [m.group(1) for m in FROM_MOD.finditer(s)] + [m.group(1) for m in IMPORT_MOD.finditer(s)]
            mods += [n for m in FROM_PKG.finditer(s) for n in names(m.group(1))]
            kind = 'exported cell' if _exported(s) else 'cell'
            for mod in dict.fromkeys(mods):
                src = made_by.get(mod)
                if src is None: continue
                if src not in pos:
                    out.append(f'{stem}.ipynb ({kind} {k}) imports hpdm_nb.{mod}, made by {src}.ipynb, which the reading '
                               'order does not list')
                elif pos[src] > pos[stem] and kind == 'cell':
                    out.append(f'{stem}.ipynb (cell {k}) imports hpdm_nb.{mod}, which {src}.ipynb teaches later in the '
                               'reading order: teach it before, or move this use after it')
                elif pos[src] > pos[stem]:
                    out.append(f'{stem}.ipynb (exported cell {k}) imports hpdm_nb.{mod}, which {src}.ipynb makes later in '
                               f'the reading order, so the library module this lesson makes needs a lesson not yet read: '
                               f'teach that module before {stem}, move what this cell needs to a module of an earlier '
                               'lesson, or let the caller pass it in')
    return out


if __name__ == '__main__':
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else NBS
    bad = problems(folder)
    for b in bad: print(b, file=sys.stderr)
    if bad: sys.exit(1)
    print(f'{len(reading_order(folder))} lessons; each imports from hpdm_nb, in every cell, exported or not, only what it '
          'or an earlier lesson made')
