import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
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
  assert.ok(lines.includes('✔ vm-1  ok=2 changed=3 failed=0 (3.9s)'), mem.text())
  assert.ok(lines.includes('✔ vm-10  ok=4 changed=0 failed=0 (946ms)'))
  assert.ok(lines.includes('✖ vm-2  unreachable [FAILED: ssh: connect ECONNREFUSED 198.18.0.12:22]'), mem.text())
  assert.ok(lines.includes('✖ vm-3  [5/5] Wait for XDS [FAILED: no XDS line in 30s; token *** rejected]'))
  // the summary's glyph is the worst outcome's: never ✔ over a failure
  const summary = '✖ 5/5 VMs finished: 1 changed, 2 ok, 1 failed, 1 unreachable [FAILED: see the recap]'
  assert.ok(lines.includes(summary), mem.text())
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

test('live tree (default renderer on a TTY): 25 VMs fold as they finish, failures kept, worst glyph last', async (t) => {
  // listr2 draws its live tree only when stdout is a terminal; pretend, and put it back.
  const wasTTY = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
  Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true })
  t.after(() => {
    if (wasTTY) Object.defineProperty(process.stdout, 'isTTY', wasTTY)
    else delete (process.stdout as { isTTY?: boolean }).isTTY
  })
  const mem = memoryStream()
  const r = createReporter('tty', { stream: mem.stream, rows: 24 })
  await feed(r.listener, fleet(25))
  await r.done()
  // The last frame, after the final erase (to the end of the screen), is the tree as it stays on screen.
  const text = lastFrame(mem.text())
  const tree = text.slice(0, text.indexOf('RECAP'))
  assert.deepEqual(tree.trimEnd().split('\n'), [
    '✖ vm-7  [2/2] Install package',
    '  › dpkg: error',
    '✖ vm-14  [2/2] Install package',
    '  › dpkg: error',
    '✖ vm-21  [2/2] Install package',
    '  › dpkg: error',
    '✖ 25/25 VMs finished: 22 changed, 3 failed',
  ])
  assert.match(text, /vm-7 +: ok=1 +changed=0 +unreachable=0 +failed=1 +skipped=0/, 'the recap follows the tree')
})

test('live tree: unreachable VMs only end in ⚠, all well in ✔; a --max-fail stop says why once', async (t) => {
  const wasTTY = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
  Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true })
  t.after(() => {
    if (wasTTY) Object.defineProperty(process.stdout, 'isTTY', wasTTY)
    else delete (process.stdout as { isTTY?: boolean }).isTTY
  })
  const finalTree = async (events: RunEvent[]) => {
    const mem = memoryStream()
    const tree = listrListener({ stream: mem.stream, rows: 24 })
    await feed(tree.listener, events)
    await tree.finished()
    const text = lastFrame(mem.text())
    return text.trimEnd().split('\n')
  }
  const hosts = ['a', 'b', 'c']
  const start: RunEvent = { type: 'run-start', at: 0, playbook: 'p', hosts, check: false }
  const end = (host: string, status: 'ok' | 'unreachable'): RunEvent[] => [
    { type: 'host-start', at: 0, host },
    {
      type: 'host-end',
      at: 0,
      host,
      status,
      tally: emptyTally(),
      ms: 5,
      ...(status === 'ok' ? {} : { msg: 'timed out' }),
    },
  ]
  assert.deepEqual(await finalTree([start, ...hosts.flatMap((h) => end(h, 'ok')), runEnd()]), [
    '✔ 3/3 VMs finished: 3 ok',
  ])
  assert.deepEqual(
    await finalTree([start, ...end('a', 'ok'), ...end('b', 'unreachable'), ...end('c', 'ok'), runEnd()]),
    ['⚠ b  unreachable', '  › timed out', '⚠ 3/3 VMs finished: 2 ok, 1 unreachable'],
  )
  const stopped = 'max-fail 0%: 1 of 3 VMs failed or were unreachable'
  assert.deepEqual(await finalTree([start, ...end('b', 'unreachable'), { ...runEnd(), stopped }]), [
    '⚠ b  unreachable',
    '  › timed out',
    '⚠ 1/3 VMs finished: 1 unreachable; 2 not run',
    `  › stopped: ${stopped}`,
  ])
})

/** What stays on screen: the text after the tree's last erase (up to the frame's top row), if it erased at all. */
function lastFrame(raw: string): string {
  const at = raw.lastIndexOf('\x1b[2K\x1b[G')
  return stripVTControlCharacters(at < 0 ? raw : raw.slice(at + 7))
}

const runEnd = (): Extract<RunEvent, { type: 'run-end' }> => ({ type: 'run-end', at: 0, ms: 10, hosts: {} })

