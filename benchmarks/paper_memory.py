"""Training memory of the paper's models (HPDM-S, -M, -L at 64x256x256), measured on the CPU at batch 1 and
extrapolated to an 80 GB GPU, with and without activation checkpointing of the RIN blocks.

    python benchmarks/paper_memory.py [--models hpdm-s,hpdm-m,hpdm-l] [--gpu-gib 80] [--out benchmarks/paper_memory.json]

For each model, in a fresh process: one training step (`pyramid_loss` and its backward) on one random video, counting
every tensor autograd keeps for the backward pass (`step_cost`, nbs/06b_step: each storage once), with
`checkpoint_blocks` off and on, and, in the plain step, how much of it each RIN block keeps (`step_cost`'s `block_mib`); and the process's peak
resident memory. Checkpointed, the backward pass recomputes one block at a time and holds that block's activations
while it goes through it, so the peak per video is what stays kept plus the largest block's share. A step's memory
on a GPU is then
    state + batch x activations per video (at the peak)
where the state is 20 bytes per parameter in fp32 (weights, gradients, LAMB's two moments, the EMA copy). The
activations grow linearly with the batch (each video's patches are independent), so batch 1 gives the slope.
Transient buffers (attention scores while they are computed, the allocator's rounding) come on top: the per-GPU
batches below keep a tenth of the GPU free for them.
"""
import argparse, json, resource, subprocess, sys, time
from pathlib import Path

STATE_BYTES = 20  # fp32 weights + gradients + LAMB's m and v + EMA
PAPER_BATCH = 768  # the paper's global batch for the UCF-101 models (its App. C)


def measure(name: str) -> dict:
    "One model, batch 1: parameters, activations per video with and without checkpointing, seconds, peak RSS."
    import torch
    from hpdm_nb.model import HPDM
    from hpdm_nb.step import step_cost
    torch.manual_seed(0)
    model = HPDM(name)
    r = dict(params=sum(p.numel() for p in model.parameters()), target=list(model.cfg.target),
             patch=list(model.cfg.patch), n_levels=model.cfg.n_levels)
    for on in (False, True):
        model.checkpoint_blocks = on
        c = step_cost(model, batch=1, reps=1, warmup=False)
        r['checkpointed' if on else 'plain'] = dict(activations_gib=c['saved_mib'] / 1024, seconds=c['seconds'])
        if not on: r['block_gib'] = [m / 1024 for m in c['block_mib']]  # what each block keeps in a plain step
    # checkpointed, the backward pass recomputes one block at a time and holds its activations while it goes through
    # it: the step's peak is what stays kept plus the largest block's share
    r['checkpointed']['peak_gib'] = r['checkpointed']['activations_gib'] + max(r['block_gib'])
    r['plain']['peak_gib'] = r['plain']['activations_gib']
    r['peak_rss_gib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--models', default='hpdm-s,hpdm-m,hpdm-l')
    ap.add_argument('--gpu-gib', type=float, default=80.0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--out', default=str(Path(__file__).with_name('paper_memory.json')))
    ap.add_argument('--one', help=argparse.SUPPRESS)  # internal: measure this model and print its JSON
    a = ap.parse_args()
    if a.one:
        import torch; torch.set_num_threads(a.threads)
        print(json.dumps(measure(a.one))); return
    results = {}
    for name in a.models.split(','):
        t0 = time.time()
        out = subprocess.run([sys.executable, __file__, '--one', name, '--threads', str(a.threads)],
                             capture_output=True, text=True)
        if out.returncode: sys.exit(f'{name} failed:\n{out.stderr[-2000:]}')
        r = json.loads(out.stdout.strip().splitlines()[-1])
        state = r['params'] * STATE_BYTES / 2 ** 30
        room = 0.9 * a.gpu_gib - state
        for key in ('plain', 'checkpointed'):
            per = r[key]['peak_gib']  # per video at the step's peak
            r[key]['batch_per_gpu'] = int(room // per)
            r[key]['gpus_for_paper_batch'] = -(-PAPER_BATCH // max(1, r[key]['batch_per_gpu']))
        r.update(state_gib=state, gpu_gib=a.gpu_gib, wall_seconds=time.time() - t0)
        results[name] = r
        p, c = r['plain'], r['checkpointed']
        print(f"{name}: {r['params'] / 1e6:.0f}M parameters, state {state:.1f} GiB; activations per video "
              f"{p['activations_gib']:.2f} GiB ({c['activations_gib']:.2f} kept checkpointed, {c['peak_gib']:.2f} at "
              f"the recompute peak); per {a.gpu_gib:.0f} GB GPU "
              f"batch {p['batch_per_gpu']} ({c['batch_per_gpu']}), GPUs for batch {PAPER_BATCH}: "
              f"{p['gpus_for_paper_batch']} ({c['gpus_for_paper_batch']}); step {p['seconds']:.0f} s "
              f"({c['seconds']:.0f} s) on this CPU; peak RSS {r['peak_rss_gib']:.1f} GiB", flush=True)
    Path(a.out).write_text(json.dumps(results, indent=1))


if __name__ == '__main__':
    main()
