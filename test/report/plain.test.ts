import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { RunEvent } from '../../src/executor/events.js'
import { createReporter } from '../../src/report/index.js'
import { checkRun, memoryStream, scriptedRun, token } from './fixture.js'

async function plainText(opts: { diff?: boolean; verbose?: boolean } = {}, events = scriptedRun()): Promise<string[]> {
  const mem = memoryStream()
  const r = createReporter('plain', { stream: mem.stream, secrets: [token], ...opts })
  for (const e of events) r.listener(e)
  await r.done()
  return mem.text().split('\n')
}

const stamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /

test('plain: one timestamped line per host and step, in event order', async () => {
  const lines = await plainText()
  const install = '2026-11-25T20:31:02.752Z vm-1 [3/5] Install istio-sidecar package: changed (2.3s): installed 1.24.0'
  assert.ok(lines.includes(install))
  assert.ok(lines.includes('2026-11-25T20:31:00.212Z vm-1 [1/5] Create /etc/certs: ok (12ms): directory present'))
  const stamped = lines.filter((l) => stamp.test(l))
  const times = stamped.map((l) => l.slice(0, 24))
  assert.deepEqual(times, [...times].sort(), 'timestamps never go back')
  const vm1 = stamped.filter((l) => l.includes(' vm-1 '))
  assert.deepEqual(
    vm1.map((l) => l.slice(25).split(':')[0]),
    [
      'vm-1 start',
      'vm-1 [1/5] Create /etc/certs',
      'vm-1 [2/5] Upload istio-token',
      'vm-1 [3/5] Install istio-sidecar package',
      'vm-1 [4/5] Hosts entries',
      'vm-1 [5/5] Wait for XDS',
      'vm-1 changed',
    ],
  )
})

test('plain: unreachable, failure and retry lines carry their message', async () => {
  const lines = await plainText()
  const find = (s: string) => lines.find((l) => l.includes(s))
  assert.match(find(' vm-2 unreachable')!, /vm-2 unreachable: ssh: connect ECONNREFUSED 198\.18\.0\.12:22 \(\d+ms\)$/)
  const xds = / vm-3 \[5\/5\] Wait for XDS: failed \(30\.0s\): no XDS line in 30s; token \*\*\* rejected$/
  assert.match(find('vm-3 [5/5]')!, xds)
  assert.match(find(' vm-3 failed')!, /vm-3 failed: ok=4 changed=0 failed=1 skipped=0/)
  assert.match(find(' retried retry')!, /retried retry 2: ssh: connection reset$/)
  const skip = /Install istio-sidecar package: skipped \(0ms\): package source is local and unchanged$/
  assert.match(find('vm-10 [3/5]')!, skip)
})

test('plain: --diff prints the change as indented unified-diff lines under its step', async () => {
  const lines = await plainText({ diff: true })
  const at = lines.findIndex((l) => l.includes('vm-1 [4/5] Hosts entries: changed'))
  assert.deepEqual(lines.slice(at + 1, at + 8), [
    '    --- /etc/hosts (before)',
    '    +++ /etc/hosts (after)',
    '    @@ -1,1 +1,4 @@',
    '     127.0.0.1 localhost',
    '    +# BEGIN meshvm',
    '    +10.0.0.1 istiod.istio-system.svc',
    '    +# END meshvm',
  ])
  assert.ok(stamp.test(lines[at + 8]), 'the next step line follows the diff')
  const without = await plainText()
  assert.ok(!without.some((l) => l.includes('BEGIN meshvm')), 'no diff without --diff')
})

test('plain: -v adds a line when each step starts; --check says "would change"', async () => {
  const verbose = await plainText({ verbose: true })
  assert.ok(verbose.some((l) => l.endsWith(' vm-1 [3/5] Install istio-sidecar package ...')))
  const check = await plainText({}, checkRun())
  assert.match(check[0], /run onboard\.yaml on 5 hosts \(check mode: nothing is changed\)$/)
  assert.ok(check.some((l) => l.includes('vm-1 [3/5] Install istio-sidecar package: would change (2.3s)')))
  assert.ok(
    check.some((l) => l.includes('check mode: changed = would change')),
    'the recap says so too',
  )
})

