#!/usr/bin/env bash
# Refresh the panel screenshots in docs/images/ (README, docs/panel.md) from the browser tests.
# The test suite itself writes them to build/screenshots/ and never touches tracked files.
set -euo pipefail
cd "$(dirname "$0")/.."
NBKIT_SCREENSHOTS="$PWD/docs/images" python -m pytest -p no:cacheprovider -q tests/browser \
  -k "screenshot or verify_flawed_notebook_shows_the_mismatch" "$@"
git status --short docs/images
