#!/usr/bin/env bash
# `deno fmt --check`, except for notebooks: Deno 2.9.6 reports every .ipynb as "not formatted" when
# its fmt cache is empty (a fresh machine, CI), although `deno fmt` leaves the file byte-identical.
# So notebooks are formatted in place and must come out unchanged.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
mapfile -t sources < <(git ls-files '*.ts' '*.js' '*.json' '*.jsonc' '*.md' '*.css' '*.yml' '*.yaml')
deno fmt --check --quiet "${sources[@]}" || status=1
mapfile -t notebooks < <(git ls-files '*.ipynb')
if [ ${#notebooks[@]} -gt 0 ]; then
  before=$(sha256sum "${notebooks[@]}")
  deno fmt --quiet "${notebooks[@]}"
  if [ "$before" != "$(sha256sum "${notebooks[@]}")" ]; then
    echo "notebooks not formatted (now formatted in place):"
    diff <(echo "$before") <(sha256sum "${notebooks[@]}") | grep '^>' | awk '{print "  " $3}'
    status=1
  fi
fi
exit $status
