"Random draws follow the generator they are given, whatever its device, so that a run is reproducible from its seed."
import pytest
import torch

import hpdm_nb.loss
from hpdm_nb.config import get_config
from hpdm_nb.loss import pyramid_loss
from hpdm_nb.model import HPDM
from hpdm_nb.patches import sample_starts


class ReportsCuda(torch.Generator):
    "A CPU generator that says it is on CUDA: what the loss sees of a CUDA generator, on a machine without one."
    @property
    def device(self): return torch.device('cuda')


def test_sample_starts_unchanged_on_cpu():
    pyr = get_config('tiny').pyramid
    starts = sample_starts(pyr, 2, torch.Generator().manual_seed(0)).tolist()
    assert starts == [[[0.0, 0.0, 0.0], [4.0, 6.0, 4.0]], [[0.0, 0.0, 0.0], [4.0, 5.0, 7.0]]]


def test_pyramid_loss_draws_patch_starts_from_a_cuda_generator(monkeypatch):
    torch.manual_seed(0)
    model, cfg = HPDM('tiny'), get_config('tiny')
    B, L = 2, cfg.n_levels
    seen = []
    def spy(pyramid, batch_size, generator=None, *args, **kw):  # the real draw needs CUDA here: record the generator instead
        seen.append(generator)
        return sample_starts(pyramid, batch_size, torch.Generator().manual_seed(0), *args, **kw)
    monkeypatch.setattr(hpdm_nb.loss, 'sample_starts', spy)
    g = ReportsCuda()
    noises = [torch.randn(B, cfg.channels, *cfg.patch) for _ in range(L)]
    videos = torch.rand(B, cfg.channels, *cfg.target) * 2 - 1
    # every other draw is fixed, so the patch starts are the only thing the generator is asked for
    pyramid_loss(model, videos, generator=g, sigmas=[torch.ones(B)] * L, noises=noises,
                 self_cond_mask=torch.zeros(B, dtype=torch.bool), clean_context=0.0)
    assert len(seen) == 1 and seen[0] is g, f'the patch starts were drawn with {seen[0]!r}, not the given generator'


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA generator')
def test_pyramid_loss_with_a_cuda_generator_ignores_the_global_seed():
    torch.manual_seed(0)
    model, cfg = HPDM('tiny').to('cuda'), get_config('tiny')
    videos = torch.rand(4, cfg.channels, *cfg.target, device='cuda') * 2 - 1
    runs = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        runs.append(pyramid_loss(model, videos, generator=torch.Generator('cuda').manual_seed(0)).patches)
    assert all(torch.equal(a, b) for a, b in zip(*runs))
