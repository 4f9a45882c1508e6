"""How long a failure-mode widget (nbs/10c) takes to answer a click, at the sizes the lesson builds them with.

Each widget computes a setting the first time it is asked for and keeps the result, so a click costs either a new
computation (a first visit) or only a redrawn figure (a setting seen before). This script times both, per widget,
on the pretrained `workshop` model with the lesson's full-size settings (IN_TEST unset):

- OverlapExplorer (n=2, 16 steps): a new overlap setting samples two videos and measures their seams;
- StitchingViewer (16 steps): moving the step or frame slider redraws recorded steps;
- PropagationExplorer (16 steps): a new perturbation regenerates the finer levels from the changed level 0; also on
  `workshop-256` with its card's sampler (nbs/10c's slow cell), where that is four finer levels up to 256x256.

    python benchmarks/widget_clicks.py [--threads 2]

Prints one line per widget and action; the results are in benchmarks/README.md ('widget_clicks.py') and the route in
nbs/index.ipynb quotes them.
"""
import argparse, os, time


def timed(f, *a, **kw):
    t = time.perf_counter(); out = f(*a, **kw)
    return out, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--threads', type=int, default=2, help='torch threads (a workshop laptop: 2 to 4 cores)')
    a = ap.parse_args()
    os.environ['OMP_NUM_THREADS'] = str(a.threads)
    import torch; torch.set_num_threads(a.threads)
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    from hpdm_nb.weights import load_pretrained
    from hpdm_nb.pretrained import held_out_videos
    from hpdm_nb.widgets import OverlapExplorer, StitchingViewer, PropagationExplorer
    model, held = load_pretrained('workshop'), held_out_videos('workshop', 16)
    rows = []

    ex, t = timed(OverlapExplorer, model, held, n=2, steps=16); rows.append(('OverlapExplorer', 'build', t))
    res, t = timed(ex.compute, (0, 0.5, 0.5)); rows.append(('OverlapExplorer', 'a new overlap (samples, measures)', t))
    _, t = timed(lambda: plt.close(ex.figure(ex.compute((0, 0.5, 0.5)))))
    rows.append(('OverlapExplorer', 'an overlap seen before (redraw)', t))
    _, t = timed(ex.compute, (0, 0.5, 0.5), 'ramp'); rows.append(('OverlapExplorer', 'a new blend (samples, measures)', t))

    vw, t = timed(StitchingViewer, model, held, steps=16); rows.append(('StitchingViewer', 'build (samples once)', t))
    _, t = timed(lambda: plt.close(vw.figure(step=1, frame=3))); rows.append(('StitchingViewer', 'a step or frame (redraw)', t))

    pe, t = timed(PropagationExplorer, model, steps=16); rows.append(('PropagationExplorer', 'build (samples level 0)', t))
    _, t = timed(lambda: plt.close(pe.figure('remove', 1.0))); rows.append(('PropagationExplorer', 'a new perturbation', t))
    _, t = timed(lambda: plt.close(pe.figure('remove', 1.0))); rows.append(('PropagationExplorer', 'a perturbation seen before', t))

    from hpdm_nb.pretrained import card_sampler  # the five-level model, as nbs/10c's slow cell builds it
    pb, t = timed(PropagationExplorer, load_pretrained('workshop-256'), steps=16, **card_sampler('workshop-256'))
    rows.append(('Propagation, 256', 'build (samples level 0)', t))
    _, t = timed(lambda: plt.close(pb.figure('remove', 1.0))); rows.append(('Propagation, 256', 'first perturbation (and the original)', t))
    _, t = timed(lambda: plt.close(pb.figure('shift', 1.0))); rows.append(('Propagation, 256', 'a new perturbation', t))

    print(f'torch threads: {a.threads}')
    for w, what, s in rows: print(f'{w:<20} {what:<40} {s:6.1f} s')


if __name__ == '__main__':
    main()
