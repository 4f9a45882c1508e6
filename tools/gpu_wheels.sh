#!/usr/bin/env bash
# Wheels of what hpdm_nb needs and the GPU machine's image lacks (nothing can be installed there from the network):
# mediapy and IPython (which mediapy imports) and fastcore. Downloaded into .whl/ (git-ignored), about 7 MB.
# imageio-ffmpeg (29 MB) is left out: with the repository (49 MB) it would pass the 64 MiB a call may carry, so
# writing mp4/GIF (hpdm_sample) cannot be checked there; tools/gpu_check.py says so and skips it. On the GPU machine, with .whl carried:
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD
# then e.g. `python3 tools/gpu_check.py --out $OUT` or `python3 benchmarks/gpu_unet.py --export $OUT`.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 -d .whl \
  mediapy==1.2.7 fastcore==1.14.5 ipython==9.18.1 ipython_pygments_lexers==1.1.1 jedi==0.20.1 \
  parso==0.8.7 matplotlib-inline==0.2.2 pexpect==4.9.0 ptyprocess==0.7.0 prompt_toolkit==3.0.53 wcwidth==0.9.4 \
  stack-data==0.6.3 asttokens==3.0.2 executing==2.3.0 pure_eval==0.2.4 traitlets==5.16.1
ls .whl
