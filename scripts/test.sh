#!/usr/bin/env bash
# Set up and run the whole test suite (the README's test command). Run from the repository root,
# inside a fresh virtual environment or not.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -e ".[test,lab]"
python -m ipykernel install --sys-prefix --name python3 >/dev/null
python -m pytest -p no:cacheprovider -q "$@"
