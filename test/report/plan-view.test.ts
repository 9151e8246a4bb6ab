// What the wizard shows before it asks to apply, and after a failure.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { StepStatus } from '../../src/executor/events.js'
import type { HostOutcome as HostSummary } from '../../src/executor/outcome.js'
import { failureHint } from '../../src/report/failure-hints.js'
import { failureLines, planLines } from '../../src/report/plan-view.js'

const tally = { ok: 1, changed: 1, failed: 0, skipped: 1, unreachable: 0 }
const step = (index: number, kind: string, name: string, status: StepStatus, msg: string) => ({
  index,
  kind,
  name,
  result: { status, msg, ms: 1 },
})
const host = (steps: HostSummary['steps'], status: HostSummary['status'] = 'changed', msg?: string): HostSummary => ({
  status,
  tally,
  steps,
  ms: 5,
  msg,
})

test('the plan lists cluster objects and every step with its mark and reason', () => {
  const lines = planLines(
    [
      { kind: 'Namespace', name: 'apps', result: 'unchanged', reason: 'exists' },
      { kind: 'WorkloadGroup', name: 'web', namespace: 'apps', result: 'would-create', reason: 'missing' },
    ],
    host([
      step(0, 'directory', 'Create /etc/certs', 'ok', 'directory /etc/certs exists'),
      step(1, 'upload', 'Upload cluster.env', 'changed', 'would create x\nmore'),
      step(2, 'wait-for-log', 'Wait', 'skipped', 'check mode'),
    ]),
  )
  assert.deepEqual(lines, [
    'Plan (check mode, nothing changed yet):',
    'Cluster:',
    '  = Namespace apps: exists',
    '  ~ WorkloadGroup apps/web: would create',
    'VM:',
    '  = [1/3] Create /etc/certs: directory /etc/certs exists',
    '  ~ [2/3] Upload cluster.env: would create x',
    '  - [3/3] Wait: check mode',
    '2 change(s) to make, 1 already right.',
  ])
})

test('an onboarded VM plans nothing', () => {
  const lines = planLines([], host([step(0, 'chown', 'Chown', 'ok', 'owned')], 'ok'))
  assert.equal(lines.at(-1), 'Nothing to change: the VM is already onboarded.')
})

test('a failed step is shown with its message and a hint', () => {
  const failed = step(11, 'wait-for-log', 'Wait for the XDS connection', 'failed', 'no line\nlast: x')
  assert.deepEqual(failureLines('vm1', host([failed], 'failed')), [
    '✗ vm1: step 12 "Wait for the XDS connection" failed:',
    '    no line',
    '    last: x',
    `  hint: ${failureHint('wait-for-log', '')}`,
  ])
  assert.match(failureHint('wait-for-log', '')!, /istio\.err\.log/)
})

test('an unreachable VM gets a hint by the kind of connection failure', () => {
  const refused = 'admin@vm1:22: authentication failed (all configured methods were refused)'
  const lines = failureLines('vm1', host([], 'unreachable', refused))
  assert.equal(lines[0], '✗ vm1: unreachable:')
  assert.match(lines.at(-1)!, /hint: the VM refused the login: .*ssh-agent/)
  const unknownKey = 'host key for vm1 is not known (ssh-ed25519 key SHA256:x)'
  assert.match(failureHint(undefined, unknownKey)!, /--accept-new-host-keys/)
  assert.match(failureHint(undefined, 'REMOTE HOST IDENTIFICATION HAS CHANGED')!, /ssh-keygen -R/)
  assert.match(failureHint(undefined, 'admin@vm1:22: connection refused')!, /sshd/)
  assert.equal(failureHint(undefined, 'something else'), undefined)
})
