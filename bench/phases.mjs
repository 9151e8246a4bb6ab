// Where a run's time goes per VM (from `--output json` events), and the per-VM floor: the VM's own work (dpkg -i,
// systemctl, the first XDS line) timed inside one lab VM over plain OpenSSH, with no meshvm involved.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { hostCpuMs, run } from './measure.mjs'

const median = (xs) => {
  if (!xs.length) return undefined
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)]
}

/**
 * Per VM: connect + token + first facts read (host-start → first step-start), each step kind's summed ms, the rest
 * ("between steps": facts re-reads after a change, event handling), and the VM's total; medians over VMs.
 */
export function hostPhases(events) {
  const hosts = new Map()
  const of = (name) => hosts.get(name) ?? hosts.set(name, { byKind: {}, stepsMs: 0 }).get(name)
  for (const e of events) {
    if (e.type === 'host-start') of(e.host).start = e.at
    if (e.type === 'step-start') of(e.host).firstStep ??= e.at
    if (e.type === 'step-end') {
      const h = of(e.host)
      h.byKind[e.kind] = (h.byKind[e.kind] ?? 0) + e.result.ms
      h.stepsMs += e.result.ms
    }
    if (e.type === 'host-end') of(e.host).ms = e.ms
  }
  const all = [...hosts.values()].filter((h) => h.ms !== undefined)
  const kinds = [...new Set(all.flatMap((h) => Object.keys(h.byKind)))]
  const firsts = all.filter((h) => h.firstStep !== undefined).map((h) => h.firstStep - h.start)
  return {
    firstStepMedianMs: median(firsts),
    hostMedianMs: median(all.map((h) => h.ms)),
    hostMaxMs: all.length ? Math.max(...all.map((h) => h.ms)) : undefined,
    stepMedianMsByKind: Object.fromEntries(kinds.map((k) => [k, median(all.map((h) => h.byKind[k] ?? 0))])),
    gapMedianMs: median(all.map((h) => h.ms - ((h.firstStep ?? h.start) - h.start) - h.stepsMs)),
  }
}

const XDS_LINE = 'connected to upstream XDS server'
const DEB_ON_VM = '/tmp/meshvm-bench.deb'

// Runs as root on the VM after the package was removed: the same work the onboard playbook makes the VM do for a
// fresh install (dpkg -i, chown, enable --now, wait for the XDS line), each phase stamped on the VM's own clock.
const floorScript = `set -e
ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(ms)
dpkg -i ${DEB_ON_VM} >/dev/null
t1=$(ms)
chown -R istio-proxy /var/lib/istio /etc/certs /etc/istio/proxy /etc/istio/config /var/run/secrets
since=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
t2=$(ms)
systemctl enable --now istio 2>/dev/null
t3=$(ms)
i=0
until awk -v s="$since" 'index($0, "${XDS_LINE}") && $1 >= s { f = 1 } END { exit !f }' /var/log/istio/istio.log; do
  i=$((i + 1)); [ $i -le 1200 ] || { echo 'no XDS line within 60 s'; exit 3; }; sleep 0.05
done
t4=$(ms)
rm -f ${DEB_ON_VM}
echo "dpkg=$((t1 - t0)) chown=$((t2 - t1)) start=$((t3 - t2)) xds=$((t4 - t3))"
`

/** Times the VM's own onboarding work on one (already onboarded) lab VM, which is left onboarded again. */
export async function perVmFloor(dir, host) {
  const ssh = (cmd, input) =>
    run(
      'ssh',
      [
        '-i',
        join(dir, 'id_ed25519'),
        '-o',
        `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=10',
        `admin@${host.address}`,
        cmd,
      ],
      { input, timeoutMs: 120_000 },
    )
  const must = async (what, p) => {
    const r = await p
    if (r.code !== 0) throw new Error(`floor: ${what} failed on ${host.name} (${r.code}): ${r.stderr}${r.stdout}`)
    return r
  }
  const cpu0 = hostCpuMs(host)
  const ping = await must('ssh true', ssh('true'))
  const cpu1 = hostCpuMs(host)
  const remove = 'systemctl disable --now istio 2>/dev/null; dpkg -r istio-sidecar >/dev/null'
  await must('removing the package', ssh(`sudo -n sh -c '${remove}'`))
  const deb = readdirSync(join(dir, 'packages')).find((f) => f.endsWith('.deb'))
  const push = await must('pushing the .deb', ssh(`cat > ${DEB_ON_VM}`, readFileSync(join(dir, 'packages', deb))))
  const cpu2 = hostCpuMs(host)
  const r = await must('the floor script', ssh('sudo -n sh -s', floorScript))
  const cpu3 = hostCpuMs(host)
  const f = Object.fromEntries([...r.stdout.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]))
  return {
    host: host.name,
    sshMs: ping.wallMs,
    pushMs: push.wallMs,
    ...{ dpkgMs: f.dpkg, chownMs: f.chown, startMs: f.start, xdsMs: f.xds },
    sshCpuMs: Math.round(cpu1 - cpu0),
    scriptCpuMs: Math.round(cpu3 - cpu2),
  }
}
