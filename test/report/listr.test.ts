import assert from 'node:assert/strict'
import { test } from 'node:test'
import { stripVTControlCharacters } from 'node:util'
import { emptyTally, type RunEvent } from '../../src/executor/events.js'
import { createReporter } from '../../src/report/index.js'
import { listrListener } from '../../src/report/listr.js'
import { memoryStream, scriptedRun, token } from './fixture.js'

// listr2 starts its tasks asynchronously; events fed one macrotask apart reach running tasks, as a real run's would.
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

async function feed(listener: (e: RunEvent) => void, events: RunEvent[]): Promise<void> {
  for (const e of events) {
    listener(e)
    await nextTurn()
  }
}

test('tree (simple renderer): a finished line per VM, failing step and message for failed VMs', async () => {
  const mem = memoryStream()
  const tree = listrListener({ stream: mem.stream, renderer: 'simple', secrets: [token] })
  await feed(tree.listener, scriptedRun())
  await tree.finished()
  const lines = mem.text().split('\n')
  assert.ok(lines.includes('✔ vm-1  ok=2 changed=3 failed=0 (3.9s)'))
  assert.ok(lines.includes('✔ vm-10  ok=4 changed=0 failed=0 (946ms)'))
  assert.ok(lines.includes('✖ vm-2  unreachable [FAILED: ssh: connect ECONNREFUSED 198.18.0.12:22]'))
  assert.ok(lines.includes('✖ vm-3  [5/5] Wait for XDS [FAILED: no XDS line in 30s; token *** rejected]'))
  assert.ok(lines.includes('✔ 5/5 VMs finished: 1 changed, 2 ok, 1 failed, 1 unreachable'))
  assert.ok(!mem.text().includes(token.reveal()))
})

test('tree (test renderer): each VM row follows its current step, retries included', async () => {
  const mem = memoryStream()
  const tree = listrListener({ stream: mem.stream, renderer: 'test' })
  await feed(tree.listener, scriptedRun())
  await tree.finished()
  const titles = mem
    .text()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; data: unknown })
    .filter((e) => e.event === 'TITLE')
    .map((e) => e.data)
  const vm1 = titles.filter((t) => typeof t === 'string' && t.startsWith('vm-1 '))
  assert.deepEqual(vm1, [
    'vm-1  connecting',
    'vm-1  [1/5] Create /etc/certs',
    'vm-1  [2/5] Upload istio-token',
    'vm-1  [3/5] Install istio-sidecar package',
    'vm-1  [4/5] Hosts entries',
    'vm-1  [5/5] Wait for XDS',
    'vm-1  ok=2 changed=3 failed=0 (3.9s)',
  ])
  assert.ok(titles.includes('retried  retry 2: ssh: connection reset'))
})

// A fleet of `n` VMs, all run one after another; every 7th VM fails its second step.
function fleet(n: number): RunEvent[] {
  const hosts = Array.from({ length: n }, (_, i) => `vm-${i + 1}`)
  const ev: RunEvent[] = [{ type: 'run-start', at: 0, playbook: 'p.yaml', hosts, check: false }]
  hosts.forEach((host, i) => {
    const fail = (i + 1) % 7 === 0
    ev.push({ type: 'host-start', at: 0, host })
    ev.push({ type: 'step-start', at: 0, host, index: 1, total: 2, kind: 'package', name: 'Install package' })
    const result = { status: fail ? ('failed' as const) : ('changed' as const), msg: fail ? 'dpkg: error' : '', ms: 5 }
    ev.push({ type: 'step-end', at: 0, host, index: 1, kind: 'package', name: 'Install package', result })
    const tally = { ...emptyTally(), ok: 1, [result.status]: 1 }
    ev.push({ type: 'host-end', at: 0, host, status: fail ? 'failed' : 'changed', tally, ms: 1200 })
  })
  ev.push({ type: 'run-end', at: 0, ms: 1300, hosts: {} })
  return ev
}

test('live tree (default renderer on a TTY): 25 VMs end as folded groups, failures kept below', async (t) => {
  // listr2 draws its live tree only when stdout is a terminal; pretend, and put it back.
  const wasTTY = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
  Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true })
  t.after(() => {
    if (wasTTY) Object.defineProperty(process.stdout, 'isTTY', wasTTY)
    else delete (process.stdout as { isTTY?: boolean }).isTTY
  })
  const mem = memoryStream()
  const r = createReporter('tty', { stream: mem.stream, collapseAfter: 10 })
  await feed(r.listener, fleet(25))
  await r.done()
  // The last frame, after listr2's final erase (cursor to column 1), is the tree as it stays on screen.
  const text = stripVTControlCharacters(mem.text().slice(mem.text().lastIndexOf('\x1b[G') + 3))
  const tree = text.slice(0, text.indexOf('RECAP'))
  assert.deepEqual(tree.trimEnd().split('\n'), [
    '✔ vm-1, vm-2, vm-3 +7: 9 changed, 1 failed (1.2s)',
    '✔ vm-11, vm-12, vm-13 +7: 9 changed, 1 failed (1.2s)',
    '✔ vm-21, vm-22, vm-23 +2: 4 changed, 1 failed (1.2s)',
    '✖ vm-7  [2/2] Install package',
    '  › dpkg: error',
    '✖ vm-14  [2/2] Install package',
    '  › dpkg: error',
    '✖ vm-21  [2/2] Install package',
    '  › dpkg: error',
    '✔ 25/25 VMs finished: 22 changed, 3 failed',
  ])
  assert.match(text, /vm-7 +: ok=1 +changed=0 +unreachable=0 +failed=1 +skipped=0/, 'the recap follows the tree')
})
