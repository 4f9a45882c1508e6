"""Publish a training run as a pretrained model shipped with the package: a maintainer's tool, not part of the library.

Writes `hpdm_nb/weights/NAME/` (or `--dest DIR/NAME/`), the folder that `load_pretrained(NAME)` reads (nbs/09c):
- model.safetensors: the EMA weights of the run's checkpoint (or of one of its snapshots), float16 unless --float32;
- config.json: the run's model and training configuration, and the step;
- card.json: the model card, its facts taken from the run itself (steps, batch, wall time summed over resumed
  segments from `metrics.jsonl`) and from this machine, its measurements from `evaluate_model` (nbs/09b) if given;
- README.md: the card as Markdown (`card_markdown`).

Usage:
    python tools/publish.py RUN NAME --description TEXT --command "hpdm_train ..." [--snapshot step_5000.safetensors]
                            [--float32] [--quality FILE] [--note TEXT ...] [--dest DIR]
    python tools/publish.py --readme NAME [--dest DIR]   # rewrite NAME's README.md from its card.json

`--quality FILE` reads `evaluate_model`'s result as JSON: either one result, or the results by step that
benchmarks/pretrained_quality.py writes to RUN/quality_vs_steps.json (the entry of the published step is used).
benchmarks/pretrained_quality.py measures a run and publishes it with these functions in one go.
"""
from __future__ import annotations
import argparse, json, os, platform, sys
from pathlib import Path

import torch
from safetensors.torch import save_file, load_file

from hpdm_nb.trainer import read_metrics
from hpdm_nb.checkpoints import load_checkpoint, clean_state_dict
from hpdm_nb.weights import WEIGHTS_DIR
from hpdm_nb.config import HPDMConfig


def hardware() -> str:
    "This machine in words: CPU model and cores, GPU if any, torch version."
    cpu = platform.processor() or platform.machine()
    try: cpu = next(l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines() if l.startswith('model name'))
    except (OSError, StopIteration): pass
    gpu = f', GPU {torch.cuda.get_device_name()} x{torch.cuda.device_count()}' if torch.cuda.is_available() else ', no GPU'
    return f'{cpu}, {os.cpu_count()} cores{gpu}, torch {torch.__version__}'


def run_wall_time(out) -> float:
    "Seconds of training in a run folder, summed over resumed segments (each restarts its clock)."
    total, prev = 0.0, 0.0
    for r in read_metrics(out):
        total += r['time'] - prev if r['time'] >= prev else r['time']
        prev = r['time']
    return total


PAPER_STEPS = 128  # the paper's level-0 sampler steps, halved per level


