#!/bin/bash
# meshvm vs tuned Ansible vs raw OpenSSH on an N-VM lab fleet (see bench/README.md). Root, Linux.
# Usage: bench/fleet.sh N [flags of bench/fleet.mjs, e.g. --reps 3 --json out.json]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: bench/fleet.sh N [--reps 3] [--payload-mib 30] [--json FILE]}
shift
if ! command -v ansible-playbook > /dev/null; then
  echo "bench: installing Debian's ansible package" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q ansible > /dev/null
fi
npm run --silent deps
npm run --silent build
exec node bench/fleet.mjs --vms "$n" "$@"
