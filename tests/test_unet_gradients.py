"""The level-0 U-Net (nbs/13) in every mode the configuration (nbs/04b) accepts trains every parameter; a mode in which
part of the transformer would never learn is refused when the configuration is made."""
import itertools
import pytest
import torch
from hpdm_nb.config import get_config, ConfigError
from hpdm_nb.loss import pyramid_loss
from hpdm_nb.model import HPDM

SETTINGS = [dict(level0_unet_mode=mode, fusion=fusion, context_detach=detach, levels_per_block=lpb, level0_unet_cond=cond)
            for mode, fusion, detach, lpb, cond in itertools.product(('replace', 'add'), ('deep', 'shallow', 'none'),
                                                                     (False, True), ((1, 2), (2, 2)), ('add', 'film'))]


def _name(s): return '-'.join(f'{v}' if not isinstance(v, tuple) else ''.join(map(str, v)) for v in s.values())


def _refused(s) -> bool:
    "'replace' discards the transformer's level 0, which then learns only through deep fusion into the finer levels."
    return s['level0_unet_mode'] == 'replace' and (s['fusion'] != 'deep' or s['context_detach'])


def _config(s): return get_config('tiny', interface_cond='adaln', level0_unet=(8, 16), **s)


@pytest.mark.parametrize('s', SETTINGS, ids=_name)
def test_each_unet_setting_is_refused_or_gives_every_parameter_a_gradient(s):
    try: cfg = _config(s)
    except ConfigError: return pytest.skip('refused when made (checked below)') if _refused(s) else pytest.fail('refused')
    torch.manual_seed(0)
    model = HPDM(cfg)
    with torch.no_grad():  # as if trained: no zero-initialised layer (U-Net output, fusion's context part) hides a path
        for p in model.parameters(): p.add_(torch.randn_like(p) * 0.05)
    videos = torch.rand(2, 3, *cfg.target) * 2 - 1
    pyramid_loss(model, videos, torch.tensor([0, 1]), generator=torch.Generator().manual_seed(0)).loss.backward()
    none = [n for n, p in model.named_parameters() if p.grad is None]
    zero = [n for n, p in model.named_parameters() if p.grad is not None and not p.grad.abs().sum() > 0]
    assert not none and not zero, f'no gradient: {none}; an all-zero gradient: {zero}'
    gains = model.tokenizer.pos_scale.grad  # one position gain per level: each must learn
    assert (gains != 0).all(), f'a level position gain gets no gradient: {gains.tolist()}'


@pytest.mark.parametrize('s', [s for s in SETTINGS if _refused(s)], ids=_name)
def test_replace_without_deep_fusion_into_the_finer_levels_is_refused(s):
    with pytest.raises(ConfigError, match="level0_unet_mode='add'"): _config(s)


FINER = [dict(fusion=fusion, level0_unet=l0, level0_unet_mode='replace' if fusion == 'deep' else 'add')
         for fusion, l0 in itertools.product(('deep', 'shallow', 'none'), ((), (8, 16)))]


@pytest.mark.parametrize('s', FINER, ids=lambda s: f"{s['fusion']}-{'unet' if s['level0_unet'] else 'transformer'}-level0")
def test_finer_unets_train_and_every_parameter_gets_a_gradient(s):
    cfg = get_config('tiny', interface_cond='adaln', finer_unet=(8, 16), **s)
    torch.manual_seed(0)
    model = HPDM(cfg)
    with torch.no_grad():
        for p in model.parameters(): p.add_(torch.randn_like(p) * 0.05)
    videos = torch.rand(2, 3, *cfg.target) * 2 - 1
    pyramid_loss(model, videos, torch.tensor([0, 1]), generator=torch.Generator().manual_seed(0)).loss.backward()
    quiet = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not quiet, f'no gradient: {quiet}'
    assert len(model.finer_unets) == cfg.n_levels - 1 and model.finer_unets[0].stem.in_channels == 2 * cfg.channels