def departures(card: dict) -> list[tuple[str, str, str, str]]:
    "Where this model and its card's sampler depart from the paper (or guess where it is silent): what, paper, ours, switch."
    m = HPDMConfig.from_dict(card['config']['model'])
    t, s = card['config']['train'], (card.get('quality') or {}).get('sampler', {})
    rows = []
    if m.level0_unet:
        rows.append(('level 0', 'the same RIN stack at every level', f"a 3D U-Net ({','.join(map(str, m.level0_unet))} "
                     f"channels, {m.level0_unet_mode}, conditioning by {m.level0_unet_cond}); nbs/13",
                     'level0_unet, level0_unet_mode, level0_unet_cond'))
    if m.pixel_conv or m.pixel_blocks:
        rows.append(('pixels to tokens and back', 'a linear map', f'beside it, {m.pixel_conv} 3x3x3 convolution channels '
                     f'across token borders and {m.pixel_blocks} residual pixel blocks a side; nbs/03b',
                     'pixel_conv, pixel_blocks'))
    if m.interface_cond != 'tokens':
        rows.append(('conditioning (a guess)', 'noise level and class as tokens (RIN)',
                     'also adaLN on every write and the detokenizer; nbs/03', 'interface_cond'))
    gains = m.pos_gain if isinstance(m.pos_gain, (tuple, list)) else (m.pos_gain,)
    if any(g != 1 for g in gains):
        rows.append(('position gain (a guess)', 'not given', f"{', '.join(f'{g:g}' for g in gains)} per level; nbs/03b", 'pos_gain'))
    if isinstance(m.p_mean, (tuple, list)) and len(set(m.p_mean)) > 1:
        rows.append(('noise levels in training (a guess)', 'not given (EDM: ln sigma ~ N(-1.2, 1.2))',
                     f'level 0 N({m.p_mean[0]:g}, {m.p_std[0]:g}), the rest N({m.p_mean[-1]:g}, {m.p_std[-1]:g}); nbs/06',
                     'p_mean, p_std'))
    if m.self_cond_prob != 0.9:
        rows.append(('self-conditioning (a guess)', 'not mentioned (RIN: 0.9)', f'{m.self_cond_prob:g}', 'self_cond_prob'))
    if t['optimizer'] != 'lamb' or t['batch_size'] != 768:
        rows.append(('optimiser', 'LAMB, lr 0.005, batch 768', f"{t['optimizer'].upper() if t['optimizer'] == 'lamb' else 'AdamW'}, "
                     f"lr {t['lr']:g}, batch {t['batch_size']}; nbs/06b", 'optimizer, lr, batch_size'))
    if m.dim_text:
        rows.append(('text encoder', 'frozen T5-11B', 'frozen all-MiniLM-L6-v2 (384 wide), at most 32 tokens; nbs/04c',
                     'text_encoder'))
    steps = s.get('steps')
    if steps and steps != PAPER_STEPS:
        rows.append(('sampler steps', f'{PAPER_STEPS} at level 0, halved per level', f'{steps}, halved per level', '--steps'))
    g = s.get('guidance', 1.0)
    if g != 1.0:
        rows.append(('guidance (a guess)', 'not given', f"{g} (one scale per level); nbs/08c", '--guidance'))
    if s.get('s_churn', 0) == 0:
        rows.append(('level 0 sampler', 'stochastic Heun, settings not given', 'deterministic Heun; nbs/02b', '--churn'))
    if s.get('coarse_start') is not None:
        rows.append(('start of the finer levels', 'pure noise at sigma 80', f"the upsampled coarser level plus noise of "
                     f"sigma {s['coarse_start']:g}, its frames placed {s.get('coarse_frames', 'centre')}; nbs/08c",
                     '--coarse-start, --coarse-frames'))
    ov = s.get('overlap')
    rows.append(('tiles', 'overlapping by half, averaged', (f"overlap {ov}, blend {s.get('blend', 'uniform')}" if ov and ov != 'none'
                 else 'no overlap') + '; nbs/08, nbs/10', '--overlap, --blend'))
    return rows


def _bar_line(bar: dict) -> str:
    "The bar in one line: what every level meets, and what each level misses."
    missed = {lv: [k for k, ok in v.items() if not ok] for lv, v in bar.items()}
    if not any(missed.values()): return 'The bar (nbs/09b): met at every level.'
    return 'The bar (nbs/09b): met at every level except ' + '; '.join(
        f"level {lv.split('_')[1]}: {', '.join(ks)}" for lv, ks in missed.items() if ks) + '.'


def _pct(x) -> str:
    "A share as a percentage; a measure not taken (an unconditional model's kind) as a dash."
    return '-' if x is None else f'{x:.0%}'


