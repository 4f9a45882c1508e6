"""Can a small convolutional network draw a finer level from the data's own coarser level? A yardstick for HPDM's finer levels.

HPDM's finer levels, given the data's own coarser level, draw frayed blobs (benchmarks/README.md, 'Finished context').
Is the budget short, or the design? This script trains a small conditional 3D U-Net (the level-0 U-Net's blocks,
nbs/13) as an EDM denoiser of one finer level `l`, reading the noisy level and the coarser level upsampled beside it,
on the same 8x16x16 crops, noise distribution (HPDM's finer levels': ln sigma ~ N(-1.2, 1.2)), batch and optimiser
as HPDM's finer levels train with. At chosen steps it samples held-out videos' level `l` from their own level `l-1`
with the shipped card's sampler for that level (Euler, started from the upsampled coarser level plus noise of sigma
0.1, frames placed even, `steps / 2**l` steps) and measures it as the model cards do (nbs/09b: one object, right kind,
grain over the data's; at each start sigma of `--starts`). The EMA weights of each point are kept in `--out`.
`--hpdm pretrained:workshop` measures HPDM's own level `l` the same way beside it, and the
data's coarser level upsampled is measured as the floor (what a level that only copied its context would score).

Usage: python benchmarks/finer_yardstick.py [--level 1] [--steps 4000] [--sample-at 1000,2000,4000] [--n 32] [--starts 0.1,0.5,80]
       [--hpdm pretrained:workshop] [--threads 1] [--out runs/yardstick-finer-l1]
"""
import argparse, json, math, os, time
from pathlib import Path
import torch
import torch.nn as nn
import torch.nn.functional as F
from hpdm_nb.unet import PatchUNet
from hpdm_nb.diffusion import Denoiser, sample_sigmas, get_sigmas_karras, SIGMA_MIN
from hpdm_nb.samplers import sample_euler
from hpdm_nb.patches import level_video
from hpdm_nb.config import get_config
from hpdm_nb.quality import shapes_data, KindJudge, token_border_stats, border_summary
from hpdm_nb.shapes import object_stats
from hpdm_nb.video import dequantize
import hpdm_nb.sampling as sampling


class FinerUNet(PatchUNet):
    "The level-0 U-Net (nbs/13) as a denoiser of a finer level: the noisy level and the upsampled coarser level in, `F` out."
    def __init__(self, widths=(32, 64, 96), dim_cond: int = 64, channels: int = 3):
        super().__init__(2 * channels, widths, dim_cond)  # its stem reads both videos side by side
        self.out = nn.Conv3d(self.widths[0], channels, 3, padding=1)  # and draws the level alone
        nn.init.zeros_(self.out.weight); nn.init.zeros_(self.out.bias)
        self.noise = nn.Sequential(nn.Linear(1, dim_cond), nn.SiLU(), nn.Linear(dim_cond, dim_cond), nn.SiLU())

    def forward(self, x, c_noise, coarse):
        cond = self.noise(c_noise.reshape(-1, 1).expand(x.shape[0], 1).to(x.dtype))
        return super().forward(torch.cat([x, coarse], 1), cond)


def crops(level, coarse_up, patch, gen):
    "The same random `patch`-sized crop of each video's level and of its upsampled coarser level."
    B, (t, h, w) = level.shape[0], patch
    T, H, W = level.shape[2:]
    idx = [torch.randint(0, n - k + 1, (B,), generator=gen) for n, k in zip((T, H, W), (t, h, w))]
    pick = lambda v: torch.stack([v[b, :, a:a + t, c:c + h, d:d + w] for b, (a, c, d) in enumerate(zip(*idx))])
    return pick(level), pick(coarse_up)


