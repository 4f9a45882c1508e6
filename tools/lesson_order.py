"""Each lesson uses only what the lessons before it teach: a check of the reading order.

The reading order is the list of lessons in nbs/index.ipynb (the links under "## Reading order"). For every lesson, the
cells a student reads and runs (all code cells except those exported to the library, `#| export`) may import from
`hpdm_nb` only the modules made by itself or by a lesson before it in that order. Exported cells are the library's
wiring (the model builds the level-0 U-Net of a later lesson, for example) and are checked by tools/house.py instead.
Every notebook in nbs/ must also appear in the reading order.

Reads the notebooks as JSON; runs nothing. Prints what is wrong and exits 1, or prints one line and exits 0.
Usage: python tools/lesson_order.py
"""
import json, re, sys
from pathlib import Path

NBS = Path(__file__).resolve().parent.parent / 'nbs'
IMPORT = re.compile(r'^\s*(?:from\s+hpdm_nb\.(\w+)\s+import|import\s+hpdm_nb\.(\w+))', re.M)


def _source(cell) -> str:
    s = cell['source']
    return s if isinstance(s, str) else ''.join(s)


def reading_order() -> list[str]:
    "The lessons (notebook stems) in the order index.ipynb lists them under its reading order."
    text = '\n'.join(_source(c) for c in json.loads((NBS / 'index.ipynb').read_text())['cells']
                     if c['cell_type'] == 'markdown')
    if '## Reading order' not in text: raise SystemExit('nbs/index.ipynb has no "## Reading order" section')
    order = []
    for stem in re.findall(r'\]\(([\w-]+)\.ipynb\)', text[text.index('## Reading order'):]):
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
    for stem in order:
        if stem not in found: continue
        for k, c in enumerate(json.loads((NBS / f'{stem}.ipynb').read_text())['cells']):
            s = _source(c)
            if c['cell_type'] != 'code' or re.search(r'^#\|\s*export', s, re.M): continue
            for m in IMPORT.finditer(s):
                mod = m.group(1) or m.group(2)
                src = made_by.get(mod)
                if src is not None and pos.get(src, -1) > pos[stem]:
                    out.append(f'{stem}.ipynb (cell {k}) imports hpdm_nb.{mod}, which {src}.ipynb teaches later in the '
                               'reading order: teach it before, or move this use after it')
    return out


if __name__ == '__main__':
    bad = problems()
    for b in bad: print(b, file=sys.stderr)
    if bad: sys.exit(1)
    print(f'{len(reading_order())} lessons; each imports from hpdm_nb only what it or an earlier lesson made')