def card_markdown(card: dict) -> str:
    "The model card as Markdown (the folder's README.md): what it is, how to remake it, how good it is, how it departs."
    m, t = card['config']['model'], card['config']['train']
    lines = [f"# {card['name']}: {card['description']}", '']
    if card.get('what'): lines += [card['what'], '']
    lines += [f"- model: `{m['name']}`, {card['n_params'] / 1e6:.1f}M parameters, {'x'.join(map(str, m['patch']))} patches "
              f"up to {'x'.join(map(str, m['target']))} in {m['n_levels']} levels",
              f"- remake it: `{card['command']}`" + (f" ({card['recipe_time']})" if card.get('recipe_time') else ''),
              f"- data: {card['data']}",
              f"- its last stage: {card['step']} steps of batch {t['batch_size']} ({t['optimizer']}, lr {t['lr']}, EMA "
              f"half-life {t['ema_half_life']} steps), {card['wall_time_s'] / 3600:.2f} h on {card['hardware']}",
              f"- weights: {card['weights']}", '']
    if card.get('image'): lines += [f"![{card['name']}: samples at every pyramid level]({card['image']})", '']
    q = card.get('quality')
    if q:
        smp = ', '.join(f'{k} {v}' for k, v in q['sampler'].items())
        lines += [f"## Quality: {q['n']} samples beside held-out data", '',
                  f"Seeds {q['seed']} to {q['seed'] + q['n'] - 1}, {q['seconds_per_video']:.1f} s per video on the hardware "
                  f"above; sampler: {smp}. Measures: nbs/09b.", '',
                  '| level | who | one object | right kind | objects/frame | nearest-train distance | '
                  'token-border ratio (t, h, w) | grain |', '|---|---|---|---|---|---|---|---|']
        for lv, row in q['report'].items():
            for who in ('samples', 'data'):
                s = row[who]
                br = ', '.join(f"{s[k]:.2f}" for k in ('border_ratio_t', 'border_ratio_h', 'border_ratio_w') if k in s)
                lines.append(f"| {lv.split('_')[1]} | {who} | {s['one_object']:.0%} | {_pct(s['kind_accuracy'])} | "
                             f"{s['objects_per_frame']:.2f} | {s['nearest_train']:.4f} | {br} | {s['grain']:.4f} |")
        lines += ['', _bar_line(q['bar'])]
        if 'speed' in next(iter(q['report'].values()))['samples']:
            lines += ['', '**Motion** (object paths, nbs/09b; speed in frame widths per frame, steadiness = change of '
                      'speed over speed, evenness = even frames\' steps over odd frames\', 1 is even):', '',
                      '| level | speed: samples / data | steadiness | evenness |', '|---|---|---|---|']
            for lv, row in q['report'].items():
                a, d = row['samples'], row['data']
                lines.append(f"| {lv.split('_')[1]} | " + ' | '.join(f"{a[k]:.3f} / {d[k]:.3f}" for k in
                                                                   ('speed', 'steadiness', 'evenness')) + ' |')
    c = card.get('cost')
    if c:  # hpdm_sample's summary.json (nbs/50c)
        lines += ['', f"**Sampling cost** (`{c['command']}`): {c['seconds_per_video']:.0f} s per video, peak memory "
                      f"{c['peak_memory_gib']:.2f} GiB ({c['peak_memory_of']}), tiles per denoising step level by level "
                      f"{' / '.join(map(str, c['tiles_per_level']))}; the network sees one patch per tile."]
    f = card.get('fvd')
    if f:  # measured by benchmarks/fvd_models.py (nbs/12b)
        p = f['protocol']
        lines += ['', f"**FVD {f['fvd']:.1f}**: {f['fake']}, against {f['real']} ({p['frames']} frames, clip '{p['clip']}', "
                      f"I3D logits; nbs/12b). Held-out data scores {f['data_fvd']:.1f} against the same videos: the floor "
                      f"at these sizes. Comparable only with FVDs measured the same way."]
    tf = (q or {}).get('text_following')
    if tf:  # a text model (nbs/11): colour and kind of its object against its prompt's
        lines += ['', f"## Text following ({tf['n']} held-out captions as prompts, guidance {q['sampler'].get('guidance', 1)})",
                  '', '| prompts | right colour | right kind | both |', '|---|---|---|---|']
        for who, name in (('prompts', 'as given'), ('shuffled', 'shuffled (chance)')):
            s = tf[who]
            lines.append(f"| {name} | {s['colour']:.0%} | {s['kind']:.0%} | {s['both']:.0%} |")
    sw = card.get('guidance_sweep')
    if sw:
        lines += ['', 'Against the guidance scale (right colour, right kind, both; both with shuffled prompts): ' + '; '.join(
            f"{w}: {v['prompts']['colour']:.0%}, {v['prompts']['kind']:.0%}, {v['prompts']['both']:.0%}, shuffled "
            f"{v['shuffled']['both']:.0%}" for w, v in sw.items()) + '.']
    lines += ['', '## Where it departs from the paper', '', '| what | the paper | this model | switch |', '|---|---|---|---|']
    lines += [f'| {a} | {b} | {c_} | `{d}` |' for a, b, c_, d in departures(card)]
    if card.get('limits'): lines += ['', '## Known limits', ''] + [f'- {x}' for x in card['limits']]
    for extra in card.get('notes', []): lines += ['', extra]
    return '\n'.join(lines) + '\n'


def write_card(folder, card: dict) -> Path:
    "Write a model's card into its folder: card.json, and README.md rendered from it by `card_markdown`."
    folder = Path(folder)
    (folder / 'card.json').write_text(json.dumps(card, indent=1))
    (folder / 'README.md').write_text(card_markdown(card))
    return folder


