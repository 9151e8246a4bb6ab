// The status outputs from rows: worst first, grouped when the fleet is large, exit codes, Prometheus text that the
// Prometheus Python client parses (Debian's python3-prometheus-client).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { renderStatusPrometheus } from '../../src/report/status-prometheus.js'
import { renderStatusTable } from '../../src/report/status-table.js'
import { statusExitCode, type StatusRow } from '../../src/report/status-view.js'
import { parsePrometheus } from '../support/status-outputs.js'

const row = (vm: string, verdict: StatusRow['verdict'], reason = 'in the mesh', check = 'xds'): StatusRow => ({
  vm,
  address: '198.18.0.9',
  verdict,
  reason,
  fix: verdict === 'ok' ? undefined : `meshvm onboard -i inv.yaml --limit ${vm}`,
  findings: [{ check: check as 'xds', level: verdict === 'unreachable' ? 'broken' : verdict, text: reason }],
})

test('exit codes: 0 all ok, 3 attention, 4 unreachable, 2 broken (broken wins)', () => {
  assert.equal(statusExitCode([row('a', 'ok')]), 0)
  assert.equal(statusExitCode([row('a', 'ok'), row('b', 'attention')]), 3)
  assert.equal(statusExitCode([row('a', 'attention'), row('b', 'unreachable')]), 4)
  assert.equal(statusExitCode([row('a', 'unreachable'), row('b', 'broken')]), 2)
})

test('a large fleet is grouped: ok VMs on one line, each kind of problem once with every VM in the fix', () => {
  const rows = [
    ...Array.from({ length: 3 }, (_, i) => row(`cut${i + 1}`, 'broken', 'not connected to XDS: refused', 'xds')),
    row('old1', 'attention', 'sidecar 1.23.4 is older', 'sidecar'),
    ...Array.from({ length: 30 }, (_, i) => row(`vm${i + 1}`, 'ok')),
  ]
  const text = renderStatusTable(rows, Date.now())
  const lines = text.trimEnd().split('\n')
  assert.equal(lines[0], 'broken          3 VM(s): cut1, cut2, cut3')
  assert.equal(lines[1], '    reason: not connected to XDS: refused (first VM; --output json for each)')
  assert.equal(lines[2], '    fix:    meshvm onboard -i inv.yaml --limit cut1,cut2,cut3')
  assert.equal(lines[3], 'attention       1 VM(s): old1')
  assert.match(lines[6], /^ok +30 VM\(s\): vm1, vm2, vm3, vm4, vm5, vm6, vm7, vm8, … \(22 more\)$/)
  assert.equal(lines[7], '34 VM(s): 30 ok, 1 attention, 3 broken, 0 unreachable')
})

test('Prometheus text: one verdict sample per VM with reason and fix, a numeric state, label values escaped', async () => {
  const rows = [row('vm1', 'broken', 'quote " and backslash \\ and\nnewline'), row('vm2', 'ok')]
  const text = await renderStatusPrometheus(rows, new Date('2026-12-01T10:00:00Z'))
  assert.match(text, /^# HELP meshvm_status_vm_verdict /m)
  assert.match(text, /^# TYPE meshvm_status_vm_verdict gauge$/m)
  const samples = parsePrometheus(text)
  const verdict = samples.find((s) => s.name === 'meshvm_status_vm_verdict' && s.labels.vm === 'vm1')!
  assert.deepEqual(verdict.labels, {
    vm: 'vm1',
    verdict: 'broken',
    reason: 'quote " and backslash \\ and\nnewline',
    fix: 'meshvm onboard -i inv.yaml --limit vm1',
  })
  assert.equal(samples.find((s) => s.name === 'meshvm_status_vm_state' && s.labels.vm === 'vm1')!.value, 2)
  assert.equal(samples.find((s) => s.name === 'meshvm_status_vm_state' && s.labels.vm === 'vm2')!.value, 0)
  assert.equal(
    samples.find((s) => s.name === 'meshvm_status_timestamp_seconds')!.value,
    Date.parse('2026-12-01T10:00:00Z') / 1000,
  )
})
