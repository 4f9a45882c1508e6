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


def card_markdown(card: dict) -> str:
    "The model card as Markdown (the folder's README.md)."
    m, t = card['config']['model'], card['config']['train']
    lines = [f"# {card['name']}: {card['description']}", '',
             f"- model: `{m['name']}`, {card['n_params'] / 1e6:.1f}M parameters, pyramid {'x'.join(map(str, m['patch']))} patches "
             f"up to {'x'.join(map(str, m['target']))} in {m['n_levels']} levels",
             f"- data: {card['data']}", f"- trained by: `{card['command']}`",
             f"- {card['step']} steps of batch {t['batch_size']} ({t['optimizer']}, lr {t['lr']}, EMA half-life "
             f"{t['ema_half_life']} steps), {card['wall_time_s'] / 3600:.2f} h on {card['hardware']}",
             f"- weights: {card['weights']}", '']
    if card.get('image'): lines += [f"![{card['name']}: samples at every pyramid level]({card['image']})", '']
    q = card.get('quality')
    if q:
        lines += [f"## Measured quality ({q['n']} samples, seeds {q['seed']} to {q['seed'] + q['n'] - 1}, "
                  f"{q['seconds_per_video']:.2f} s per video; sampler {q['sampler']})", '',
                  '| level | who | one object | objects/frame | foreground | right kind | nearest-train distance | '
                  'token-border ratio (t, h, w) | grain |', '|---|---|---|---|---|---|---|---|---|']
        for lv, row in q['report'].items():
            for who in ('samples', 'data'):
                s = row[who]
                br = ', '.join(f"{s[k]:.2f}" for k in ('border_ratio_t', 'border_ratio_h', 'border_ratio_w') if k in s)
                lines.append(f"| {lv.split('_')[1]} | {who} | {s['one_object']:.0%} | {s['objects_per_frame']:.2f} | "
                             f"{s['foreground']:.0%} | "
                             f"{s['kind_accuracy']:.0%} | {s['nearest_train']:.4f} | {br} | {s['grain']:.4f} |")
        lines += ['', 'The bar (see nbs/09b): ' + '; '.join(
            f"{lv}: " + ', '.join(f"{k} {'met' if v else 'NOT met'}" for k, v in ok.items()) for lv, ok in q['bar'].items())]
    f = card.get('fvd')
    if f:  # measured by benchmarks/fvd_models.py (nbs/12b)
        p = f['protocol']
        lines += ['', f"## FVD: {f['fvd']:.1f}", '',
                  f"{f['fake']}, against {f['real']} ({p['frames']} frames, clip '{p['clip']}', I3D logits; nbs/12b). "
                  f"Held-out data against the same real videos, at the same sizes: FVD {f['data_fvd']:.1f} "
                  f"(what a perfect model would score with this few videos). Not comparable with FVDs measured "
                  f"on other data or with other numbers of videos."]
    tf = (q or {}).get('text_following')
    if tf:  # a text model (nbs/11): colour and kind of its object against its prompt's
        lines += ['', f"## Text following ({tf['n']} held-out captions as prompts, guidance {q['sampler'].get('guidance', 1)})",
                  '', '| prompts | right colour | right kind | both |', '|---|---|---|---|']
        for who, name in (('prompts', 'as given'), ('shuffled', 'shuffled (chance)')):
            s = tf[who]
            lines.append(f"| {name} | {s['colour']:.0%} | {s['kind']:.0%} | {s['both']:.0%} |")
    sw = card.get('guidance_sweep')
    if sw:
        lines += ['', f"Against the guidance scale ({next(iter(sw.values()))['n']} prompts; right colour, right kind, both; "
                      'both with shuffled prompts):', ''] + [
            f"- {w}: {v['prompts']['colour']:.0%}, {v['prompts']['kind']:.0%}, {v['prompts']['both']:.0%}; "
            f"shuffled {v['shuffled']['both']:.0%}" for w, v in sw.items()]
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
