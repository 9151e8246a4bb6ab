// The plan `--check` prints for a fleet: each step once, grouped across VMs, cluster objects included.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { emptyTally, type RunEvent, type StepResult } from '../../src/executor/events.js'
import { fleetPlanLines, vmList } from '../../src/report/fleet-plan.js'
import { ReportCollector } from '../../src/report/index.js'

const rootCert = { path: '/etc/certs/root-cert.pem', before: '', after: '-----BEGIN CERTIFICATE-----\n' }

/** A check run: vm1 onboarded already, vm2-vm7 not, vm8 unreachable; the group's objects on vm2, its first VM. */
function checkRun(): RunEvent[] {
  const hosts = Array.from({ length: 8 }, (_, i) => `vm${i + 1}`)
  const ev: RunEvent[] = [{ type: 'run-start', at: 0, playbook: 'onboard', hosts, check: true }]
  for (const [n, host] of hosts.entries()) {
    const ip = `198.18.0.${n + 2}`
    ev.push({ type: 'host-start', at: 0, host })
    if (host === 'vm8') {
      const tally = { ...emptyTally(), unreachable: 1 }
      ev.push({ type: 'host-end', at: 0, host, status: 'unreachable', tally, msg: 'connection refused', ms: 1 })
      continue
    }
    const onboarded = host === 'vm1'
    const steps: [string, string, StepResult][] = [
      ...(host === 'vm2'
        ? ([
            ['namespace', 'Namespace apps', { status: 'changed', msg: 'would create Namespace apps', ms: 1 }],
            [
              'workload-group',
              'WorkloadGroup apps/web',
              { status: 'ok', msg: 'WorkloadGroup apps/web is up to date', ms: 1 },
            ],
          ] as [string, string, StepResult][])
        : []),
      onboarded
        ? [
            'upload',
            'Upload root-cert.pem',
            { status: 'ok', msg: '/etc/certs/root-cert.pem already has this content', ms: 1 },
          ]
        : [
            'upload',
            'Upload root-cert.pem',
            { status: 'changed', msg: 'would create /etc/certs/root-cert.pem', diff: rootCert, ms: 1 },
          ],
      onboarded
        ? ['upload', 'Upload istio-token', { status: 'ok', msg: `token on the VM still valid for 5${n} min`, ms: 1 }]
        : host === 'vm6' || host === 'vm7'
          ? [
              'upload',
              'Upload istio-token',
              {
                status: 'changed',
                msg: `would update /var/run/secrets/tokens/istio-token: the token on the VM expires in ${n + 3} min`,
                ms: 1,
              },
            ]
          : [
              'upload',
              'Upload istio-token',
              { status: 'changed', msg: 'would create /var/run/secrets/tokens/istio-token', ms: 1 },
            ],
      onboarded
        ? [
            'workload-entry',
            'WorkloadEntry registered',
            { status: 'ok', msg: `WorkloadEntry apps/web-${ip} registered by istiod`, ms: 1 },
          ]
        : [
            'workload-entry',
            'WorkloadEntry registered',
            {
              status: 'skipped',
              msg: `check mode: would wait for istiod to register WorkloadEntry apps/web-${ip}`,
              ms: 1,
            },
          ],
    ]
    const tally = emptyTally()
    steps.forEach(([kind, name, result], index) => {
      ev.push({ type: 'step-start', at: 0, host, index, total: steps.length, kind, name })
      ev.push({ type: 'step-end', at: 0, host, index, kind, name, result })
      tally[result.status]++
    })
    ev.push({ type: 'host-end', at: 0, host, status: tally.changed ? 'changed' : 'ok', tally, ms: 5 })
  }
  ev.push({ type: 'run-end', at: 0, ms: 10, hosts: {} })
  return ev
}

function plan(diff = false): string[] {
  const c = new ReportCollector()
  for (const e of checkRun()) c.listener(e)
  return fleetPlanLines(c.report(), { diff })
}

test('the plan: cluster objects once, each step once per outcome with its VMs, unreachable VMs named', () => {
  assert.deepEqual(plan(), [
    'Plan for 8 VM(s) (check mode: nothing was changed):',
    'Cluster:',
    '  ~ would create Namespace apps',
    '  = WorkloadGroup apps/web is up to date',
    // registered already: no "would register" for vm1
    '  = WorkloadEntry registered: WorkloadEntry apps/web-<ip> registered by istiod — 1 VM: vm1',
    '  - WorkloadEntry registered: would wait for istiod to register WorkloadEntry apps/web-<ip> — 6 VMs: vm2 vm3 … vm7',
    'Steps:',
    '  = Upload root-cert.pem: /etc/certs/root-cert.pem already has this content — 1 VM: vm1',
    '  ~ Upload root-cert.pem: would create /etc/certs/root-cert.pem — 6 VMs: vm2 vm3 … vm7',
    '  = Upload istio-token: token on the VM still valid for … — 1 VM: vm1',
    '  ~ Upload istio-token: would create /var/run/secrets/tokens/istio-token — 4 VMs: vm2 vm3 vm4 vm5',
    '  ~ Upload istio-token: would update /var/run/secrets/tokens/istio-token: the token on the VM expires in … — 2 VMs: vm6 vm7',
    'Not planned:',
    '  ✗ vm8: unreachable: connection refused',
    '6 VM(s) would change, 1 already right, 1 not planned.',
  ])
})

test('--diff: each distinct diff once, under the change it belongs to', () => {
  const lines = plan(true)
  const at = lines.indexOf('  ~ Upload root-cert.pem: would create /etc/certs/root-cert.pem — 6 VMs: vm2 vm3 … vm7')
  assert.deepEqual(lines.slice(at + 1, at + 5), [
    '      --- /etc/certs/root-cert.pem (before)',
    '      +++ /etc/certs/root-cert.pem (after)',
    '      @@ -1,0 +1,1 @@',
    '      +-----BEGIN CERTIFICATE-----',
  ])
  assert.equal(lines.filter((l) => l.includes('+++ /etc/certs/root-cert.pem')).length, 1, 'one diff for 6 VMs')
  assert.ok(lines[at + 5]!.startsWith('  = Upload istio-token'), 'a change without a diff prints none')
})

test('VM lists: up to four named, more as first, second … last', () => {
  assert.equal(vmList(['a', 'b']), 'a b')
  assert.equal(vmList(['a', 'b', 'c', 'd', 'e', 'f', 'g']), 'a b … g')
})
