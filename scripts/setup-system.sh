#!/usr/bin/env bash
# System pieces the tests and notebooks need, installed when missing, and the "tslab" Jupyter kernel.
#
#   Jupyter (for /usr/bin/python3): nbconvert, nbclient, jupyter_client, ipykernel  — to execute notebooks
#   redis-server                                                                     — live-trading tests
#   chromium                                                                         — headless render checks
#
# Idempotent and fast when everything is present: apt-get (and its `update`) runs only for what is missing,
# and only as root; otherwise it stops and prints the exact command to run. The kernelspec is rewritten only
# when it differs from what this project needs (see src/notebook/kernel-boot.cjs and docs/notebooks.md).
#
# Environment: JUPYTER_PYTHON (default /usr/bin/python3), CHROMIUM_PATH (default /usr/bin/chromium).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${JUPYTER_PYTHON:-/usr/bin/python3}"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

say() { printf 'setup-system: %s\n' "$*"; }
die() { printf 'setup-system: ERROR: %s\n' "$*" >&2; exit 1; }

# --- 1. Debian packages --------------------------------------------------------------------------------------
missing=()
# Debian package providing each Python module for the system python.
declare -A module_package=([nbconvert]=jupyter-nbconvert [nbclient]=python3-nbclient [jupyter_client]=jupyter-client [ipykernel]=python3-ipykernel)
missing_modules() { # prints the modules of module_package that $py cannot import (all of them without $py)
  if [[ ! -x "$py" ]]; then printf '%s\n' "${!module_package[@]}"; return; fi
  "$py" -c 'import importlib.util, sys
for m in sys.argv[1:]:
    if importlib.util.find_spec(m) is None: print(m)' "${!module_package[@]}" 2>/dev/null
}
[[ -x "$py" ]] || missing+=(python3)
for m in $(missing_modules); do missing+=("${module_package[$m]}"); done
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[[ -x "$chromium" ]] || missing+=(chromium)

if ((${#missing[@]} > 0)); then
  install_cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  if [[ "$(id -u)" -ne 0 ]]; then
    die "missing system packages: ${missing[*]}. Install them as root: sudo sh -c '$install_cmd' (then rerun)"
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing system packages: ${missing[*]}, and apt-get is not available: install them with this system's package manager"
  say "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >/tmp/setup-system-apt.log 2>&1; then
    tail -n 20 /tmp/setup-system-apt.log >&2
    die "apt-get failed installing ${missing[*]} (full log: /tmp/setup-system-apt.log). Install them by hand: $install_cmd"
  fi
  # What was missing must be there now; anything else is a bug in the list above, not something to skip.
  still="$(missing_modules | tr '\n' ' ')"
  [[ -z "$still" ]] || die "after apt-get, $py still cannot import: $still"
  command -v redis-server >/dev/null 2>&1 || die "after apt-get, redis-server is still not on PATH"
  [[ -x "$chromium" ]] || die "after apt-get, $chromium is still missing (set CHROMIUM_PATH if Chromium lives elsewhere)"
  say "installed ${missing[*]}"
fi

# --- 2. The tslab kernelspec -----------------------------------------------------------------------------------
# Jupyter starts kernels in the notebook's folder; kernel-boot.cjs finds the project from there, installs the
# project's import hooks (src/notebook/kernel-hooks.cjs) and starts the project's own node_modules/tslab.
# The boot file is copied into the kernelspec folder and referenced by absolute path (VS Code only learned the
# {resource_dir} placeholder in 2025), so the kernel does not depend on this clone's location.
boot_src="$root/src/notebook/kernel-boot.cjs"
[[ -f "$boot_src" ]] || die "$boot_src is missing"
node_bin="$(command -v node)" || die "node is not on PATH"

kernel_dir() { "$py" -m jupyter kernelspec list --json 2>/dev/null | "$py" -c 'import json,sys; print(json.load(sys.stdin)["kernelspecs"].get("tslab", {}).get("resource_dir", ""))'; }
kernel_json() { # $1 = kernelspec folder
  "$py" - "$node_bin" "$1/kernel-boot.cjs" <<'PY'
import json, sys
print(json.dumps({
    "argv": [sys.argv[1], sys.argv[2], "kernel", "--config-path", "{connection_file}"],
    "display_name": "TypeScript (tslab)",
    "language": "typescript",
    "metadata": {"note": "written by scripts/setup-system.sh; boots the nearest project's node_modules/tslab"},
}, indent=1, sort_keys=True))
PY
}

dir="$(kernel_dir)"
if [[ -n "$dir" && -f "$dir/kernel.json" && -f "$dir/kernel-boot.cjs" ]] \
  && cmp -s "$boot_src" "$dir/kernel-boot.cjs" && [[ "$(kernel_json "$dir")" == "$(cat "$dir/kernel.json")" ]]; then
  say "ok: jupyter packages, redis-server, chromium, tslab kernel ($dir)"
  exit 0
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$boot_src" "$stage/kernel-boot.cjs"
kernel_json "$stage" >"$stage/kernel.json" # placeholder path, rewritten below once the folder is known
user_flag=()
[[ "$(id -u)" -ne 0 ]] && user_flag=(--user)
"$py" -m jupyter kernelspec install --replace --name tslab "${user_flag[@]}" "$stage" >/dev/null 2>&1 \
  || die "could not register the tslab kernel: $py -m jupyter kernelspec install --replace --name tslab ${user_flag[*]} <folder> failed"
dir="$(kernel_dir)"
[[ -n "$dir" ]] || die "the tslab kernel was installed but \`jupyter kernelspec list\` does not show it"
kernel_json "$dir" >"$dir/kernel.json"
chmod 0644 "$dir/kernel.json" "$dir/kernel-boot.cjs"
say "registered the tslab kernel in $dir"
