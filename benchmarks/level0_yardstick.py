"""How many training steps does a transformer diffusion model need before it draws coherent MovingShapes?

A yardstick for the workshop's coarsest level. One of three networks is trained on the built-in data at level-0
resolution, with the same EDM loss, noise distribution, optimiser and sampler as `hpdm_train workshop`:

- `--model dit` (default), independent of HPDM: a plain DiT (adaLN-zero blocks, full self-attention among all tokens,
  learned positions);
- `--model rin`: HPDM's own backbone in the workshop configuration, on a one-level pyramid whose only patch is the
  level-0 video (so the comparison with the DiT isolates the backbone from the pyramid);
- `--model unet`: a small 3D convolutional U-Net, the locality prior that transformers must learn.

It prints, at every `--sample-at` step:

- the denoising error per noise level, next to the error of the ideal class-conditional denoiser of the training set
  (the posterior mean over its videos, `hpdm_nb.diffusion.GaussianMixture`); where the two part tells which noise
  levels the network has not learnt yet;
- sample statistics against the training data's (`hpdm_nb.video_files.object_stats`): objects per frame (connected
  foreground regions; every training frame has exactly one), the foreground's share of a frame, and how much
  consecutive frames' foregrounds overlap (IoU; a moving object keeps part of it, fragments that jump keep little);
- the right kind: how often the quality bar's `KindJudge` (nbs/09b), fitted on 512 training videos at this
  resolution, names a sample's label (chance: 1 in 4), beside its score on 64 videos it was not fitted on;

and writes a frame sheet of 8 class-conditional samples per `--sample-at` step to `--out`. Samples come from the
EMA of the weights (`--ema-half-life` steps, the workshop's 1000) with the library's default level-0 sampler
(64 deterministic Heun steps; `--churn 40` is EDM's stochastic setting).

Usage: python benchmarks/level0_yardstick.py [--model dit] [--steps 1000] [--sample-at 250,500,1000] [--tokens 2,4,4]
           [--lr 1e-3] [--batch 32] [--n-videos 2048] [--p-mean -1.2 --p-std 1.2] [--pos-scale 0.02]
           [--rin key=value ...] [--radius 0.14,0.22] [--spin 1] [--pool 2] [--threads 1]
           [--n-samples 8] [--churn 0] [--ema-half-life 1000] [--out runs/yardstick]
"""
import argparse, math, time
from pathlib import Path
import torch, torch.nn as nn, torch.nn.functional as F
import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
from hpdm_nb.tokens import patchify, unpatchify
from hpdm_nb.rin import modulate
from hpdm_nb.diffusion import Denoiser, sample_sigmas, get_sigmas_karras
from hpdm_nb.samplers import generate, GaussianMixture
from hpdm_nb.shapes import MovingShapes, object_stats
from hpdm_nb.video import frame_sheet
from hpdm_nb.datasets import MemoryDataset
from hpdm_nb.runconfig import resolve_config
from hpdm_nb.optim import warmup_cosine, make_ema
from hpdm_nb.quality import KindJudge
from hpdm_nb.model import HPDM
from hpdm_nb.unet import PatchUNet
from hpdm_nb.patches import PatchCoords, starts_to_coords


