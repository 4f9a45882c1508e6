#!/usr/bin/env bash
# The test command: sets up .venv if needed, then runs every notebook (nbdev's test_nb, flags from settings.ini),
# the pytest tests, and the notebook/library sync and cleanliness checks. Ends with "N passed, N failed".
# Extra arguments go to tools/run_tests.py (for example --flags slow, or a notebook glob).
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
exec python tools/run_tests.py "$@"
