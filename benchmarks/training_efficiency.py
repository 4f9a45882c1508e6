"""HPDM's training efficiency, in miniature: the paper's Table 1, adaptive computation, and achieved FLOP/s.

Three measurements, each printing ratios taken in the same run:

1. HPDM against a full-resolution diffusion model with the same RIN backbone (the paper's Table 1: at 64x256x256,
   about 5x the throughput and 4.6x less memory). The full-resolution model is the same configuration with one
   level whose patch is the whole target video. One training step (loss, backward, AdamW step), at two or three target
   sizes so that the growth shows. Time is the median of interleaved runs; peak memory is the device's peak allocation
   on CUDA, and on CPU the growth of the process's peak resident memory during the steps, measured in a fresh
   subprocess per model (CPU has no allocator statistics to reset).
2. Adaptive computation on against off (levels_per_block 'adaptive' against 'full'; the paper: about 1.6x).
3. Achieved FLOP/s of an HPDM training step (FLOPs counted by torch.utils.flop_counter) against the peak matmul FLOP/s
   measured on the same device (a large fp32 matmul).

Usage: python benchmarks/training_efficiency.py [--device cuda] [--sizes 1,2,3] [--batch 2]
"""
import argparse, json, resource, statistics, subprocess, sys, time
from dataclasses import replace
import torch
from torch.utils.flop_counter import FlopCounterMode
from hpdm_nb.config import get_config
from hpdm_nb.model import HPDM
from hpdm_nb.loss import pyramid_loss


def configs(size: int, base='workshop'):
    "HPDM with `size + 1` levels (target = patch * 2^size) and the full-resolution model of the same target."
    b = get_config(base)
    f = 2 ** size
    target = tuple(n * f for n in b.patch)
    # self-conditioning as in the paper (the workshop preset turns it off to fit its ten minutes)
    hpdm = replace(get_config(base, target=target, n_levels=size + 1, levels_per_block='adaptive', self_cond_prob=0.9),
                   name=f'hpdm-{size + 1}lv')
    full = replace(get_config(base, target=target, patch=target, n_levels=1, levels_per_block='adaptive',
                              self_cond_prob=0.9), name='full-res')
    return hpdm, full


class Step:
    "One training step of a model on random videos, deterministic per call."
    def __init__(self, cfg, batch, device):
        torch.manual_seed(0)
        self.model = HPDM(cfg).to(device)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-4)
        self.videos = torch.rand(batch, cfg.channels, *cfg.target, device=device) * 2 - 1
        self.labels = torch.arange(batch, device=device) % max(cfg.n_classes, 1) if cfg.n_classes else None
        self.device = torch.device(device)

    def sync(self):
        if self.device.type == 'cuda': torch.cuda.synchronize(self.device)

    def __call__(self):
        g = torch.Generator(device='cpu').manual_seed(1)
        loss = pyramid_loss(self.model, self.videos, self.labels, generator=g).loss
        self.opt.zero_grad(set_to_none=True); loss.backward(); self.opt.step()
        return loss

    def timed(self):
        self.sync(); t0 = time.perf_counter(); self(); self.sync(); return time.perf_counter() - t0


def peak_memory(cfg_dict, batch, device, steps=2) -> float:
    "Peak memory of training steps, in MiB: the allocator's peak on CUDA, the resident-memory growth in a subprocess on CPU."
    if device.startswith('cuda'):
        from hpdm_nb.config import HPDMConfig
        st = Step(HPDMConfig.from_dict(cfg_dict), batch, device)
        st(); st.sync()
        torch.cuda.reset_peak_memory_stats(device); base = torch.cuda.memory_allocated(device)
        for _ in range(steps): st()
        st.sync()
        return (torch.cuda.max_memory_allocated(device) - base) / 2 ** 20
    out = subprocess.run([sys.executable, __file__, '--child', json.dumps(dict(cfg=cfg_dict, batch=batch, steps=steps))],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])['mib']


def peak_rss_kib() -> int:
    "This process's peak resident memory in KiB: VmHWM on Linux (ru_maxrss would include the parent's peak, inherited across exec)."
    try:
        with open('/proc/self/status') as f:
            return next(int(l.split()[1]) for l in f if l.startswith('VmHWM:'))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(spec):
    "Subprocess: build the model and data, note the peak resident memory, run the steps, report the growth."
    from hpdm_nb.config import HPDMConfig
    torch.set_num_threads(1)
    st = Step(HPDMConfig.from_dict(spec['cfg']), spec['batch'], 'cpu')
    before = peak_rss_kib()
    for _ in range(spec['steps']): st()
    print(json.dumps(dict(mib=(peak_rss_kib() - before) / 1024)))


