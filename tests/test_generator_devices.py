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


# The failure studies (nbs/10a, nbs/10b) add noise drawn from a seeded CPU generator to videos that live on the model's
# device. 'meta' stands in for an accelerator here: it mixes with no real device, so noise left on the CPU fails.
def _meta_model():
    with torch.device('meta'): return HPDM('tiny', n_classes=0).eval()


def test_perturb_adds_its_noise_on_the_video_device():
    from hpdm_nb.propagation import perturb
    cfg = get_config('tiny')
    out = perturb(torch.zeros(2, 3, *cfg.patch, device='meta'), 'noise', 0.3)
    assert out.device.type == 'meta'
    v = torch.rand(2, 3, *cfg.patch) * 2 - 1  # on the CPU: the same draws as ever, so stored results stay put
    expected = (v + 0.3 * torch.randn(v.shape, generator=torch.Generator().manual_seed(5))).clamp(-1, 1)
    assert torch.equal(perturb(v, 'noise', 0.3, seed=5), expected)


class _Stop(Exception): "Raised by the fake sampler once it has seen what it was given (measuring reads values, which 'meta' cannot)."


@pytest.mark.parametrize('base_device', ['meta', 'cpu'])
def test_propagation_samples_from_a_perturbed_level_0_on_the_model_device(monkeypatch, base_device):
    import hpdm_nb.propagation
    model, calls = _meta_model(), []  # the devices of the finished levels the sampler is given, call by call
    def fake_sample_pyramid(model, n, given=(), **kw):
        calls.append([g.device.type for g in given])
        if len(calls) == 2: raise _Stop
        return [g.to('meta') for g in given] + [torch.zeros(n, 3, *model.cfg.pyramid.resolution(l), device='meta')
                                                for l in range(len(given), model.cfg.n_levels)]
    monkeypatch.setattr(hpdm_nb.propagation, 'sample_pyramid', fake_sample_pyramid)
    base = [torch.zeros(2, 3, *model.cfg.patch, device=base_device)]
    with pytest.raises(_Stop): hpdm_nb.propagation.propagation(model, base, 'noise', 0.3, steps=2)
    assert calls == [['meta'], ['meta']], f'the sampler was given level 0 on {calls}, not on the model device'


@pytest.mark.parametrize('video_device', ['meta', 'cpu'])
def test_predictions_by_sigma_denoise_noisy_data_on_the_model_device(monkeypatch, video_device):
    import hpdm_nb.dead_pixels
    seen = []
    class FakeDenoiser:  # the real one needs values the 'meta' device cannot give; record what it is asked to denoise
        def __init__(self, model, level, finished, labels): seen.extend(f.device.type for f in finished)
        def __call__(self, y, sigma):
            seen.extend([y.device.type, sigma.device.type])
            return y
    monkeypatch.setattr(hpdm_nb.dead_pixels, 'TiledDenoiser', FakeDenoiser)
    model = _meta_model()
    videos = torch.zeros(2, 3, *model.cfg.target, device=video_device)
    out = hpdm_nb.dead_pixels.predictions_by_sigma(model, videos, None, [0.5, 1.0])
    assert set(seen) == {'meta'} and all(d.device.type == 'meta' for d in out.values()), seen


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_failure_studies_run_on_a_gpu():
    import matplotlib; matplotlib.use('Agg')
    from hpdm_nb.propagation import propagation, plot_propagation
    from hpdm_nb.dead_pixels import dead_rate_by_sigma
    torch.manual_seed(0)
    model = HPDM('tiny').cuda().eval()
    cfg, labels = model.cfg, torch.tensor([0, 1])
    base = [torch.rand(2, 3, *cfg.patch) * 2 - 1]  # on the CPU, as if read from a file
    res = propagation(model, base, 'noise', 0.3, labels, steps=2)
    assert res['perturbed'][-1].is_cuda and set(res['survival']) == {1}
    plot_propagation(res, frames=(0, 1))
    rates = dead_rate_by_sigma(model, torch.rand(2, 3, *cfg.target, device='cuda') * 2 - 1, labels.cuda(), [0.5])
    assert 0 <= rates[0.5] <= 1