class Judge:
    "The cards' measurements of level `l` of held-out videos, cheaply: one object, right kind, grain over the data's."
    def __init__(self, data, pyr, l, n, tokenizer):
        self.pyr, self.l, self.tok = pyr, l, tokenizer
        self.held, self.labels = data['held'][:n], data['held_labels'][:n]
        self.given = [level_video(self.held, pyr, k) for k in range(l)]  # the data's own coarser levels
        prep = lambda v: level_video(v, pyr, l)
        self.kind = KindJudge().fit(data['train'][:512], data['train_labels'][:512], prep=prep)
        self.data_grain = self.grain(prep(self.held))

    def grain(self, v): return border_summary(token_border_stats(v, self.tok))['grain']

    def __call__(self, levels_fn) -> dict:
        t0 = time.time()
        v = levels_fn(self.given).float().clamp(-1, 1)
        secs = time.time() - t0
        return dict(one_object=object_stats(v)['one_object'], kind=self.kind.accuracy(v, self.labels),
                    grain=self.grain(v) / self.data_grain, seconds=secs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--config', default='workshop-64', help="the model whose pyramid and data the yardstick takes")
    ap.add_argument('--level', type=int, default=1)
    ap.add_argument('--steps', type=int, default=4000)
    ap.add_argument('--sample-at', default='1000,2000,4000')
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--p-mean', type=float, default=-1.2)
    ap.add_argument('--p-std', type=float, default=1.2)
    ap.add_argument('--widths', default='32,64,96')
    ap.add_argument('--n', type=int, default=32, help='held-out videos to sample and measure')
    ap.add_argument('--starts', default='0.1', help="the finer level's start sigmas to sample from (comma-separated; 80: pure noise)")
    ap.add_argument('--sampler-steps', type=int, default=64, help="level 0's steps; level l takes steps / 2**l")
    ap.add_argument('--hpdm', help='also measure this HPDM (run folder or pretrained:NAME) given the same coarser levels')
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--out', default=None)
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    cfg, l = get_config(a.config), a.level
    pyr = cfg.pyramid
    if not 1 <= l < cfg.n_levels: raise SystemExit(f'--level must be 1 to {cfg.n_levels - 1} for {cfg.name}')
    out = Path(a.out or f'runs/yardstick-finer-l{l}'); out.mkdir(parents=True, exist_ok=True)
    results = json.loads((out / 'results.json').read_text()) if (out / 'results.json').exists() else {}
    def save(): tmp = out / 'results.json.tmp'; tmp.write_text(json.dumps(results, indent=1)); os.replace(tmp, out / 'results.json')
    data = shapes_data(4096, cfg.target, 0, n_held=max(64, a.n))
    res_l = pyr.resolution(l)
    sin = cfg.level_sigma_in(l)
    steps_l = max(4, a.sampler_steps // 2 ** l)
    def up(coarse): return sampling.upsample_start(coarse, res_l[1:] if False else res_l, 'even')

    judge = Judge(data, pyr, l, a.n, cfg.tokenizer)
    starts = [float(x) for x in a.starts.split(',')]
    if 'upsampled' not in results:  # the floor: the coarser level, upsampled, as the level
        results['upsampled'] = judge(lambda given: up(given[-1])); save()
        print('data level', l - 1, 'upsampled:', results['upsampled'], flush=True)
    if a.hpdm and 'hpdm' not in results:
        from hpdm_nb.weights import load_pretrained, load_model
        model = load_pretrained(a.hpdm.split(':', 1)[1]) if a.hpdm.startswith('pretrained:') else load_model(a.hpdm)[0]
        model.eval()
        fn = lambda given, c: sampling.sample_pyramid(model, a.n, labels=data['held_labels'][:a.n], seeds=range(a.n), given=given,
                                                      levels=l + 1, steps=a.sampler_steps, coarse_start=None if c >= 80 else c,
                                                      coarse_frames='even', progress=False)[l]
        results['hpdm'] = dict(model=a.hpdm, **{str(c): judge(lambda g: fn(g, c)) for c in starts}); save()
        print('HPDM', a.hpdm, results['hpdm'], flush=True)

    if a.steps == 0: return  # --steps 0: only the floor and --hpdm
    torch.manual_seed(0)
    net = Denoiser(FinerUNet(tuple(int(w) for w in a.widths.split(','))), cfg.sigma_data, sin)
    ema = torch.optim.swa_utils.AveragedModel(net, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.5 ** (1 / 500)))
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=0.01, fused=True)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / 200) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1, s / a.steps)))))
    train, gen = data['train'], torch.Generator().manual_seed(0)
    at = {int(s) for s in a.sample_at.split(',')}
    print(f'yardstick for level {l} ({res_l}): {sum(p.numel() for p in net.parameters()):,} parameters', flush=True)
    t0 = time.time()
    for step in range(1, a.steps + 1):
        idx = torch.randint(0, len(train), (a.batch,), generator=gen)
        v = train[idx] if torch.is_tensor(train) else torch.stack([train[int(i)] for i in idx])
        v = dequantize(v) if v.dtype == torch.uint8 else v.float()
        lv, co = level_video(v, pyr, l), up(level_video(v, pyr, l - 1))
        x, c = crops(lv, co, pyr.patch, gen)
        sigma = sample_sigmas(a.batch, a.p_mean, a.p_std, gen)
        loss = net.loss(x, sigma, coarse=c / sin).mean()
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0); opt.step(); sched.step(); ema.update_parameters(net)
        if step % 250 == 0: print(f'step {step}: loss {loss.item():.4f} ({time.time() - t0:.0f} s)', flush=True)
        if step in at and str(step) not in results:
            den = ema.module.eval()
            torch.save(den.state_dict(), out / f'ema_step{step}.pt')
            def fn(given, c):
                co = up(given[-1])
                g = torch.Generator().manual_seed(0)
                x0 = co / sin * (c < 80) + c * torch.randn(co.shape, generator=g)  # 80: pure noise, the paper's start
                sig = get_sigmas_karras(steps_l, SIGMA_MIN, c)
                return sample_euler(lambda y, s: den(y, s.reshape(-1).expand(y.shape[0]), coarse=co / sin), x0, sig, disable=True) * sin
            results[str(step)] = dict(videos=step * a.batch, **{str(c): judge(lambda g: fn(g, c)) for c in starts}); save()
            print(f'step {step}:', results[str(step)], flush=True)
            den.train()


if __name__ == '__main__':
    main()
