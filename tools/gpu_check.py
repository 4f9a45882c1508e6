"""The library's GPU paths, checked on one CUDA device in one short run (the device machine's time is scarce).

Each check runs on its own, so that one failure does not hide the others, and the run stops starting checks at
`--deadline` seconds. It writes `gpu_check.json`: per check, `ok`, what it measured, or the traceback.

- sample: the pretrained model sampled with its card's sampler on the GPU and on the CPU, from the same seeds
  (TF32 off): the largest difference per level.
- sample_cli: `hpdm_sample pretrained:workshop --device cuda` (skipped where no ffmpeg can write its videos).
- cached: the level cache on the GPU ('full' against 'none'): the largest difference.
- train_resume: the tiny preset trained 20 steps on the GPU, and 10 + 10 steps with a stop between: the losses and
  the largest weight difference (GPU kernels need not be bitwise reproducible; the difference is reported).
- timing: seconds per video of the card's sampler (64 steps) and training videos/s of the whole workshop-64 model.
- compile: the tiny preset with bf16 autocast and torch.compile.
- draws: `draw_sample_noise` for 256 samples on the GPU (counter-based, batched) against one host generator per
  sample (`benchmarks/draws_share.py`'s reference), and the draws' share of a workshop-64 step at batch 256.
- busy: the share of a workshop-64 training step at batch 256 during which the GPU runs kernels (torch.profiler:
  the union of the kernels' intervals over the step's wall time), eager fp32.
- checkpoint: the same step with `checkpoint_blocks` off and on: seconds and peak memory, and their ratios.
- paper_memory: HPDM-S (64x256x256) one step at batch 1 and 2, plain and checkpointed: peak memory beside the
  activations `benchmarks/paper_memory.py` counts on the CPU.
- ratios: videos/s of the workshop-64 step at batch 256, eager fp32 against bf16 autocast, compiled, and both.
- bounded_sampling: workshop-256 sampled with the default memory budget and with every tile in one call: peak
  memory, seconds per video, and the largest difference between the two.
- two_processes: `hpdm_train tiny` under torchrun with 2 processes (NCCL where there are 2 GPUs, gloo on the CPU
  otherwise) against 1 process: the losses, step by step.

    python tools/gpu_check.py --out $OUT [--deadline 420]

On the GPU machine, carry the wheels of tools/gpu_wheels.sh. Its results are in benchmarks/gpu_check.json.
"""
import argparse, json, time, traceback, tempfile
from pathlib import Path
import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='runs/gpu-check')
    ap.add_argument('--deadline', type=float, default=420, help='start no check after this many seconds')
    ap.add_argument('--device', default='cuda')
    a = ap.parse_args()
    from hpdm_nb.weights import load_pretrained
    from hpdm_nb.pretrained import card_sampler
    from hpdm_nb.sampling import sample_pyramid
    from hpdm_nb.runconfig import resolve_config
    from hpdm_nb.trainer import train, read_metrics
    from hpdm_nb.cli import sample_main
    out, t0, dev = Path(a.out), time.time(), a.device
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    res = dict(device=torch.cuda.get_device_name() if dev == 'cuda' else dev, torch=torch.__version__, checks={})
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False  # compare in true fp32
    kw = card_sampler('workshop')
    labels, seeds = torch.tensor([0, 1]), [0, 1]

    def sample(model, steps=16, **more):
        return sample_pyramid(model, 2, labels=labels, seeds=seeds, steps=steps, progress=False, **{**kw, **more})

    def c_sample():
        gpu = sample(load_pretrained('workshop', device=dev))
        cpu = sample(load_pretrained('workshop'))
        assert all(g.device.type == torch.device(dev).type for g in gpu), 'samples are not on the model device'
        return dict(max_diff=[float((g.cpu() - c).abs().max()) for g, c in zip(gpu, cpu)])

    def c_sample_cli():
        import shutil, importlib.util
        if importlib.util.find_spec('imageio_ffmpeg') is None and shutil.which('ffmpeg') is None:
            return dict(skipped='no ffmpeg on this machine to write videos with (tools/gpu_wheels.sh says why)')
        rc = sample_main(['pretrained:workshop', '--n', '2', '--steps', '8', '--device', dev, '--out', str(tmp / 'cli'),
                          '--no-progress'])
        assert rc == 0, f'hpdm_sample returned {rc}'
        return dict(files=sorted(p.name for p in (tmp / 'cli').iterdir()))

    def c_cached():
        m = load_pretrained('workshop', device=dev)
        full, none = sample(m, cache='full'), sample(m, cache='none')
        return dict(max_diff=[float((f - n).abs().max()) for f, n in zip(full, none)])

    def c_train_resume():
        base = dict(device=dev, steps=20, log_every=1, ckpt_every=1000)
        mcfg, t1 = resolve_config('tiny', dict(base, out=str(tmp / 'a')))
        train(mcfg, t1, progress=False)
        _, t2 = resolve_config('tiny', dict(base, out=str(tmp / 'b')))
        train(mcfg, t2, progress=False, stop_at=10)
        train(mcfg, t2, progress=False)
        la, lb = ([r['loss'] for r in read_metrics(tmp / x)] for x in 'ab')
        wa, wb = (torch.load(tmp / x / 'ckpt.pt', map_location='cpu', weights_only=False)['model'] for x in 'ab')
        return dict(loss_a=la[-3:], loss_b=lb[-3:], max_weight_diff=max(float((wa[k] - wb[k]).abs().max()) for k in wa))

    def c_timing():
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        m = load_pretrained('workshop', device=dev)
        sample_pyramid(m, 8, labels=torch.arange(8) % 4, seeds=range(8), steps=8, progress=False, **kw)  # warm-up
        torch.cuda.synchronize(); t = time.time()
        sample_pyramid(m, 8, labels=torch.arange(8) % 4, seeds=range(8), steps=64, progress=False, **kw)
        torch.cuda.synchronize(); s_per_video = (time.time() - t) / 8
        mcfg, tc = resolve_config('workshop-64', dict(device=dev, out=str(tmp / 'w'), steps=30, batch_size=64,
                                                      log_every=15, ckpt_every=1000))
        train(mcfg, tc, progress=False)
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False  # the later checks: true fp32
        return dict(card_sampler_s_per_video=s_per_video, train_videos_per_s_batch64=read_metrics(tmp / 'w')[-1]['videos_per_s'])

    def c_compile():
        mcfg, tc = resolve_config('tiny', dict(device=dev, out=str(tmp / 'c'), steps=10, log_every=5, precision='bf16',
                                               compile=True))
        t = time.time(); train(mcfg, tc, progress=False)
        return dict(seconds=time.time() - t, loss=read_metrics(tmp / 'c')[-1]['loss'])

    def step_at(batch, bf16=False, compile=False):
        "A workshop-64 model, its optimiser, and a function that runs one training step at `batch` on the device."
        from hpdm_nb.distributed import setup_distributed, prepare_model
        from hpdm_nb.optim import make_optimizer
        from hpdm_nb.step import train_step
        from hpdm_nb.draws import sample_seed
        from hpdm_nb.shapes import MovingShapes
        mcfg, _ = resolve_config('workshop-64', dict(device=dev))
        info = setup_distributed(dev)
        model, wrapped, ema, _ = prepare_model(mcfg, info, compile=compile)
        opt, sched = make_optimizer(model, 'adamw', lr=1e-4, warmup=1, steps=1000)
        ds = MovingShapes(batch, size=mcfg.target)
        b = dict(video=torch.stack([ds[i]['video'] for i in range(batch)]), label=torch.arange(batch) % mcfg.n_classes)
        calls = [0]
        def one():
            calls[0] += 1
            seeds = torch.tensor([sample_seed(0, calls[0], j) for j in range(batch)])
            return train_step(model, opt, sched, ema, iter([dict(b, seed=seeds)]), bf16=bf16, forward=wrapped)
        return mcfg, one, model

    def c_draws():
        import sys
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'benchmarks'))
        from draws_share import per_sample_generators
        from hpdm_nb.draws import draw_sample_noise, sample_seed
        mcfg, one, _ = step_at(256)
        seeds = torch.tensor([sample_seed(0, 1, j) for j in range(256)])
        def timed(fn, n=5):
            fn(); torch.cuda.synchronize(); t = time.time()
            for _ in range(n): fn()
            torch.cuda.synchronize(); return (time.time() - t) / n
        gen = timed(lambda: per_sample_generators(mcfg, seeds.tolist(), torch.device(dev)))
        cnt = timed(lambda: draw_sample_noise(mcfg, seeds.to(dev), dev))
        step = timed(one, 3)
        return dict(generators_s=gen, counter_s=cnt, step_s=step, counter_share=cnt / step, generators_over_step=gen / step)

    def c_busy():
        from torch.profiler import profile, ProfilerActivity
        _, one, _ = step_at(256)
        for _ in range(3): one()
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            t = time.time()
            for _ in range(3): one()
            torch.cuda.synchronize(); wall = time.time() - t
        spans = sorted((e.time_range.start, e.time_range.end) for e in prof.events()
                       if e.device_type == torch.autograd.DeviceType.CUDA)
        busy, end = 0.0, -1.0
        for a_, b_ in spans:  # the union of the kernels' intervals, in microseconds
            if b_ <= end: continue
            busy += b_ - max(a_, end); end = b_
        return dict(wall_s=wall, gpu_busy_s=busy / 1e6, busy_share=busy / 1e6 / wall, videos_per_s=3 * 256 / wall)

    def c_checkpoint():
        _, one, model = step_at(256)
        r = {}
        for on in (False, True):
            model.checkpoint_blocks = on
            one(); torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
            t = time.time()
            for _ in range(3): one()
            torch.cuda.synchronize()
            r['checkpointed' if on else 'plain'] = dict(step_s=(time.time() - t) / 3,
                                                        peak_gib=torch.cuda.max_memory_allocated() / 2 ** 30)
        return dict(r, time_ratio=r['checkpointed']['step_s'] / r['plain']['step_s'],
                    memory_ratio=r['checkpointed']['peak_gib'] / r['plain']['peak_gib'])

    def c_paper_memory():
        "HPDM-S's step at batch 1 and 2 on the GPU: the measured slope beside paper_memory.py's CPU count."
        from hpdm_nb.model import HPDM
        from hpdm_nb.step import step_cost
        model, r = HPDM('hpdm-s').to(dev), {}
        for on in (False, True):
            model.checkpoint_blocks = on
            for b in (1, 2):
                torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
                c = step_cost(model, batch=b, reps=1, warmup=False)
                r[f"{'checkpointed' if on else 'plain'}_b{b}"] = dict(peak_gib=torch.cuda.max_memory_allocated() / 2 ** 30,
                                                                      saved_gib=c['saved_mib'] / 1024, step_s=c['seconds'])
        return r

    def c_ratios():
        "Videos/s of the workshop-64 step at batch 256: eager fp32, bf16 autocast, compiled, compiled bf16."
        r = {}
        for name, opts in (('eager_fp32', {}), ('bf16', dict(bf16=True)), ('compiled', dict(compile=True)),
                           ('compiled_bf16', dict(bf16=True, compile=True))):
            _, one, _ = step_at(256, **opts)
            for _ in range(3): one()  # warm-up (compilation)
            torch.cuda.synchronize(); t = time.time()
            for _ in range(5): one()
            torch.cuda.synchronize(); r[name] = 5 * 256 / (time.time() - t)
        return dict(videos_per_s=r, **{f'{k}_over_eager': v / r['eager_fp32'] for k, v in r.items() if k != 'eager_fp32'})

    def c_bounded_sampling():
        "workshop-256 sampled on the GPU: peak memory under the default budget and with every tile in one call."
        m, r = load_pretrained('workshop-256', device=dev), {}
        for name, budget in (('default_budget', 2 ** 30), ('all_rows', None)):
            torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats(); t = time.time()
            v = sample_pyramid(m, 2, labels=torch.tensor([0, 1]), seeds=[0, 1], steps=32, memory_budget=budget,
                               progress=False, **card_sampler('workshop-256'))[-1]
            torch.cuda.synchronize()
            r[name] = dict(peak_gib=torch.cuda.max_memory_allocated() / 2 ** 30, s_per_video=(time.time() - t) / 2)
            r.setdefault('videos', []).append(v.float().cpu())
        a, b = r.pop('videos')
        return dict(r, max_diff=float((a - b).abs().max()))

    def c_two_processes():
        "hpdm_train tiny under torchrun with 2 processes (NCCL on 2 GPUs, else gloo on the CPU) against 1 process."
        import subprocess, sys
        two_gpus = torch.cuda.device_count() >= 2
        d = 'cuda' if two_gpus else 'cpu'
        common = ['tiny', f'device={d}', 'steps=6', 'batch_size=8', 'log_every=1', 'ckpt_every=1000', 'n_videos=64']
        script = tmp / 'train_no_previews.py'  # the GPU machine has no ffmpeg to write the run's preview videos
        script.write_text('import sys\nimport hpdm_nb.cli as cli\ncli.preview_sampler = lambda *a, **k: None\n'
                          'sys.exit(cli.main(sys.argv[1:]))\n')
        cmds = {'one': [sys.executable, str(script), 'train', *common, f'out={tmp / "p1"}', '--no-progress'],
                'two': [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2',
                        str(script), 'train', *common, f'out={tmp / "p2"}', '--no-progress']}
        for k, c in cmds.items():
            p = subprocess.run(c, capture_output=True, text=True, timeout=120)
            assert p.returncode == 0, f'{k}: {p.stdout[-1500:]}{p.stderr[-1500:]}'
        la, lb = ([r['loss'] for r in read_metrics(tmp / x)] for x in ('p1', 'p2'))
        return dict(backend='nccl' if two_gpus else 'gloo', loss_one=la, loss_two=lb,
                    max_loss_diff=max(abs(x - y) for x, y in zip(la, lb)))

    for name, fn in [('sample', c_sample), ('sample_cli', c_sample_cli), ('cached', c_cached),
                     ('train_resume', c_train_resume), ('timing', c_timing), ('compile', c_compile),
                     ('draws', c_draws), ('busy', c_busy), ('checkpoint', c_checkpoint),
                     ('paper_memory', c_paper_memory), ('ratios', c_ratios), ('bounded_sampling', c_bounded_sampling),
                     ('two_processes', c_two_processes)]:
        if time.time() - t0 > a.deadline:
            res['checks'][name] = dict(ok=None, skipped='deadline'); continue
        t = time.time()
        try: res['checks'][name] = dict(ok=True, **fn())
        except Exception: res['checks'][name] = dict(ok=False, error=traceback.format_exc()[-3000:])
        res['checks'][name]['seconds'] = round(time.time() - t, 1)
        print(name, json.dumps(res['checks'][name])[:1500], flush=True)
        (out / 'gpu_check.json').write_text(json.dumps(res, indent=1))


if __name__ == '__main__':
    main()
