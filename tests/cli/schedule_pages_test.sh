#!/usr/bin/env bash
# The setup of the schedule-page tests: `dca explore NN --variant V --html` for every exercise NAME
# given as NAME:VARIANT (the variants the manifest's `explored` names; VARIANT `levels`: the page of
# `dca explore NN --levels`), the explorer's JSON of the
# same run beside each page, then one Chromium run
# over all the pages (schedule_page_browser.mjs), which leaves NAME-V.result and NAME-V.png in DIR.
# A page dca could not write gets its .result here, so its exercise's test fails naming why.
# usage: schedule_pages_test.sh DCA DIR NODE NODE_MODULES CHROMIUM NAME:VARIANT...
set -uo pipefail
dca=$1 dir=$2 node=$3 modules=$4 chromium=$5
shift 5
rm -rf "$dir"
mkdir -p "$dir"
pages=()
for explored in "$@"; do
  name=${explored%%:*} variant=${explored#*:}
  page=$name-$variant
  picked=(--variant "$variant")
  [[ $variant == levels ]] && picked=(--levels) # one failure at every level: three columns
  "$dca" explore "${name:0:2}" "${picked[@]}" --html "$dir/$page.html" >"$dir/$page.out" 2>&1
  rc=$?
  if [[ $rc -ne 0 && $rc -ne 3 ]]; then
    { echo "dca explore ${name:0:2} ${picked[*]} --html exited $rc:"; cat "$dir/$page.out"; } \
      | tee "$dir/$page.result"
    continue
  fi
  "$dca" explore "${name:0:2}" "${picked[@]}" --format json >"$dir/$page.json"
  pages+=("$page")
done
[[ ${#pages[@]} -gt 0 ]] || { echo "no page was written"; exit 1; }
"$node" "$(dirname "${BASH_SOURCE[0]}")/schedule_page_browser.mjs" --node-modules "$modules" \
  --chromium "$chromium" --dir "$dir" "${pages[@]}"
# Failed checks are the exercises' tests to report; this setup fails only when a page went unchecked
# (the browser did not start, the script crashed).
for page in "${pages[@]}"; do
  [[ -f $dir/$page.result ]] || { echo "$page: not checked in Chromium"; exit 1; }
done
