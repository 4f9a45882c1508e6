"""Train the `workshop` model's level-0 U-Net on one GPU inside a fixed wall-clock budget.

The level-0 U-Net decides what is drawn (the object's kind, its path); the finer levels only sharpen it. On the CPU it
trains at about 17 videos/s. This script continues it from the shipped weights with every other weight frozen (as
`runs/workshop-64-unet3` did on the CPU), at a large batch on a GPU, and fits the number of steps to the time it has:

1. It times a few steps at two batch sizes (the GPU timings for benchmarks/README.md).
2. It sets the run's steps so that warm-up, cosine and EMA all finish inside `--budget` seconds, and trains.
3. It writes the EMA's U-Net weights (`unet.*`) of each snapshot, the metrics and the timings to `--export`.

    python benchmarks/gpu_unet.py --budget 470 --export $OUT

Join the weights into the shipped model afterwards and measure them on the CPU (benchmarks/pretrained_quality.py).
"""
import argparse, json, platform, time
from pathlib import Path

import torch

from hpdm_nb.runconfig import resolve_config
from hpdm_nb.trainer import train, read_metrics


def overrides(args, batch: int, steps: int, out: str, **kw) -> dict:
    "The run's settings: the CPU U-Net run's, at this batch, learning rate and length."
    return dict(level0_unet=[32, 64, 96], init_from='pretrained:workshop', train_only='unet', optimizer='adamw',
                batch_size=batch, steps=steps, lr=args.lr, warmup=args.warmup, min_lr_ratio=0.05,
                ema_half_life=args.ema_half_life, seed=1, out=out, device=args.device, workers=0, **kw)


def speed(args, batch: int, steps: int) -> float:
    "Training videos per second at `batch`, after the first `log_every` steps (warm-up) of a throwaway run."
    out = Path(args.scratch) / f'calib-{batch}'
    mcfg, tcfg = resolve_config('workshop-64', overrides(args, batch, steps, str(out), log_every=steps // 2,
                                                         ckpt_every=10 ** 9, snapshot_every=0))
    train(mcfg, tcfg, progress=False, stop_at=steps)
    return read_metrics(out)[-1]['videos_per_s']


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--budget', type=float, default=470, help='seconds for everything, calibration included')
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--warmup', type=int, default=200)
    ap.add_argument('--ema-half-life', type=float, default=500)
    ap.add_argument('--calib-steps', type=int, default=40)
    ap.add_argument('--snapshots', type=int, default=4, help='U-Net snapshots kept over the run (the last at its end)')
    ap.add_argument('--device', default='auto')
    ap.add_argument('--scratch', default='runs/gpu-unet-scratch')
    ap.add_argument('--out', default='runs/gpu-unet')
    ap.add_argument('--export', default='runs/gpu-unet-export')
    args = ap.parse_args()
    t0 = time.time()
    torch.set_float32_matmul_precision('high')  # TF32 matrix products on GPUs that have them; no effect on a CPU
    export = Path(args.export); export.mkdir(parents=True, exist_ok=True)
    timing = dict(device=torch.cuda.get_device_name() if torch.cuda.is_available() else platform.processor() or 'cpu',
                  torch=torch.__version__, precision='fp32 with TF32 matrix products', videos_per_s={})
    for b in sorted({max(8, args.batch // 4), args.batch}):
        timing['videos_per_s'][b] = round(speed(args, b, args.calib_steps), 1)
        print(f'batch {b}: {timing["videos_per_s"][b]} videos/s', flush=True)
    steps_per_s = timing['videos_per_s'][args.batch] / args.batch
    left = args.budget - (time.time() - t0) - 25  # dataset, weights and the exports
    steps = max(args.snapshots, int(left * steps_per_s * 0.9))
    every = max(1, steps // args.snapshots)
    steps = every * args.snapshots
    print(f'{time.time() - t0:.0f} s in: {steps} steps of batch {args.batch} ({steps_per_s:.1f} steps/s), '
          f'snapshots every {every}', flush=True)
    mcfg, tcfg = resolve_config('workshop-64', overrides(args, args.batch, steps, args.out, log_every=50,
                                                         ckpt_every=every, snapshot_every=every))
    t_train = time.time()
    summary = train(mcfg, tcfg, progress=False)
    timing.update(steps=steps, batch=args.batch, lr=args.lr, warmup=args.warmup, ema_half_life=args.ema_half_life,
                  train_seconds=round(time.time() - t_train, 1), total_seconds=None, last=summary['last'])
    from safetensors.torch import load_file, save_file
    for snap in sorted((Path(args.out) / 'snapshots').glob('step_*.safetensors')):
        sd = {k: v for k, v in load_file(snap).items() if k.startswith('unet.')}
        save_file(sd, export / f'unet_{snap.stem}.safetensors', metadata=dict(step=snap.stem.split('_')[1]))
    (export / 'metrics.jsonl').write_text((Path(args.out) / 'metrics.jsonl').read_text())
    (export / 'config.json').write_text((Path(args.out) / 'config.json').read_text())
    timing['total_seconds'] = round(time.time() - t0, 1)
    (export / 'timing.json').write_text(json.dumps(timing, indent=1))
    print(json.dumps(timing, indent=1))


if __name__ == '__main__':
    main()
