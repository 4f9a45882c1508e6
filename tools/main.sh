#!/usr/bin/env bash
# The main job: sets up .venv if needed, then runs hpdm_nb's end-to-end demo and prints where its outputs are.
# Extra arguments go to the `hpdm_demo` command (see `hpdm_demo --help`).
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
exec hpdm_demo "$@"
