#!/usr/bin/env bash
# A plain install works: `pip install .` (not editable) into a fresh venv, then `continuo presets` and
# `continuo demo` from another folder, so the bundled presets and the demo melody ship as package data.
# Usage: bash scripts/check_install.sh        (CI runs it; a failure exits non-zero)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
work=$(mktemp -d /tmp/continuo-install.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Install from a copy of the files git knows (committed or not, less the ignored ones): a build/ folder
# left by an earlier build would otherwise slip files that are gone from the tree into the wheel.
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done \
    | tar --null -T - -cf - | tar -xf - -C "$work/src"

"$PYTHON" -m venv "$work/venv"
# The CPU build of torch first, as scripts/setup.sh does: an unpinned install would pull the CUDA build.
"$work/venv/bin/python" -m pip install --quiet "torch==2.13.0"
"$work/venv/bin/python" -m pip install --quiet "$work/src"
rm -rf "$work/src"  # nothing may be found in the source tree from here on

cd /tmp
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"  # no user presets, no user output folder
presets=$("$work/venv/bin/continuo" presets)
echo "$presets"
for name in pop-ballad lofi-keys bossa-nova edm-arp cinematic-strings chorale folk jazz-trio default sketch; do
    if ! grep -q "^  $name " <<<"$presets"; then
        echo "check_install: \`continuo presets\` does not list the bundled preset $name" >&2
        exit 1
    fi
done
if grep -q "(unusable)" <<<"$presets"; then
    echo "check_install: a bundled preset is unusable in a plain install" >&2
    exit 1
fi

demo=$("$work/venv/bin/continuo" demo --preset folk --output-dir "$work/out")
echo "$demo"
for kind in MIDI preview mix; do
    path=$(awk -v kind="$kind" '$1 == kind {print $2; exit}' <<<"$demo")
    if [ -z "$path" ] || [ ! -s "$path" ]; then
        echo "check_install: \`continuo demo\` wrote no $kind file" >&2
        exit 1
    fi
done
echo "check_install: a plain install lists the presets and plays the demo from $(pwd)"
