#!/bin/bash
# The raw OpenSSH lower bound for bench/fleet.mjs: for every VM at once, one scp of its bundle files and the sidecar
# .deb, then one `ssh VM 'sudo sh -s' < remote.sh` doing the onboarding steps with no checks (and so no idempotence).
# Usage: onboard.sh HOSTS_FILE SIDECAR_DEB KEY KNOWN_HOSTS USER
#   HOSTS_FILE: one "name address bundle_dir [port]" per line (port 22 by default).
# Exits 1 when any VM failed; each failure is printed as "name: failed (exit N)".
set -u
hosts_file=$1 deb=$2 key=$3 known_hosts=$4 user=$5
here=$(cd "$(dirname "$0")" && pwd)
opts=(-F none -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$known_hosts")

onboard_one() {
  local name=$1 address=$2 bundle=$3 port=$4
  scp -q "${opts[@]}" -P "$port" "$bundle/root-cert.pem" "$bundle/istio-token" "$bundle/cluster.env" "$bundle/mesh.yaml" \
    "$bundle/hosts" "$deb" "$user@$address:" || return 1
  ssh "${opts[@]}" -p "$port" "$user@$address" 'sudo sh -s' < "$here/remote.sh"
}

pids=()
names=()
while read -r name address bundle port; do
  [ -n "$name" ] || continue
  onboard_one "$name" "$address" "$bundle" "${port:-22}" > /dev/null &
  pids+=($!)
  names+=("$name")
done < "$hosts_file"

failed=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { echo "${names[$i]}: failed (exit $?)"; failed=1; }
done
exit $failed
