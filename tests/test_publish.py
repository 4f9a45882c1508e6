"""tools/publish.py, the maintainer's tool that writes a shipped model's folder: it renders the shipped cards, and a
published run loads as a shipped model does."""
import json, shutil, subprocess, sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
from publish import card_markdown, main as publish_main  # noqa: E402  (tools/ is not a package)

from hpdm_nb.weights import list_pretrained, load_model, pretrained_folder  # noqa: E402
from hpdm_nb.pretrained import model_card  # noqa: E402


def _script(name):
    p = Path(sys.executable).with_name(name)
    return str(p) if p.exists() else shutil.which(name)


def test_card_markdown_renders_every_shipped_card():
    "Each shipped card renders: title, how it was trained, every level's measurements beside the data's."
    for name in list_pretrained():
        card = model_card(name)
        md = card_markdown(card)
        assert md.startswith(f"# {name}: {card['description']}") and card['command'] in md
        for lv in card['quality']['report']:
            assert f"| {lv.split('_')[1]} | samples |" in md and f"| {lv.split('_')[1]} | data |" in md
        assert all(note.split('\n')[0] in md for note in card.get('notes', []))
        assert (pretrained_folder(name) / 'README.md').read_text().split('\n')[:8] == md.split('\n')[:8]


def test_publish_a_run_then_load_it(tmp_path):
    "A two-step tiny run published into a folder: float16 weights, its config and card, and it loads like a shipped model."
    run = tmp_path / 'run'
    proc = subprocess.run([_script('hpdm_train'), 'tiny', f'out={run}', 'steps=2', 'n_videos=8', 'batch_size=2',
                           'ckpt_every=2', 'n_samples=1', 'sample_steps=2', '--no-progress'], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    publish_main([str(run), 'tiny-test', '--description', 'a two-step test', '--command', 'hpdm_train tiny steps=2',
                  '--note', 'A note.', '--dest', str(tmp_path / 'weights')])
    folder = tmp_path / 'weights' / 'tiny-test'
    card = json.loads((folder / 'card.json').read_text())
    assert card['step'] == 2 and card['name'] == 'tiny-test' and card['notes'] == ['A note.']
    assert card['wall_time_s'] > 0 and 'cores' in card['hardware'] and 'float16' in card['weights']
    assert (folder / 'README.md').read_text() == card_markdown(card)
    model, info = load_model(folder)
    assert info['step'] == 2 and model.cfg.name == 'tiny' and not model.training
    assert next(model.parameters()).dtype == torch.float32  # stored in float16, computed in float32
