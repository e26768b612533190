#!/bin/sh
# Refresh the English catalogue after texts changed in ops_app (run from the repository root):
# extract the marked Chinese texts, merge them into messages.po, then (after translating the new
# entries in messages.po) compile messages.mo. tests/test_ops_i18n.py checks both are complete and current.
set -e
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-../.venv/bin/pybabel}"
"$PYBABEL" extract -F babel.cfg -k _l -k N_ -k tr -k Msg --no-location --sort-output \
    --project=gz-archives-ops -o translations/messages.pot . ../archives_domain/files.py
"$PYBABEL" update -i translations/messages.pot -d translations -N --width=120
"$PYBABEL" compile -d translations -f