test('plain: the token never appears, not even inside a failure message', async () => {
  const text = (await plainText({ diff: true, verbose: true })).join('\n')
  assert.ok(!text.includes(token.reveal()))
  assert.ok(text.includes('token *** rejected'))
})

test("plain: a wait's log line at most once per 5 s per VM (the newest when due), an upload at 25/50/75 %", async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const mem = memoryStream()
  const r = createReporter('plain', { stream: mem.stream, secrets: [token] })
  const at0 = Date.parse('2026-12-01T10:00:00.000Z')
  const step = { host: 'vm1', index: 0, name: 'Wait for XDS' }
  const wait = (ms: number, line: string): RunEvent => ({ type: 'step-progress', at: at0 + ms, ...step, line })
  const upload = (ms: number, bytes: number): RunEvent => ({
    type: 'step-progress',
    at: at0 + ms,
    host: 'vm2',
    index: 0,
    name: 'Install package',
    bytes,
    total: 8 * 1024 * 1024,
  })
  const events: RunEvent[] = [
    { type: 'run-start', at: at0, playbook: 'p', hosts: ['vm1', 'vm2'], check: false },
    { type: 'step-start', at: at0, ...step, kind: 'wait-for-log', total: 1 },
    { type: 'step-start', at: at0, host: 'vm2', index: 0, name: 'Install package', kind: 'package', total: 1 },
    wait(100, `2026-12-01T10:00:00.1Z\tinfo\tagent\tVersion 1.24 token ${token.reveal()}`),
    wait(1000, '2026-12-01T10:00:01Z\twarn\txdsproxy\tconnection refused'),
    wait(2000, '2026-12-01T10:00:02Z\twarn\txdsproxy\tconnection refused again'),
    ...[0.1, 0.3, 0.4, 0.55, 0.8, 1].map((f, i) => upload(100 * i, Math.ceil(f * 8 * 1024 * 1024))),
  ]
  for (const e of events) r.listener(e)
  const progressLines = () =>
    mem
      .text()
      .split('\n')
      .filter((l) => /: (log:|uploaded) /.test(l))
  assert.deepEqual(progressLines(), [
    '2026-12-01T10:00:00.100Z vm1 [1/1] Wait for XDS: log: 2026-12-01T10:00:00.1Z info agent Version 1.24 token ***',
    '2026-12-01T10:00:00.100Z vm2 [1/1] Install package: uploaded 2.4 of 8.0 MiB (30%)',
    '2026-12-01T10:00:00.300Z vm2 [1/1] Install package: uploaded 4.4 of 8.0 MiB (55%)',
    '2026-12-01T10:00:00.400Z vm2 [1/1] Install package: uploaded 6.4 of 8.0 MiB (80%)',
  ])
  // 5 s after the first line, the newest one that came meanwhile (not the one before it)
  t.mock.timers.tick(5000)
  assert.equal(
    progressLines().at(-1),
    '2026-12-01T10:00:02.000Z vm1 [1/1] Wait for XDS: log: 2026-12-01T10:00:02Z warn xdsproxy connection refused again',
  )
  assert.equal(progressLines().length, 5)
  // a line that came after the step ended is not printed later
  r.listener(wait(3000, 'late'))
  r.listener({
    type: 'step-end',
    at: at0 + 3100,
    ...step,
    kind: 'wait-for-log',
    result: { status: 'ok', msg: '', ms: 1 },
  })
  t.mock.timers.tick(10_000)
  assert.equal(progressLines().length, 5)
  assert.ok(!mem.text().includes(token.reveal()))
})
