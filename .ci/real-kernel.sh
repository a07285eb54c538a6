#!/usr/bin/env bash
# Runs gfplint over fs/, mm/ and block/ of Debian's linux-source-6.12 the way a user types it —
# from outside the tree, with absolute paths — and fails on an exception (exit code 2, "internal
# error"), a hang (timeout) or a peak resident set above 2 GB (GNU time's "Maximum resident set
# size"). The tree is kept under ~/.cache between runs.
# When the package cannot be fetched, says so and skips: it never pretends to have run.
set -uo pipefail
cache="${HOME}/.cache/gfplint-ci"
tree="${cache}/linux-source-6.12"
mkdir -p "$cache"

if [ ! -f "${tree}/Makefile" ]; then
  echo "real-kernel: fetching linux-source-6.12 (Debian package) into ${cache}"
  work=$(mktemp -d)
  if ! (cd "$work" && (apt-get download linux-source-6.12 >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get download linux-source-6.12 >/dev/null 2>&1; })); then
    echo "real-kernel: SKIPPED: could not download the Debian package linux-source-6.12 (no apt access?)"
    rm -rf "$work"
    exit 0
  fi
  deb=$(ls "$work"/linux-source-6.12_*.deb 2>/dev/null | head -n 1)
  if [ -z "$deb" ] || ! dpkg -x "$deb" "$work/x"; then
    echo "real-kernel: SKIPPED: the downloaded package could not be unpacked"
    rm -rf "$work"
    exit 0
  fi
  tarball=$(ls "$work"/x/usr/src/linux-source-6.12*.tar.xz | head -n 1)
  # Only what the run needs: the three directories, the headers (gfp_types.h) and the Makefile.
  mkdir -p "$cache/tmp" && tar -xJf "$tarball" -C "$cache/tmp" --wildcards \
    'linux-source-6.12/Makefile' 'linux-source-6.12/fs/*' 'linux-source-6.12/mm/*' \
    'linux-source-6.12/block/*' 'linux-source-6.12/include/*' || { echo "real-kernel: SKIPPED: tar failed"; rm -rf "$work" "$cache/tmp"; exit 0; }
  rm -rf "$tree" && mv "$cache/tmp/linux-source-6.12" "$tree" && rm -rf "$cache/tmp" "$work"
fi

repo=$(pwd)
out=$(mktemp)
err=$(mktemp)
times=$(mktemp)
if [ ! -x /usr/bin/time ]; then
  echo "real-kernel: FAILED: /usr/bin/time (GNU time) is needed to measure peak memory (apt-get install time)"; exit 1
fi
limit_kb=$((2 * 1024 * 1024))
start=$(date +%s)
# From a directory outside the tree, as a user would: absolute paths to the three directories.
outside=$(mktemp -d)
(cd "$outside" && /usr/bin/time -v -o "$times" timeout 1800 node "$repo/bin/gfplint.js" --format json -o "$out" --no-cache \
  "$tree/fs" "$tree/mm" "$tree/block") 2>"$err"
code=$?
rmdir "$outside"
peak_kb=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$times")
secs=$(( $(date +%s) - start ))
skips=$(grep -c 'skipped' "$err" || true)
if [ "$code" -eq 124 ]; then
  echo "real-kernel: FAILED: gfplint did not finish within 30 minutes (hang)"; tail -n 20 "$err"; exit 1
fi
if [ "$code" -ge 2 ] || grep -q 'internal error' "$err"; then
  echo "real-kernel: FAILED: gfplint exited with $code"; tail -n 40 "$err"; exit 1
fi
if [ -z "$peak_kb" ]; then
  echo "real-kernel: FAILED: no peak memory figure from /usr/bin/time"; cat "$times"; exit 1
fi
if [ "$peak_kb" -gt "$limit_kb" ]; then
  echo "real-kernel: FAILED: peak resident set $((peak_kb / 1024)) MB is above 2048 MB"; exit 1
fi
echo "real-kernel: peak resident set $((peak_kb / 1024)) MB (limit 2048 MB)"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const by = {};
for (const f of r.findings) by[f.rule] = (by[f.rule] || 0) + 1;
console.log(`real-kernel: ok: ${r.filesScanned} files of fs/ mm/ block/ (6.12) in '"$secs"' s, ${r.findings.length} findings`, JSON.stringify(by));
' "$out"
echo "real-kernel: ${skips} skipped-file lines"; grep 'skipped' "$err" | head -n 5
rm -f "$out" "$err" "$times"