class NoiseLabel(nn.Module):
    "The noise level (random Fourier features of c_noise, then an MLP) plus a class embedding: one vector per sample."
    def __init__(self, n_classes, d):
        super().__init__()
        self.freqs = nn.Parameter(torch.randn(d // 2), requires_grad=False)
        self.noise_mlp = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.label = nn.Embedding(n_classes, d)

    def forward(self, c_noise, labels):
        ang = c_noise.reshape(-1, 1) * self.freqs * 2 * math.pi
        return self.noise_mlp(torch.cat([ang.sin(), ang.cos()], -1)) + self.label(labels)


class Block(nn.Module):
    "Transformer block with adaLN-zero: the noise/class vector shifts, scales and gates attention and MLP."
    def __init__(self, d, heads=4):
        super().__init__()
        self.heads = heads
        self.n1, self.n2 = nn.LayerNorm(d, elementwise_affine=False), nn.LayerNorm(d, elementwise_affine=False)
        self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.ada = nn.Linear(d, 6 * d)
        nn.init.zeros_(self.ada.weight); nn.init.zeros_(self.ada.bias)

    def forward(self, x, c):
        sh1, sc1, g1, sh2, sc2, g2 = self.ada(F.silu(c))[:, None].chunk(6, -1)
        split = lambda t: t.unflatten(-1, (self.heads, -1)).transpose(1, 2)
        q, k, v = self.qkv(modulate(self.n1(x), sh1, sc1)).chunk(3, -1)
        x = x + g1 * self.o(F.scaled_dot_product_attention(split(q), split(k), split(v)).transpose(1, 2).flatten(2))
        return x + g2 * self.mlp(modulate(self.n2(x), sh2, sc2))


class DiT(nn.Module):
    "The yardstick: patch embedding, learned positions, adaLN-zero blocks, zero-initialised output."
    def __init__(self, shape, tokens, n_classes, d=128, depth=4, pos_scale=0.02):
        super().__init__()
        self.shape, self.tokens = tuple(shape), tuple(tokens)
        tv, n = 3 * math.prod(tokens), math.prod(s // t for s, t in zip(shape, tokens))
        self.embed, self.pos = nn.Linear(tv, d), nn.Parameter(torch.randn(n, d) * pos_scale)
        self.cond = NoiseLabel(n_classes, d)
        self.blocks = nn.ModuleList([Block(d) for _ in range(depth)])
        self.norm, self.ada, self.out = nn.LayerNorm(d, elementwise_affine=False), nn.Linear(d, 2 * d), nn.Linear(d, tv)
        for m in (self.ada, self.out): nn.init.zeros_(m.weight); nn.init.zeros_(m.bias)

    def forward(self, x, c_noise, labels):
        c = self.cond(c_noise, labels)
        h = self.embed(patchify(x, self.tokens)) + self.pos
        for b in self.blocks: h = b(h, c)
        shift, scale = self.ada(F.silu(c))[:, None].chunk(2, -1)
        return unpatchify(self.out(modulate(self.norm(h), shift, scale)), self.shape, self.tokens)


class RINLevel0(nn.Module):
    "HPDM's own backbone (the workshop configuration) on a one-level pyramid whose patch is the whole level-0 video."
    def __init__(self, shape, n_classes, overrides=()):  # 'key=value' strings, type-checked by the library
        super().__init__()
        size = ','.join(map(str, shape))
        cfg, _ = resolve_config('workshop', [f'target={size}', f'patch={size}', 'n_levels=1', 'levels_per_block=adaptive',
                                             f'n_classes={n_classes}', *overrides])
        self.hpdm = HPDM(cfg)
        self.coords = starts_to_coords(cfg.pyramid, torch.zeros(1, 1, 3, dtype=torch.long))[0]

    def forward(self, x, c_noise, labels):
        B = x.shape[0]
        co = PatchCoords(self.coords.scale.expand(B, -1), self.coords.offset.expand(B, -1))
        return self.hpdm.backbone([x], [c_noise.reshape(-1)], [co], labels)[0][0]


class UNet(nn.Module):
    "The library's level-0 U-Net (nbs/13; widths 32, 64, 96, 3 resolutions) with its own noise/class vector, as a second reference."
    def __init__(self, n_classes, d=128, ch=(32, 64, 96)):
        super().__init__()
        self.cond = NoiseLabel(n_classes, d)
        self.net = PatchUNet(3, ch, d)  # its modules built in the order of the runs in benchmarks/README.md: the same initial weights

    def forward(self, x, c_noise, labels):
        return self.net(x, F.silu(self.cond(c_noise, labels)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=1000)
    ap.add_argument('--sample-at', default='250,500,1000', help='steps at which to evaluate and sample')
    ap.add_argument('--tokens', default='2,4,4', help='pixels per token (t,h,w); the workshop uses 2,4,4')
    ap.add_argument('--pool', type=int, default=2, help='downsampling of the 16x32x32 videos (2: the workshop level 0)')
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--n-videos', type=int, default=2048)
    ap.add_argument('--radius', default='0.14,0.22', help='object radius range (MovingShapes)')
    ap.add_argument('--spin', type=float, default=1.0)
    ap.add_argument('--p-mean', type=float, default=-1.2)
    ap.add_argument('--p-std', type=float, default=1.2)
    ap.add_argument('--model', default='dit', choices=('dit', 'rin', 'unet'),
                    help="dit: the plain DiT; rin: HPDM's own backbone on the level-0 video; unet: a 3D conv U-Net")
    ap.add_argument('--pos-scale', type=float, default=0.02, help='DiT: standard deviation of the learned positions at init')
    ap.add_argument('--rin', nargs='*', default=[], help='rin: workshop config overrides, key=value ... (e.g. pos_gain=5)')
    ap.add_argument('--sigma-data', type=float, default=1.0, help='EDM sigma_data (the workshop: 1)')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--n-samples', type=int, default=8, help='samples per evaluation (the frame sheet shows 8)')
    ap.add_argument('--churn', type=float, default=0.0, help="sampler churn: 0 is the library's default, 40 EDM's stochastic setting")
    ap.add_argument('--ema-half-life', type=float, default=1000, help='EMA half-life in steps; samples use the EMA')
    ap.add_argument('--out', default='runs/yardstick')
    a = ap.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    radius = tuple(float(v) for v in a.radius.split(','))
    ds = MemoryDataset(MovingShapes(a.n_videos, size=(16, 32, 32), seed=0, radius=radius, spin=a.spin), progress=True)
    V = F.avg_pool3d(ds.videos.float() / 127.5 - 1, a.pool); L = ds.labels.long(); n_classes = int(L.max()) + 1
    shape, tokens = tuple(V.shape[2:]), tuple(int(v) for v in a.tokens.split(','))
    at = sorted({int(s) for s in a.sample_at.split(',')} | {a.steps})
    ref = object_stats(V[:256])
    judge = KindJudge().fit(V[:512], L[:512])
    print(f'data {tuple(V.shape)}; objects per frame {ref["objects_per_frame"]:.2f} (exactly one: {ref["one_object"]:.0%}), '
          f'foreground {ref["foreground"]:.0%} of a frame, consecutive-frame IoU {ref["frame_iou"]:.2f}, '
          f'right kind {judge.accuracy(V[-64:], L[-64:]):.0%} (judge on 64 videos it was not fitted on)')

    if a.model == 'rin':
        net = RINLevel0(shape, n_classes, a.rin)
    else: net = UNet(n_classes) if a.model == 'unet' else DiT(shape, tokens, n_classes, pos_scale=a.pos_scale)
    den = Denoiser(net, sigma_data=a.sigma_data)  # EDM around the network, as HPDM's workshop model (no input scaling)
    ema = make_ema(den, a.ema_half_life)
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, betas=(0.9, 0.99), weight_decay=0.01)
    sch = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: warmup_cosine(s, 50, a.steps, 0.1))  # the workshop preset's
    ideal = GaussianMixture(torch.ones(len(V)), V.flatten(1), 0.0).class_denoiser(L)
    g, t0 = torch.Generator().manual_seed(0), time.time()
    print(f'{a.model} {sum(p.numel() for p in net.parameters()) / 1e6:.2f}M parameters, {math.prod(s // t for s, t in zip(shape, tokens))} tokens')
    for step in range(1, a.steps + 1):
        idx = torch.randint(0, len(V), (a.batch,), generator=g)
        x0, lab = V[idx], L[idx]
        sig = sample_sigmas(a.batch, a.p_mean, a.p_std, g)
        loss = den.loss(x0, sig, torch.randn(x0.shape, generator=g), labels=lab).mean()
        opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0); opt.step(); sch.step()
        ema.update_parameters(den)
        if step not in at: continue
        ema.eval()
        with torch.no_grad():
            ge = torch.Generator().manual_seed(1); ev = torch.randint(0, len(V), (64,), generator=ge)
            errs = []
            for s in (0.3, 1.0, 2.0, 5.0, 10.0):
                y = V[ev] + s * torch.randn(V[ev].shape, generator=ge)
                sg = torch.full((64,), s)
                errs.append((s, (ema(y, sg, labels=L[ev]) - V[ev]).pow(2).mean().item(),
                             (ideal(y.flatten(1), sg, L[ev]).view_as(y).float() - V[ev]).pow(2).mean().item()))
            lab = torch.arange(a.n_samples) % n_classes
            smp = generate(lambda y, s: ema(y, s, labels=lab), (a.n_samples, 3) + shape, get_sigmas_karras(64), 'heun',
                           generator=torch.Generator().manual_seed(0),
                           s_churn=a.churn, s_tmin=0.05, s_tmax=50, s_noise=1.003).clamp(-1, 1)
        st = object_stats(smp)
        print(f'step {step:6d} ({time.time() - t0:5.0f} s)  loss {loss.item():.3f}  denoising MSE net/ideal: '
              + '  '.join(f'σ={s:g} {e:.3f}/{i:.3f}' for s, e, i in errs)
              + f'\n             samples: objects per frame {st["objects_per_frame"]:.2f} (exactly one: {st["one_object"]:.0%}), '
              f'foreground {st["foreground"]:.0%}, consecutive-frame IoU {st["frame_iou"]:.2f}, '
              f'right kind {judge.accuracy(smp, lab):.0%}', flush=True)
        fig = frame_sheet(smp[:8], n_frames=shape[0], row_titles=[f'class {int(c)}' for c in lab[:8]],
                          title=f'{a.model} yardstick, {"x".join(map(str, shape))} with {"x".join(map(str, tokens))} tokens, step {step}')
        fig.savefig(out / f'samples_step{step}.png', dpi=60); plt.close(fig)
    print(f'frame sheets in {out.resolve()}')


if __name__ == '__main__':
    main()
