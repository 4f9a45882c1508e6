"""Videos per second of each training stage of the shipped models' recipes, as the trainer ran them and as it runs them now.

'before': every pyramid level computed at every step, AdamW's per-tensor loop. 'now': the stage computes only the levels
whose losses reach the weights it trains (`levels`, nbs/06: a stage that trains the level-0 U-Net alone computes level 0
alone, and the U-Net draws level 0 without the transformer's pass, nbs/13), and AdamW updates every tensor in one fused
call (nbs/06b). Both variants of a stage are timed in the same run, interleaved, after warm-up; one step = `train_step`
(draws, pyramid loss, backward, clipping, optimiser, EMA) on MovingShapes videos.

`--curve N` also trains the U-Net stage both ways for N steps from the same weights and the same batches and draws, and
prints the first steps' difference (the fused optimiser's rounding) and the two level-0 loss curves as means over
windows (single steps part ways once rounding has moved the weights, as any two runs on different hardware do).

`--sampling N` times level 0 of the shipped `workshop` sampled for N videos (64 Heun steps, guidance 3, the card's
level 0) as it runs now, its U-Net alone at every step, against the same weights made to run the transformer's level-0
pass too (as every step did before), and prints the largest difference between the two samples.

Usage: python benchmarks/stage_speed.py [--stages all|none|1,3,...] [--repeats 7] [--threads 2] [--curve 200] [--sampling 8]
"""
import argparse, statistics, time
import torch
from hpdm_nb.runconfig import recipe_stages, resolve_config
from hpdm_nb.model import HPDM
from hpdm_nb.optim import make_optimizer, param_groups, make_ema, warmup_cosine
from hpdm_nb.step import train_step
from hpdm_nb.distributed import freeze_except
from hpdm_nb.shapes import MovingShapes
from hpdm_nb.draws import sample_seed


def stages():
    "(name, model config, train config) of the workshop recipe's stages and of the workshop-256 preset."
    out = [(f'workshop stage {k}', m, t) for k, (m, t) in enumerate(recipe_stages('workshop'), 1)]
    return out + [('workshop-256',) + resolve_config('workshop-256')]


def levels_of(mcfg, tcfg):
    "The levels a stage must compute: level 0 alone when only the U-Net that draws it is trained."
    alone = tcfg.train_only.strip() == 'unet' and mcfg.level0_unet and mcfg.level0_unet_mode == 'replace'
    return getattr(tcfg, 'levels', 0) or (1 if alone else None)


