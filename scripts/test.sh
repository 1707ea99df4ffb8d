#!/usr/bin/env bash
# Set up and run the whole test suite (the README's test command). Run from the repository root,
# inside a fresh virtual environment or not.
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser tests drive Debian's Chromium (Playwright cannot download browsers here).
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

python -m pip install -q -e ".[test,lab]"
python -m ipykernel install --sys-prefix --name python3 >/dev/null
# The JupyterLab panel's unit tests (jest; the install above built labextension/). Skipped when
# pytest arguments select a part of the suite.
if [ $# -eq 0 ]; then
  (cd labextension && jlpm install >/dev/null && jlpm test --silent 2>&1 | tail -n 5)
fi
python -m pytest -p no:cacheprovider -q "$@"
