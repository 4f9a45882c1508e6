#!/usr/bin/env bash
# The test command: sets up .venv if needed, then runs every notebook (nbdev's test_nb, flags from settings.ini),
# the pytest tests, and the notebook/library sync and cleanliness checks. Ends with "N passed, N failed".
# Extra arguments go to tools/run_tests.py (for example --flags slow, or a notebook glob).
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
# the real-browser test of the widgets (tests/test_browser.py) drives Debian's chromium with its chromedriver
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing Debian's chromium and chromium-driver for the browser test" >&2
    apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null 2>&1; }
    apt_install || { apt-get update -qq >/dev/null 2>&1 && apt_install; } \
      || echo "[setup] apt could not install chromium: the browser test will be skipped" >&2
  else
    echo "[setup] chromium or chromedriver is missing and this is not root: the browser test will be skipped" \
         "(install Debian's chromium and chromium-driver to run it)" >&2
  fi
fi
exec python tools/run_tests.py "$@"
