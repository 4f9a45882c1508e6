"""Each lesson uses only what the lessons before it teach: a check of the reading order.

The reading order is the list of lessons in nbs/index.ipynb (the links in its "## Reading order" section). For every
lesson, the cells a student reads and runs (all code cells except those exported to the library, `#| export`) may
import from `hpdm_nb` only the modules made by itself or by a lesson before it in that order, and may not use a name
that the lesson's exported cells import from a later lesson's module. Exported cells are the library's wiring (the
model builds the level-0 U-Net of a later lesson, for example) and are checked by tools/house.py instead. Every
notebook in nbs/ must appear in the reading order, and every module a lesson imports must be made by a listed lesson.

Reads the notebooks as JSON; runs nothing. Prints what is wrong and exits 1, or prints one line and exits 0.
Usage: python tools/lesson_order.py
"""
import json, re, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbrun import cell_flags  # noqa: E402

NBS = Path(__file__).resolve().parent.parent / 'nbs'
# `from hpdm_nb.m import a, b`, `from hpdm_nb import m, n`, `import hpdm_nb.m`, each at a line's start or after `;`
FROM_MOD = re.compile(r'(?:^|;)\s*from\s+hpdm_nb\.(\w+)\s+import\s+\(?([\w\s,]+)', re.M)
FROM_PKG = re.compile(r'(?:^|;)\s*from\s+hpdm_nb\s+import\s+\(?([\w\s,]+)', re.M)
IMPORT_MOD = re.compile(r'(?:^|;)\s*import\s+hpdm_nb\.(\w+)', re.M)


def _source(cell) -> str:
    s = cell['source']
    return s if isinstance(s, str) else ''.join(s)


def _exported(source: str) -> bool:
    "Whether a cell goes to the library (`#| export`, `#| exporti`, `#| exports`)."
    return any(f.startswith('export') for f in cell_flags(source))


def reading_order() -> list[str]:
    "The lessons (notebook stems) in the order index.ipynb lists them under its reading order."
    text = '\n'.join(_source(c) for c in json.loads((NBS / 'index.ipynb').read_text())['cells']
                     if c['cell_type'] == 'markdown')
    if '## Reading order' not in text: raise SystemExit('nbs/index.ipynb has no "## Reading order" section')
    section = text[text.index('## Reading order'):]
    if (end := section.find('\n## ', 1)) > 0: section = section[:end]  # up to the next section (the workshop route)
    order = []
    for stem in re.findall(r'\]\(([\w-]+)\.ipynb\)', section):
        if stem not in order and stem != 'index': order.append(stem)
    return order


def problems() -> list[str]:
    order = reading_order()
    made_by = {}  # module -> the lesson whose `default_exp` makes it
    for p in NBS.glob('*.ipynb'):
        for c in json.loads(p.read_text())['cells']:
            if m := re.search(r'#\|\s*default_exp\s+(\w+)', _source(c)): made_by[m.group(1)] = p.stem
    found = [p.stem for p in sorted(NBS.glob('[!_]*.ipynb')) if p.stem != 'index']
    out = [f'{s}.ipynb is not in the reading order of nbs/index.ipynb: list it there' for s in found if s not in order]
    out += [f'the reading order lists {s}.ipynb, which does not exist' for s in order if s not in found]
    pos = {s: i for i, s in enumerate(order)}
    names = lambda group: [n.split(' as ')[-1].strip() for n in group.replace('\n', ' ').split(',') if n.strip()]
    for stem in order:
        if stem not in found: continue
        cells = json.loads((NBS / f'{stem}.ipynb').read_text())['cells']
        later = {}  # names this lesson's exported cells import from a later lesson's module -> that lesson
        for c in cells:
            s = _source(c)
            if c['cell_type'] != 'code' or not _exported(s): continue
            for m in FROM_MOD.finditer(s):
                src = made_by.get(m.group(1))
                if src in pos and pos[src] > pos[stem]:
                    for n in names(m.group(2)): later[n] = src
        for k, c in enumerate(cells):
            s = _source(c)
            if c['cell_type'] != 'code' or _exported(s): continue
            mods = [m.group(1) for m in FROM_MOD.finditer(s)] + [m.group(1) for m in IMPORT_MOD.finditer(s)]
            mods += [n for m in FROM_PKG.finditer(s) for n in names(m.group(1))]
            for mod in mods:
                src = made_by.get(mod)
                if src is None: continue
                if src not in pos:
                    out.append(f'{stem}.ipynb (cell {k}) imports hpdm_nb.{mod}, made by {src}.ipynb, which the reading '
                               'order does not list')
                elif pos[src] > pos[stem]:
                    out.append(f'{stem}.ipynb (cell {k}) imports hpdm_nb.{mod}, which {src}.ipynb teaches later in the '
                               'reading order: teach it before, or move this use after it')
            code = re.sub(r'#.*', '', s)  # comments may name anything
            for n, src in later.items():
                if re.search(rf'(?<![\w.]){re.escape(n)}(?!\w)', code):
                    out.append(f'{stem}.ipynb (cell {k}) uses {n}, which its exported cells import from '
                               f'{src}.ipynb, taught later in the reading order')
    return out


if __name__ == '__main__':
    bad = problems()
    for b in bad: print(b, file=sys.stderr)
    if bad: sys.exit(1)
    print(f'{len(reading_order())} lessons; each imports from hpdm_nb only what it or an earlier lesson made')
