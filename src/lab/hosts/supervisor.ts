import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import type { HostState } from './state.js'

/** systemd-nspawn's exit status when the guest asked for a reboot. */
const GUEST_REBOOT = 133
const MAX_REBOOTS = 1000

// Each nspawn run is a child shell that first moves itself into the host's own cgroups and then execs nspawn, so the
// host's cgroups hold nspawn and the guest only (a pure cgroup2 tree forbids processes beside child cgroups). nspawn
// runs in the background so a TERM to the supervisor is forwarded at once (nspawn powers the guest off) and not
// followed by a restart.
const SUPERVISOR_SCRIPT = `
stopping=
trap 'stopping=1; kill -TERM $child 2>/dev/null' TERM INT HUP
n=0
while [ $n -le ${MAX_REBOOTS} ]; do
  /bin/sh -c 'for cg in $LAB_CGROUPS; do echo $$ > "$cg/cgroup.procs" || exit 70; done; exec systemd-nspawn "$@"' \\
    nspawn "$@" < /dev/null &
  child=$!
  echo $child > "$LAB_PIDFILE"
  wait $child; rc=$?
  while kill -0 $child 2>/dev/null; do wait $child; rc=$?; done
  echo "meshvm-lab: systemd-nspawn exited with $rc" >&2
  if [ -n "$stopping" ] || [ $rc -ne ${GUEST_REBOOT} ]; then exit $rc; fi
  n=$((n + 1))
done
`

function nspawnArgs(host: HostState): string[] {
  return [
    '--boot',
    '--register=no',
    '--keep-unit',
    `--directory=${host.root}`,
    `--machine=${host.netns}`,
    `--network-namespace-path=/run/netns/${host.netns}`,
    '--capability=CAP_NET_ADMIN',
    '--resolv-conf=off',
    '--timezone=off',
    '--link-journal=no',
    '--console=read-only',
  ]
}

/** Starts the host's detached supervisor (it outlives this process); returns its pid. */
export function startSupervisor(host: HostState): number {
  const out = openSync(host.consoleLog, 'a')
  const child = spawn('/bin/sh', ['-c', SUPERVISOR_SCRIPT, 'meshvm-lab-supervisor', ...nspawnArgs(host)], {
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      LAB_CGROUPS: host.cgroups.join(' '),
      LAB_PIDFILE: host.nspawnPidFile,
      // lets the guest's iptables (istio-iptables) write /proc/sys/net
      SYSTEMD_NSPAWN_API_VFS_WRITABLE: 'network',
    },
  })
  closeSync(out)
  child.unref()
  if (child.pid === undefined) throw new Error(`lab: could not start the supervisor of ${host.name}`)
  return child.pid
}
