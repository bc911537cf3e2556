#!/usr/bin/env bash
# `npm test`: every test, from a fresh clone, in one command.
#
#   1. npm packages   `npm ci` when node_modules is missing or older than package-lock.json
#   2. system pieces  scripts/setup-system.sh (Jupyter, redis-server, chromium via apt-get as root; tslab kernel)
#   3. type check     npx tsc --noEmit -p .   (strict)
#   4. unit tests     npx vitest run
#   5. notebooks      scripts/run-notebooks.ts: execute every notebook headless, check its figures in Chromium
#
# Steps 3–5 all run even when one fails, so one run shows every problem; the output ends with a summary and
# the exit status is non-zero if anything failed. Steps 1–2 stop the run: nothing else can work without them.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/node_modules/.bin:$PATH"
started=$SECONDS
logdir="$(mktemp -d)"
trap 'rm -rf "$logdir"' EXIT

step() { printf '\n==> %s\n' "$*"; }

# --- 1. npm packages ------------------------------------------------------------------------------------------
# `npm ci`, not `npm install`: it installs exactly the lockfile and never rewrites package-lock.json (a test run
# must not change tracked files); if package.json and the lockfile disagree it stops and says so.
if [[ ! -d node_modules ]] || [[ ! -f node_modules/.package-lock.json ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  step "npm ci (node_modules missing or older than package-lock.json)"
  if ! npm ci --no-audit --no-fund; then
    echo "npm test: FAILED: \`npm ci\` failed (if package.json changed, run \`npm install\` to update package-lock.json)" >&2
    exit 1
  fi
fi

# --- 2. system pieces -----------------------------------------------------------------------------------------
step "system packages and the tslab kernel (scripts/setup-system.sh)"
if ! bash scripts/setup-system.sh; then
  echo "npm test: FAILED: system setup is incomplete (see the message above); nothing was tested" >&2
  exit 1
fi

# --- 3–5. checks ----------------------------------------------------------------------------------------------
summary=()
failed=0
run_check() { # name, summary-extractor, time cap in seconds, command…
  local name="$1" extract="$2" limit="$3"
  shift 3
  step "$name: $*"
  local t0=$SECONDS status=0
  # The time cap turns a hung step into a failure with a message instead of a CI job that never ends. On a
  # terminal, --foreground keeps Ctrl-C reaching the command.
  local tflags=(--kill-after=30)
  [[ -t 0 ]] && tflags+=(--foreground)
  timeout "${tflags[@]}" "$limit" "$@" 2>&1 | tee "$logdir/$name.log" || status=$?
  if ((status == 124 || status == 137)); then echo "npm test: $name did not finish within $limit s: stopped" | tee -a "$logdir/$name.log"; fi
  local took=$((SECONDS - t0)) detail
  detail="$($extract "$logdir/$name.log" || true)"
  if ((status == 0)); then
    summary+=("$(printf '  %-10s ok      %4ds  %s' "$name" "$took" "$detail")")
  else
    failed=1
    summary+=("$(printf '  %-10s FAILED  %4ds  %s' "$name" "$took" "$detail")")
  fi
}
strip_ansi() { sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1"; }
tsc_detail() { local n; n="$(strip_ansi "$1" | grep -c 'error TS' || true)"; ((n == 0)) || echo "$n type errors"; }
vitest_detail() { strip_ansi "$1" | grep -E '^ *(Test Files|Tests) ' | sed -e 's/^ *//' | tr -s ' ' | paste -sd ';' -; }
notebooks_detail() { strip_ansi "$1" | grep -E '^notebooks: [0-9]+ passed' | tail -n 1; }

# Caps are generous (the whole run takes about 5 minutes on 2 cores); they only stop a hung step.
run_check typecheck tsc_detail 600 npx tsc --noEmit -p .
run_check unit vitest_detail 900 npx vitest run
run_check notebooks notebooks_detail 900 node --import tsx scripts/run-notebooks.ts

printf '\n==> summary (%ds in all)\n' "$((SECONDS - started))"
printf '%s\n' "${summary[@]}"
if ((failed)); then
  echo "npm test: FAILED"
  exit 1
fi
echo "npm test: PASSED"
