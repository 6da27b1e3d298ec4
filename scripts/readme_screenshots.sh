#!/bin/sh
# Regenerate the README's console screenshots (docs/images/console-*.png) from a real trueport serve
# with live traffic, by the browser test that takes them. Needs the built console (make setup) and
# Debian's chromium.
set -eu
cd "$(dirname "$0")/.."
TRUEPORT_README_SCREENSHOTS=1 uv run pytest tests/console/test_console_readme_screenshots.py -q "$@"
ls -l docs/images/console-overview.png docs/images/console-policy-editor.png