def interleaved(steps: dict, repeats: int) -> dict:
    "Median seconds per step of each entry, timed in turn so that machine noise hits all alike."
    for s in steps.values(): s()  # warm-up
    times = {k: [] for k in steps}
    for _ in range(repeats):
        for k, s in steps.items(): times[k].append(s.timed())
    return {k: statistics.median(v) for k, v in times.items()}


def peak_matmul_flops(device, n=2048, repeats=10) -> float:
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    sync = (lambda: torch.cuda.synchronize(device)) if str(device).startswith('cuda') else (lambda: None)
    for _ in range(3): a @ b
    sync(); best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter(); a @ b; sync(); best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--sizes', default='1,2,3', help='target = patch x 2^size (workshop patch 8x16x16), comma-separated')
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--child', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child: return child(json.loads(a.child))
    dev = a.device
    print(f'device {dev}, torch {torch.__version__}, threads {torch.get_num_threads()}, batch {a.batch}, workshop widths')

    print('\n1. HPDM against a full-resolution model of the same backbone (one training step)')
    print(f'{"target":>14} {"levels":>6} {"HPDM ms":>9} {"full ms":>9} {"speed-up":>8} {"HPDM MiB":>9} {"full MiB":>9} {"memory":>7}')
    for size in [int(s) for s in a.sizes.split(',')]:
        hc, fc = configs(size)
        t = interleaved({'hpdm': Step(hc, a.batch, dev), 'full': Step(fc, a.batch, dev)}, a.repeats)
        mh, mf = peak_memory(hc.to_dict(), a.batch, dev), peak_memory(fc.to_dict(), a.batch, dev)
        print(f'{"x".join(map(str, hc.target)):>14} {hc.n_levels:>6} {t["hpdm"] * 1e3:9.0f} {t["full"] * 1e3:9.0f} '
              f'{t["full"] / t["hpdm"]:7.1f}x {mh:9.0f} {mf:9.0f} {mf / max(mh, 1e-9):6.1f}x', flush=True)

    print('\n2. Adaptive computation on against off (HPDM, 3 and 4 levels)')
    for size in (2, 3):
        hc, _ = configs(size)
        off = get_config(hc, levels_per_block='full')
        t = interleaved({'adaptive': Step(hc, a.batch, dev), 'full': Step(off, a.batch, dev)}, a.repeats)
        print(f'  {hc.n_levels} levels, schedule {hc.levels_per_block} against {off.levels_per_block}: '
              f'{t["adaptive"] * 1e3:.0f} ms against {t["full"] * 1e3:.0f} ms, {t["full"] / t["adaptive"]:.2f}x faster', flush=True)

    print('\n3. Achieved FLOP/s of an HPDM training step against peak matmul FLOP/s')
    hc, _ = configs(2)
    st = Step(hc, a.batch, dev)
    # FlopCounterMode cannot follow the self-conditioning pass (it runs under no_grad, which trips its module tracker),
    # so count the step without it, plus one more forward pass, which is what the self-conditioning pass costs
    g = lambda: torch.Generator().manual_seed(1)
    with FlopCounterMode(display=False) as fc:
        pyramid_loss(st.model, st.videos, st.labels, generator=g(), self_cond_prob=0).loss.backward()
    with FlopCounterMode(display=False) as fwd:
        pyramid_loss(st.model, st.videos, st.labels, generator=g(), self_cond_prob=0)
    st.opt.zero_grad(set_to_none=True)
    flops = fc.get_total_flops() + (fwd.get_total_flops() if hc.self_cond_prob > 0 else 0)
    t = interleaved({'step': st}, a.repeats)['step']
    peak = peak_matmul_flops(dev)
    print(f'  {hc.name}: {flops / 1e9:.1f} GFLOP per step in {t * 1e3:.0f} ms = {flops / t / 1e9:.1f} GFLOP/s; '
          f'peak fp32 matmul {peak / 1e9:.1f} GFLOP/s; utilisation {flops / t / peak:.0%}')


if __name__ == '__main__': main()
