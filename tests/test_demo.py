"The main job (`run_demo`, nbs/50b) on the built-in data, stored in memory or rendered as it is read."
import torch
import hpdm_nb.shapes
from hpdm_nb.demo import run_demo


def _count_renders(monkeypatch) -> list:
    "Record every MovingShapes video rendered from now on (its index)."
    renders, real = [], hpdm_nb.shapes.MovingShapes.__getitem__
    def counted(self, i):
        renders.append(i)
        return real(self, i)
    monkeypatch.setattr(hpdm_nb.shapes.MovingShapes, '__getitem__', counted)
    return renders


def test_demo_renders_a_dataset_stored_in_memory_once(tmp_path, monkeypatch):
    renders = _count_renders(monkeypatch)
    res = run_demo(tmp_path, preset='tiny', overrides=['steps=2', 'n_videos=3'], n_samples=1, sample_steps=2,
                   progress=False, pretrained=None)
    assert res['copy_check']['n_videos'] == 3
    assert sorted(renders) == [0, 1, 2], f'the 3 training videos were rendered {len(renders)} times in all: {renders}'


def test_demo_on_a_dataset_rendered_as_it_is_read(tmp_path, monkeypatch):
    "A training set bigger than data_memory_gib (here 0) is never stored: the demo's preview, numbers and copy check read it as training does."
    res = run_demo(tmp_path, preset='tiny', overrides=['steps=2', 'n_videos=3', 'data_memory_gib=0'], n_samples=1,
                   sample_steps=2, progress=False, pretrained=None)
    cc = res['copy_check']
    assert cc['n_videos'] == 3 and cc['samples_to_nearest'] > 0 and cc['data_to_nearest'] > 0, cc
    assert res['object_stats']['data']['objects_per_frame'] == 1.0  # the data's own numbers: one object per frame