class Runner:
    "A stage's model, optimiser and EMA, stepping on a fixed set of videos with each step's own draws."
    def __init__(self, mcfg, tcfg, now: bool, videos, labels):
        torch.manual_seed(0)
        self.model = HPDM(mcfg)
        freeze_except(self.model, tcfg.train_only)
        if now: self.opt, self.sched = make_optimizer(self.model, 'adamw', tcfg.lr, tcfg.betas, tcfg.eps, tcfg.weight_decay,
                                                      tcfg.warmup, tcfg.steps, tcfg.min_lr_ratio)
        else:  # AdamW as the trainer made it before: one tensor at a time, the same groups and schedule
            groups = param_groups(self.model, tcfg.weight_decay)
            for g in groups: g.pop('adapt')
            self.opt = torch.optim.AdamW(groups, lr=tcfg.lr, betas=tcfg.betas, eps=tcfg.eps, foreach=False)
            self.sched = torch.optim.lr_scheduler.LambdaLR(
                self.opt, lambda s: warmup_cosine(s, tcfg.warmup, tcfg.steps, tcfg.min_lr_ratio))
        self.ema = make_ema(self.model, tcfg.ema_half_life)
        self.levels = levels_of(mcfg, tcfg) if now else None
        self.videos, self.labels, self.calls = videos, labels, 0

    def batches(self):
        while True:
            s = self.calls; self.calls += 1
            yield dict(video=self.videos, label=self.labels, seed=torch.tensor([sample_seed(0, s, k) for k in range(len(self.labels))]))

    def step(self, it):
        return train_step(self.model, self.opt, self.sched, self.ema, it, levels=self.levels)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--stages', default='all', help="'all' or 1-based indices into the list printed first")
    ap.add_argument('--repeats', type=int, default=7)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--curve', type=int, default=0, help='steps of the U-Net stage to compare loss curves over')
    ap.add_argument('--sampling', type=int, default=0, help='videos of level 0 to sample both ways')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    todo = stages()
    for i, (n, m, t) in enumerate(todo, 1): print(f'{i}: {n}: {m.n_levels} levels up to {m.target}, train_only={t.train_only or "all"}, levels={levels_of(m, t) or "all"}')
    if a.stages != 'all': todo = [] if a.stages == 'none' else [todo[int(i) - 1] for i in a.stages.split(',')]
    rows = []
    for name, mcfg, tcfg in todo:
        ds = MovingShapes(a.batch, size=mcfg.target)
        videos = torch.stack([ds[i]['video'] for i in range(a.batch)])
        labels = torch.tensor([ds[i]['label'] for i in range(a.batch)])
        run = {k: Runner(mcfg, tcfg, k == 'now', videos, labels) for k in ('before', 'now')}
        its = {k: r.batches() for k, r in run.items()}
        for k in run: run[k].step(its[k]); run[k].step(its[k])  # warm-up
        times = {k: [] for k in run}
        for _ in range(a.repeats):
            for k in run:
                t0 = time.perf_counter(); run[k].step(its[k]); times[k].append(time.perf_counter() - t0)
        b, n = (statistics.median(times[k]) for k in ('before', 'now'))
        rows.append((name, tcfg.train_only or 'all', levels_of(mcfg, tcfg) or 'all', b, n))
        print(f'  {name}: before {b * 1000:.0f} ms, now {n * 1000:.0f} ms a step of {a.batch}', flush=True)
    if rows: print(f'\n| stage | trains | levels computed now | before: step, videos/s | now: step, videos/s | now / before |')
    if rows: print('|---|---|---|---|---|---|')
    for name, only, lv, b, n in rows:
        print(f'| {name} | {only} | {lv} | {b * 1000:.0f} ms, {a.batch / b:.1f} | {n * 1000:.0f} ms, {a.batch / n:.1f} | {b / n:.2f}x |')
    if a.curve:
        name, mcfg, tcfg = next(s for s in stages() if levels_of(s[1], s[2]) == 1)
        ds = MovingShapes(64, size=mcfg.target)
        data = [ds[i] for i in range(64)]
        curves = {}
        for k in ('before', 'now'):
            r = Runner(mcfg, tcfg, k == 'now', None, None)
            def batches():  # eight different videos a step, the same in both runs
                for s in range(a.curve):
                    idx = [(s * a.batch + j) % 64 for j in range(a.batch)]
                    yield dict(video=torch.stack([data[i]['video'] for i in idx]), label=torch.tensor([data[i]['label'] for i in idx]),
                               seed=torch.tensor([sample_seed(0, s, j) for j in range(a.batch)]))
            it = batches()
            t0 = time.perf_counter()
            curves[k] = torch.stack([r.step(it).per_level[0] for _ in range(a.curve)])
            print(f'  {name}, {a.curve} steps {k}: {time.perf_counter() - t0:.1f} s', flush=True)
        d = (curves['now'] - curves['before']).abs() / curves['before']
        w = max(1, a.curve // 4)  # single steps part ways (rounding, then chaos); the curve is the windows' means
        means = {k: [f'{v[i:i + w].mean():.4f}' for i in range(0, a.curve, w)] for k, v in curves.items()}
        print(f'level-0 loss: relative difference of the first 5 steps {d[:5].max():.1e}; means over windows of {w} steps: '
              f'before {", ".join(means["before"])}; now {", ".join(means["now"])}')

    if a.sampling: sampling(a.sampling)


def sampling(n: int):
    "Level 0 of the shipped workshop sampled with its U-Net alone at every step, and with the transformer's pass too."
    from hpdm_nb.weights import load_pretrained
    from hpdm_nb.sampling import sample_pyramid
    model = load_pretrained('workshop')
    class Before(torch.nn.Module):  # the same model, asked to keep its context: the transformer's level-0 pass runs
        def __init__(self, m): super().__init__(); self.m, self.cfg = m, m.cfg
        def forward(self, *args, **kw): return self.m(*args, **{**kw, 'keep_context': True})
        def __getattr__(self, k):
            try: return super().__getattr__(k)
            except AttributeError: return getattr(self.m, k)
    kw = dict(labels=torch.arange(n) % 4, seeds=list(range(n)), steps=64, guidance=3.0, levels=1, progress=False)
    out, secs = {}, {}
    for name, m in (('before', Before(model)), ('now', model), ('before', Before(model)), ('now', model)):
        t0 = time.perf_counter(); out[name] = sample_pyramid(m, n, **kw)[0]; secs.setdefault(name, []).append(time.perf_counter() - t0)
    b, w = min(secs['before']), min(secs['now'])
    print(f'level 0 of {n} videos, 64 steps, guidance 3: before {b:.1f} s, now {w:.1f} s ({b / w:.2f}x); '
          f'largest difference {(out["before"] - out["now"]).abs().max():.1e}')


if __name__ == '__main__':
    main()
