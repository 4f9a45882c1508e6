"The reading-order check (tools/lesson_order.py) on a tiny nbs folder: exported cells may not import a later lesson's module."
import json, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'tools'))
from lesson_order import problems  # noqa: E402


def _nb(path: Path, *sources: str, markdown: str | None = None):
    cells = [dict(cell_type='markdown', id='m0', metadata={}, source=markdown)] if markdown else []
    cells += [dict(cell_type='code', id=f'c{i}', metadata={}, execution_count=None, outputs=[], source=s)
              for i, s in enumerate(sources)]
    path.write_text(json.dumps(dict(cells=cells, metadata={}, nbformat=4, nbformat_minor=5)))


def _folder(tmp_path: Path, order: list[str], first_imports: str) -> Path:
    "nbs/ with 00_first (exports module `first`, importing `first_imports`) and 01_second (module `second`), listed in `order`."
    nbs = tmp_path / 'nbs'; nbs.mkdir()
    links = '\n'.join(f'{i + 1}. [{s}]({s}.ipynb)' for i, s in enumerate(order))
    _nb(nbs / 'index.ipynb', markdown=f'# Index\n\n## Reading order\n\n{links}\n\n## Afterwards\n')
    _nb(nbs / '00_first.ipynb', '#| default_exp first', f'#| export\nimport torch\n{first_imports}\n', 'x = 1')
    _nb(nbs / '01_second.ipynb', '#| default_exp second', '#| export\ndef helper(): return 2', 'helper()')
    return nbs


def test_an_exported_import_of_a_later_lesson_breaks_the_order(tmp_path):
    nbs = _folder(tmp_path, ['00_first', '01_second'], 'from hpdm_nb.torch_core import pick_device\nfrom hpdm_nb.second import helper')
    bad = problems(nbs)
    assert len(bad) == 1, bad
    assert bad[0].startswith('00_first.ipynb (exported cell 1) imports hpdm_nb.second, which 01_second.ipynb makes later')
    assert 'teach that module before 00_first' in bad[0]


def test_the_same_lessons_in_the_right_order_pass(tmp_path):
    nbs = _folder(tmp_path, ['01_second', '00_first'], 'from hpdm_nb.second import (\n    helper)')
    assert problems(nbs) == []


def test_a_student_cell_importing_a_later_module_and_an_unlisted_lesson(tmp_path):
    nbs = _folder(tmp_path, ['00_first', '01_second'], '')
    _nb(nbs / '00_first.ipynb', '#| default_exp first', 'import hpdm_nb.second')
    _nb(nbs / '02_third.ipynb', 'print(1)')
    bad = problems(nbs)
    assert any(b.startswith('00_first.ipynb (cell 1) imports hpdm_nb.second, which 01_second.ipynb teaches later') for b in bad), bad
    assert '02_third.ipynb is not in the reading order of nbs/index.ipynb: list it there' in bad