def publish_pretrained(run,  # the training run folder
                       name: str,  # the name `load_pretrained` will know it by
                       description: str,
                       command: str,  # the exact command that trained it
                       snapshot: str | None = None,  # a file in run/snapshots instead of the last checkpoint
                       half: bool = True,  # store the weights in float16
                       quality: dict | None = None,  # `evaluate_model`'s result
                       notes: list | None = None,  # further paragraphs for the card
                       dest=WEIGHTS_DIR) -> Path:
    "Write `dest/name/`: model.safetensors, config.json, card.json and README.md (the model card)."
    run = Path(run)
    cfg = json.loads((run / 'config.json').read_text())
    if snapshot:
        sd = load_file(str(run / 'snapshots' / snapshot)); step = int(snapshot.split('_')[1].split('.')[0])
    else:
        ck = load_checkpoint(run / 'ckpt.pt'); sd, step = clean_state_dict(ck['ema']), int(ck['step'])
    sd = {k: (v.half() if half and v.is_floating_point() else v).contiguous() for k, v in sd.items()}
    folder = Path(dest) / name
    folder.mkdir(parents=True, exist_ok=True)
    save_file(sd, str(folder / 'model.safetensors'), metadata=dict(step=str(step)))
    (folder / 'config.json').write_text(json.dumps(dict(model=cfg['model'], train=cfg['train'], step=step), indent=1))
    t = cfg['train']
    card = dict(name=name, description=description, config=cfg, command=command, step=step,
                n_params=sum(v.numel() for v in sd.values()),
                data=(f"MovingShapes, {t['n_videos']} videos of {'x'.join(map(str, cfg['model']['target']))}, seed "
                      f"{t['data_seed']}, default settings" if t['data'] == 'shapes' else f"the videos in {t['data']}"),
                hardware=hardware(), wall_time_s=run_wall_time(run),
                weights=f"EMA, {'float16' if half else 'float32'} safetensors, {os.path.getsize(folder / 'model.safetensors') / 1e6:.1f} MB",
                notes=notes or [])
    if quality: card['quality'] = {k: v for k, v in quality.items() if k != 'levels'}
    return write_card(folder, card)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog=__doc__.split('\n\n', 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('run', nargs='?', help='the training run folder (with config.json, ckpt.pt, metrics.jsonl)')
    ap.add_argument('name', nargs='?', help='the name load_pretrained will know it by')
    ap.add_argument('--description', help='one line for the card, e.g. "class-conditional MovingShapes, 3 levels"')
    ap.add_argument('--command', help='the exact command that trained the run')
    ap.add_argument('--snapshot', help='a file in RUN/snapshots to publish instead of the last checkpoint')
    ap.add_argument('--float32', action='store_true', help='store the weights in float32 (default float16)')
    ap.add_argument('--quality', help="JSON of evaluate_model's result, or RUN/quality_vs_steps.json")
    ap.add_argument('--note', action='append', default=[], help='a further paragraph for the card (repeatable)')
    ap.add_argument('--dest', default=str(WEIGHTS_DIR), help='the folder of published models (default: the package)')
    ap.add_argument('--readme', metavar='NAME', help="only rewrite NAME's README.md from its card.json")
    a = ap.parse_args(argv)
    if a.readme:
        folder = Path(a.dest) / a.readme
        write_card(folder, json.loads((folder / 'card.json').read_text()))
        print(f'wrote {folder / "README.md"}'); return
    if not (a.run and a.name and a.description and a.command):
        ap.error('publishing needs RUN, NAME, --description and --command')
    q = json.loads(Path(a.quality).read_text()) if a.quality else None
    if q is not None and 'report' not in q:  # results by step: the published step's (checked before writing anything)
        step = (int(a.snapshot.split('_')[1].split('.')[0]) if a.snapshot else
                int(load_checkpoint(Path(a.run) / 'ckpt.pt')['step']))
        if str(step) not in q: sys.exit(f"{a.quality} has no results for step {step}, only for steps {', '.join(q)}")
        q = q[str(step)]
    folder = publish_pretrained(a.run, a.name, a.description, a.command, snapshot=a.snapshot, half=not a.float32,
                                quality=q, notes=a.note, dest=a.dest)
    print(f'published {folder}; card: {folder / "README.md"}')


if __name__ == '__main__':
    main()
