"Decoding video files in worker processes: a loader worker forked after the parent decoded must decode too."
import subprocess, sys, textwrap


def test_a_forked_worker_decodes_after_its_parent_did(tmp_path):
    # PyAV keeps one shared frame converter per thread, with scaler threads of its own; a forked child inherits that
    # converter but not its threads, and its first frame of another size waited for them forever. The script runs in
    # its own process so that a hang is a failure here, not a stalled test run.
    script = textwrap.dedent(f'''
        import multiprocessing as mp, mediapy, numpy as np, sys
        from hpdm_nb.video import setup_ffmpeg
        from hpdm_nb.video_files import read_video_frames
        setup_ffmpeg()
        rng = np.random.default_rng(0)
        small, large = r'{tmp_path}/small.mp4', r'{tmp_path}/large.mp4'
        mediapy.write_video(small, rng.integers(0, 255, (8, 32, 32, 3), dtype=np.uint8), fps=10)
        mediapy.write_video(large, rng.integers(0, 255, (8, 48, 64, 3), dtype=np.uint8), fps=10)
        assert read_video_frames(small, [0, 1]).shape == (2, 32, 32, 3)
        def child(q): q.put(read_video_frames(large, [0, 3]).shape)
        ctx = mp.get_context('fork')
        q = ctx.Queue(); p = ctx.Process(target=child, args=(q,)); p.start(); p.join(60)
        if p.is_alive(): p.kill(); sys.exit('the forked worker hung decoding')
        assert q.get(timeout=5) == (2, 48, 64, 3)
    ''')
    r = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
