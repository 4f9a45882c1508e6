"Judging a model (nbs/09b) without classes, and guidance (nbs/08b) with nothing to guide by."
import torch
from hpdm_nb.model import HPDM
from hpdm_nb.quality import shapes_data, evaluate_model, check_bar
from hpdm_nb.sampling import sample_pyramid


def test_evaluate_model_judges_an_unconditional_model():
    torch.manual_seed(0)
    model = HPDM('tiny', n_classes=0).eval()
    data = shapes_data(16, model.cfg.target, n_held=8)
    res = evaluate_model(model, data, n=2, n_judge=16, steps=2)
    for level, row in res['report'].items():
        assert row['samples']['kind_accuracy'] is None, row['samples']  # no kind was asked for: none is scored
        assert 0 <= row['data']['kind_accuracy'] <= 1  # the data's kinds are still judged
        assert 'kind' not in res['bar'][level] and res['bar'][level]['one_object'] in (True, False)


def _rows_per_call(model) -> list:
    "The batch size of every model call from now on."
    rows, real = [], model.forward
    def counted(ys, *args, **kw):
        rows.append(len(ys[0]))
        return real(ys, *args, **kw)
    model.forward = counted
    return rows


def test_guidance_without_labels_does_not_run_the_unconditional_model_twice():
    torch.manual_seed(0)
    model = HPDM('tiny').eval()  # a class model
    kw = dict(seeds=[0, 1], steps=2, levels=1, progress=False)
    rows = _rows_per_call(model)
    plain = sample_pyramid(model, 2, **kw)  # no labels: unconditional samples
    plain_rows, rows[:] = list(rows), []
    guided = sample_pyramid(model, 2, guidance=3.0, **kw)  # guidance, but nothing to guide by
    assert rows == plain_rows, f'rows per model call {rows} with guidance and no labels, {plain_rows} without'
    torch.testing.assert_close(guided[0], plain[0], atol=1e-5, rtol=0)
