"The pixel-convolution switch (nbs/03b) keeps the invariants of tiled and cached inference, and trains (its config check: nbs/04b)."
import torch
from hpdm_nb.config import get_config
from hpdm_nb.model import HPDM
from hpdm_nb.tiled_denoiser import TiledDenoiser, CACHES
from hpdm_nb.loss import pyramid_loss
from hpdm_nb.patches import level_coords, PatchCoords


def _model(seed=0):
    torch.manual_seed(seed)
    cfg = get_config('tiny', target=(8, 32, 32), patch=(4, 8, 8), n_levels=3, n_blocks=3,
                     levels_per_block='adaptive', pixel_conv=4)
    model = HPDM(cfg).eval()
    with torch.no_grad():  # the zero-initialised outputs carry signal, as after training
        for w in (model.detokenizer.proj.weight, model.detokenizer.head.weight): torch.nn.init.normal_(w, std=0.1)
    return cfg, model


def test_one_tile_equals_the_model_and_caches_agree():
    cfg, model = _model()
    lab = torch.tensor([0, 3])
    g = torch.Generator().manual_seed(1)
    finished = [torch.randn(2, 3, *cfg.pyramid.resolution(l), generator=g).clamp(-1, 1) for l in range(2)]
    y = torch.randn(2, 3, *cfg.patch, generator=g)
    sig = torch.full((2,), 1.5)
    c0 = level_coords(cfg.pyramid, 0, torch.zeros(1, 3, dtype=torch.long))
    c0 = PatchCoords(c0.scale.expand(2, 3), c0.offset.expand(2, 3))
    with torch.no_grad():
        direct = model([y], [sig], [c0], lab).denoised[0]
        tiled = TiledDenoiser(model, 0, [], lab, self_cond=False)(y, sig)
        torch.testing.assert_close(tiled, direct, atol=1e-5, rtol=0)
        x = torch.randn(2, 3, *cfg.pyramid.resolution(2), generator=g)
        res = {c: TiledDenoiser(model, 2, finished, lab, guidance=2.0, stride=(2, 4, 4), cache=c)(x, sig) for c in CACHES}
    for c in CACHES: torch.testing.assert_close(res[c], res['full'], atol=1e-4, rtol=0)


def test_the_convolutions_train():
    cfg, model = _model()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    x = torch.rand(4, 3, *cfg.target) * 2 - 1
    losses = []
    for _ in range(30):
        loss = pyramid_loss(model, x, torch.tensor([0, 1, 2, 3]), generator=torch.Generator().manual_seed(0)).loss
        opt.zero_grad(); loss.backward(); opt.step(); losses.append(loss.item())
    assert model.tokenizer.stem.weight.grad.abs().sum() > 0 and model.detokenizer.head.weight.grad.abs().sum() > 0
    assert sum(losses[-5:]) < sum(losses[:5])