test('live tree: after a resize the last frame is erased as the terminal reflowed it (rows at the new width)', async (t) => {
  const wasTTY = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
  Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true })
  t.after(() => {
    if (wasTTY) Object.defineProperty(process.stdout, 'isTTY', wasTTY)
    else delete (process.stdout as { isTTY?: boolean }).isTTY
  })
  const mem = memoryStream()
  const terminal = Object.assign(mem.stream, { columns: 80, rows: 24 })
  const tree = listrListener({ stream: terminal })
  const hosts = ['vm1', 'vm2']
  tree.listener({ type: 'run-start', at: 0, playbook: 'p', hosts, check: false })
  for (const host of hosts) {
    tree.listener({ type: 'host-start', at: 0, host })
    const name = `Upload /var/lib/istio/envoy/cluster.env and then some more words to be long`
    tree.listener({ type: 'step-start', at: 0, host, index: 0, total: 9, kind: 'upload', name })
  }
  // the tree ends even when an assertion fails: its spinner would keep the test process alive
  t.after(async () => {
    tree.listener({ type: 'run-end', at: 0, ms: 1, hosts: {} })
    await tree.finished()
  })
  await sleep(300)
  const before = mem.text()
  const frame = lastFrame(before).trimEnd().split('\n')
  assert.equal(frame.length, 3, frame.join('\n'))
  terminal.columns = 40
  terminal.emit('resize')
  await sleep(300)
  const erase = /\x1b\[2K((?:\x1b\[1A\x1b\[2K)+)\x1b\[G/.exec(mem.text().slice(before.length))
  // each row of the last frame now takes ceil(width / 40) rows: all of them are erased, none left above
  const rows = frame.reduce((n, l) => n + Math.max(1, Math.ceil(l.length / 40)), 0)
  assert.ok(rows > frame.length, 'the frame had rows longer than the new width')
  assert.equal((erase?.[1] ?? '').split('\x1b[1A').length - 1, rows)
})

test("live tree: a running step's progress is a line under its VM's row, in place, counted in the rows", async (t) => {
  const wasTTY = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
  Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true })
  t.after(() => {
    if (wasTTY) Object.defineProperty(process.stdout, 'isTTY', wasTTY)
    else delete (process.stdout as { isTTY?: boolean }).isTTY
  })
  const mem = memoryStream()
  // 8 rows: 6 for the VMs once the summary and the cursor's line have theirs
  const tree = listrListener({ stream: mem.stream, rows: 8, secrets: [token] })
  const hosts = ['vm1', 'vm2', 'vm3', 'vm4']
  const step = (host: string, index: number, name: string): RunEvent => ({
    type: 'step-start',
    at: 0,
    host,
    index,
    total: 13,
    kind: 'x',
    name,
  })
  const line = (host: string, text: string): RunEvent => ({
    type: 'step-progress',
    at: 0,
    host,
    index: 12,
    name: 'Wait for XDS',
    line: text,
  })
  const frame = async () => {
    await sleep(250) // a frame is drawn at most every 100 ms
    return lastFrame(mem.text()).trimEnd().split('\n')
  }
  await feed(tree.listener, [
    { type: 'run-start', at: 0, playbook: 'p', hosts, check: false },
    ...hosts.map((host): RunEvent => ({ type: 'host-start', at: 0, host })),
    step('vm1', 4, 'Install package'),
    { type: 'step-progress', at: 0, host: 'vm1', index: 4, name: 'Install package', bytes: 3 << 20, total: 12 << 20 },
    step('vm2', 12, 'Wait for XDS'),
    line('vm2', `2026-12-01T10:00:00Z\tinfo\tagent\ttoken ${token.reveal()}\x1b[2J`),
    step('vm3', 12, 'Wait for XDS'),
    step('vm4', 3, 'Upload'),
  ])
  const spin = /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏◼] /
  assert.deepEqual(
    (await frame()).map((l) => l.replace(spin, '')),
    [
      'vm1  [5/13] Install package',
      '  › uploaded 3.0 of 12.0 MiB (25%)',
      'vm2  [13/13] Wait for XDS',
      '  › log: 2026-12-01T10:00:00Z info agent token *** [2J',
      'vm3  [13/13] Wait for XDS',
      'vm4  [4/13] Upload',
      '0/4 VMs done, 4 running',
    ],
  )
  // a newer line replaces the old in place; a third line does not fit the rows: the last VM is counted instead
  await feed(tree.listener, [line('vm2', 'connection refused'), line('vm3', 'connected')])
  assert.deepEqual(
    (await frame()).map((l) => l.replace(spin, '')),
    [
      'vm1  [5/13] Install package',
      '  › uploaded 3.0 of 12.0 MiB (25%)',
      'vm2  [13/13] Wait for XDS',
      '  › log: connection refused',
      'vm3  [13/13] Wait for XDS',
      '… 2 more running',
      '0/4 VMs done, 4 running',
    ].filter((l) => l !== 'vm3  [13/13] Wait for XDS'),
  )
  // the step's end takes its line away
  const result = { status: 'ok' as const, msg: '', ms: 1 }
  await feed(tree.listener, [
    { type: 'step-end', at: 0, host: 'vm1', index: 4, kind: 'x', name: 'Install package', result },
  ])
  assert.deepEqual(
    (await frame()).slice(0, 2).map((l) => l.replace(spin, '')),
    ['vm1  [5/13] Install package', 'vm2  [13/13] Wait for XDS'],
  )
  await feed(tree.listener, [runEnd()])
  await tree.finished()
  assert.ok(!mem.text().includes(token.reveal()))
})
