import assert from 'node:assert/strict'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { SshError } from '../../src/ssh/errors.js'
import { batches, parseSerial } from '../../src/executor/pool.js'
import { parsePlaybook } from '../../src/playbook/load.js'
import { fleet, PLAYBOOK, TOKEN } from './harness.js'
import { LocalConnection } from './local-connection.js'
import { formatRecap, reportOf } from '../../src/report/index.js'

const statuses = (summary: Awaited<ReturnType<Awaited<ReturnType<typeof fleet>>['run']>>, vm: string) =>
  summary.hosts[vm].steps.map((s) => s.result.status)

test('apply changes every VM, a second run is all ok in one round trip per VM and writes nothing', async (t) => {
  const f = await fleet(3)
  t.after(f.cleanup)
  const first = await f.run()
  for (const vm of f.vms)
    assert.deepEqual(statuses(first, vm.name), Array(6).fill('changed'), JSON.stringify(first.hosts[vm.name]))
  const root = f.roots.vm1
  assert.equal(
    await readFile(join(root, 'hosts'), 'utf8'),
    '127.0.0.1 localhost\n# BEGIN meshvm istio\n10.0.0.1 istiod.istio-system.svc\n# END meshvm istio\n',
  )
  const token = await stat(join(root, 'etc/certs/istio-token'))
  assert.equal(token.mode & 0o777, 0o600)
  assert.equal(token.uid, 65534, 'chown gave the token to nobody')
  assert.equal(await readFile(join(root, 'etc/certs/istio-token'), 'utf8'), TOKEN)

  // round trips: the facts; the directory, token, env and hosts changes in one batch (the files' facts do not
  // depend on the directory just created), which reads back the facts of the chown (its tree got new files) and of
  // the command (it cannot say what it reads); the chown, reading the command's facts again; the command.
  // One exec per change and a re-read after each would be 1 + 6 + 2 = 9.
  assert.deepEqual(
    f.conns.map((c) => c.execs.length),
    [4, 4, 4],
  )
  const factsReads = (c: LocalConnection) => c.execs.filter((cmd) => cmd.includes('@@meshvm-facts')).length
  assert.deepEqual(f.conns.map(factsReads), [3, 3, 3])
  // each step still reported on its own, in order, each ending before the next starts
  const vm1 = f.events.flatMap((e) =>
    (e.type === 'step-start' || e.type === 'step-end') && e.host === 'vm1' ? [`${e.type} ${e.index}`] : [],
  )
  assert.deepEqual(
    vm1,
    [0, 1, 2, 3, 4, 5].flatMap((i) => [`step-start ${i}`, `step-end ${i}`]),
  )

  const second = await f.run()
  for (const vm of f.vms) {
    assert.equal(second.hosts[vm.name].status, 'ok')
    for (const s of second.hosts[vm.name].steps)
      assert.ok(s.result.status === 'ok' && s.result.msg.length > 5, JSON.stringify(s))
  }
  assert.deepEqual(
    f.conns.map((c) => [c.execs.length, c.puts.length]),
    [
      [1, 0],
      [1, 0],
      [1, 0],
    ],
  )
  assert.ok(f.conns.every((c) => c.closed))
})

test('--check writes nothing, reports would-change as changed, and --diff shows diffs with the token masked', async (t) => {
  const f = await fleet(2)
  t.after(f.cleanup)
  const summary = await f.run({ check: true, diff: true })
  // the chown's directory does not exist yet: check mode plans from the facts as they are
  assert.deepEqual(statuses(summary, 'vm1'), ['changed', 'changed', 'changed', 'changed', 'ok', 'changed'])
  assert.match(summary.hosts.vm1.steps[4].result.msg, /missing, skipped/)
  const ends = f.events.filter((e) => e.type === 'step-end' && e.result.status === 'changed')
  assert.ok(ends.every((e) => e.type === 'step-end' && e.result.msg.startsWith('would ')))
  const hosts = ends.find((e) => e.type === 'step-end' && e.kind === 'hosts-block')
  assert.match(
    JSON.stringify(hosts),
    /"before":"127.0.0.1 localhost\\n","after":"127.0.0.1 localhost\\n# BEGIN meshvm istio/,
  )
  const token = ends.find((e) => e.type === 'step-end' && e.name === 'Token')
  assert.deepEqual(token?.type === 'step-end' && token.result.diff?.after, '(secret changed)')
  await assert.rejects(stat(join(f.roots.vm1, 'etc/certs')), /ENOENT/)
  assert.equal(await readFile(join(f.roots.vm1, 'hosts'), 'utf8'), '127.0.0.1 localhost\n')
  assert.deepEqual(
    f.conns.map((c) => [c.execs.length, c.puts.length]),
    [
      [1, 0],
      [1, 0],
    ],
  )
  assert.equal(f.events[0].type === 'run-start' && f.events[0].check, true)
})

/** One VM running the playbook of these steps (YAML list items). */
async function runSteps(t: TestContext, steps: string) {
  const f = await fleet(1)
  t.after(f.cleanup)
  return { f, summary: await f.run({}, `name: steps\nsteps:\n${steps}`) }
}

test('a wait after a change goes in its batch and checks on the VM itself (2 round trips, not 4)', async (t) => {
  const { f, summary } = await runSteps(
    t,
    `  - name: Start
    command: { cmd: "echo 'app is ready now' >> {{ vars.root }}/app.log", creates: '{{ vars.root }}/never' }
  - name: Wait
    wait-for-log: { file: '{{ vars.root }}/app.log', pattern: ready now, since: any, timeout: 5 }
`,
  )
  assert.deepEqual(statuses(summary, 'vm1'), ['changed', 'ok'])
  // its facts (read before the command ran) said "not seen"; it was not planned from them but ran on the VM
  assert.match(summary.hosts.vm1.steps[1].result.msg, /^found 'ready now' in \S+app\.log after \d+\.\ds$/)
  assert.equal(f.conns[0].execs.length, 2)
})

test('a large upload goes in a batch of its own, its SFTP session opened while the batch before it runs', async (t) => {
  const big = 'x'.repeat(300 * 1024)
  const { f, summary } = await runSteps(
    t,
    `  - name: Dir
    directory: { path: '{{ vars.root }}/pkg' }
  - name: Big
    upload: { dest: '{{ vars.root }}/pkg/big.txt', content: ${big} }
`,
  )
  assert.deepEqual(statuses(summary, 'vm1'), ['changed', 'changed'])
  assert.equal(await readFile(join(f.roots.vm1, 'pkg/big.txt'), 'utf8'), big)
  // the facts, the directory, then the upload: the step shows while it uploads
  assert.equal(f.conns[0].execs.length, 3)
  assert.deepEqual(
    f.conns[0].prepared.map((ops) => ops.map((op) => ('put' in op ? op.put : op.run))),
    [[join(f.roots.vm1, 'pkg/big.txt')]],
  )
})

test('a failing change ends its batch: the changes after it in the batch do not run and are not reported', async (t) => {
  const { f, summary } = await runSteps(
    t,
    `  - name: First
    upload: { dest: '{{ vars.root }}/first.txt', content: 'one' }
  - name: Bad dir
    directory: { path: '{{ vars.root }}/hosts/sub' }
  - name: After
    upload: { dest: '{{ vars.root }}/after.txt', content: 'two' }
`,
  )
  assert.deepEqual(statuses(summary, 'vm1'), ['changed', 'failed'])
  assert.match(summary.hosts.vm1.steps[1].result.msg, /^directory \S+hosts\/sub failed \(exit 1\): mkdir: /)
  assert.equal(await readFile(join(f.roots.vm1, 'first.txt'), 'utf8'), 'one')
  await assert.rejects(stat(join(f.roots.vm1, 'after.txt')), /ENOENT/)
  assert.equal(f.conns[0].execs.length, 2, 'the facts, then one batch of the three changes')
})

test('the token appears in no event, even when a failing command prints it', async (t) => {
  const f = await fleet(1)
  t.after(f.cleanup)
  const leak = `${PLAYBOOK}  - name: Leak\n    command: { cmd: 'cat {{ vars.root }}/etc/certs/istio-token >&2; exit 3' }\n`
  const summary = await f.run({ diff: true }, leak)
  assert.equal(summary.hosts.vm1.status, 'failed')
  assert.deepEqual(summary.failed, ['vm1'])
  const failed = summary.hosts.vm1.steps.at(-1)!.result
  assert.match(failed.msg, /exit 3\): \*\*\*/)
  const all = JSON.stringify(f.events) + JSON.stringify(summary)
  assert.ok(!all.includes(TOKEN) && !all.includes(TOKEN.split('.')[1]), 'token leaked into events or summary')
})

// a token this run did not mint (the VM's from an earlier run): masked as a JWT
const OLD_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJlYXJsaWVyIn0.b2xkLXNpZ25hdHVyZQ'

test("a wait's latest log line is a step-progress event of its running step, the token in it masked", async (t) => {
  const f = await fleet(1)
  t.after(f.cleanup)
  // the agent's log gets a line holding the token while the wait waits, then the line it waits for
  const log = '{{ vars.root }}/agent.log'
  const line = (iso: string, text: string) => `printf '${iso}\\tinfo\\tagent\\t${text}\\n'`
  const playbook = `${PLAYBOOK}  - name: Start the agent
    command:
      cmd: |
        (sleep 0.5; ${line('2026-12-01T10:00:00.000000Z', `token is %s, an earlier one ${OLD_TOKEN}`)} "$(cat {{ vars.root }}/etc/certs/istio-token)" >> ${log}
         sleep 0.5; ${line('2026-12-01T10:00:01.000000Z', 'connected')} >> ${log}) >/dev/null 2>&1 &
  - name: Wait for it
    wait-for-log: { file: '${log}', pattern: connected, since: any, timeout: 10 }
`
  const summary = await f.run({}, playbook)
  assert.equal(summary.hosts.vm1.status, 'changed', JSON.stringify(summary.hosts.vm1.steps.at(-1)))
  const types = f.events.map((e) => ('name' in e ? `${e.type} ${e.name}` : e.type))
  const wait = types.indexOf('step-start Wait for it')
  const progress = f.events.filter((e) => e.type === 'step-progress')
  assert.deepEqual(
    progress.map((e) => ('line' in e ? [e.host, e.index, e.name, e.line] : e)),
    [
      ['vm1', 7, 'Wait for it', '2026-12-01T10:00:00.000000Z\tinfo\tagent\ttoken is ***, an earlier one ***'],
      ['vm1', 7, 'Wait for it', '2026-12-01T10:00:01.000000Z\tinfo\tagent\tconnected'],
    ],
  )
  // between the step's start and its end
  assert.deepEqual(types.slice(wait, wait + 4), [
    'step-start Wait for it',
    'step-progress Wait for it',
    'step-progress Wait for it',
    'step-end Wait for it',
  ])
  const all = JSON.stringify(f.events) + JSON.stringify(summary)
  assert.ok(!all.includes(TOKEN) && !all.includes(TOKEN.split('.')[2]!), 'token leaked into events or summary')
  assert.ok(!all.includes(OLD_TOKEN.split('.')[2]!), 'an earlier token leaked')
})

test('an upload of 1 MiB or more reports its bytes as step-progress; a smaller one does not', async (t) => {
  const { f } = await runSteps(
    t,
    `  - name: Package
    upload: { dest: '{{ vars.root }}/pkg.deb', content: ${'p'.repeat(1024 * 1024)} }
  - name: Certificate
    upload: { dest: '{{ vars.root }}/big.pem', content: ${'c'.repeat(300 * 1024)} }
`,
  )
  const progress = f.events.filter((e) => e.type === 'step-progress')
  // this machine's stand-in writes the file in one go: one event, all of it (SFTP's are per acknowledged write)
  assert.deepEqual(
    progress.map((e) => ('bytes' in e ? [e.name, e.bytes, e.total] : e)),
    [['Package', 1024 * 1024, 1024 * 1024]],
  )
})

test('forks bounds how many VMs are open at once', async (t) => {
  const f = await fleet(8)
  t.after(f.cleanup)
  let open = 0
  let peak = 0
  await f.run({
    forks: 3,
    connect: async (vm) => {
      open++
      peak = Math.max(peak, open)
      const c = new LocalConnection(vm.name)
      c.close = async () => void open--
      return c
    },
  })
  assert.equal(peak, 3)
  assert.equal(open, 0)
})

test('serial runs rolling batches: a batch ends before the next starts', async (t) => {
  const f = await fleet(5)
  t.after(f.cleanup)
  for (const serial of ['2', '40%', '1,1,40%']) {
    await f.run({ serial: parseSerial(serial) })
    const order = f.events
      .filter((e) => e.type === 'host-start' || e.type === 'host-end')
      .map((e) => `${e.type === 'host-start' ? '+' : '-'}${'host' in e ? e.host : ''}`)
    const batchOf = (h: string) => Math.floor((Number(h.slice(3)) - 1) / 2)
    for (let i = 0; i < order.length; i++)
      if (order[i][0] === '+')
        for (const earlier of order.slice(0, i))
          assert.ok(batchOf(earlier.slice(1)) <= batchOf(order[i].slice(1)), order.join(' '))
    for (const vm of ['vm1', 'vm2']) assert.ok(order.indexOf(`-${vm}`) < order.indexOf('+vm3'), order.join(' '))
    for (const vm of ['vm3', 'vm4']) assert.ok(order.indexOf(`-${vm}`) < order.indexOf('+vm5'), order.join(' '))
  }
})

test("--serial as Ansible's serial: a count, a percentage, a list whose last size repeats; bad sizes refused", () => {
  const sizes = (serial: string, n: number) =>
    batches(
      Array.from({ length: n }, (_, i) => i),
      parseSerial(serial),
    ).map((b) => b.length)
  assert.deepEqual(sizes('10', 25), [10, 10, 5])
  assert.deepEqual(sizes('25%', 10), [2, 2, 2, 2, 2], 'int(10 * 25 / 100) = 2')
  assert.deepEqual(sizes('1%', 10), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 'at least one VM a batch')
  assert.deepEqual(sizes('1,5,50%', 20), [1, 5, 10, 4])
  for (const [bad, msg] of [
    ['0', /at least 1, got "0"/],
    ['-1', /expected a count, a percentage like 25%, or a list of them like 1,5,25%/],
    ['2.5', /whole number of VMs/],
    ['150%', /at most 100%/],
    ['ten', /got "ten"/],
    ['1,,2', /got "1,,2"/],
  ] as const)
    assert.throws(() => parseSerial(bad), { name: 'InputError', message: msg })
})

test('max-fail stops starting new VMs; the rest are not run and get no events', async (t) => {
  const f = await fleet(5)
  t.after(f.cleanup)
  const summary = await f.run({
    forks: 1,
    maxFailPercent: 0,
    connect: async (vm) => {
      if (vm.name === 'vm2') throw new SshError('auth', 'root@vm2:22', 'root@vm2:22: authentication failed')
      return new LocalConnection(vm.name)
    },
  })
  assert.equal(summary.hosts.vm1.status, 'changed')
  assert.deepEqual(summary.unreachable, ['vm2'])
  assert.deepEqual(summary.notRun, ['vm3', 'vm4', 'vm5'])
  assert.ok(!f.events.some((e) => 'host' in e && ['vm3', 'vm4', 'vm5'].includes(e.host)))
  await assert.rejects(stat(join(f.roots.vm3, 'etc')), /ENOENT/)
  // why it stopped is said once: in the run's end, the outcome, and one recap line for the VMs it left
  const why = '--max-fail 0%: 1 of 5 VMs failed or were unreachable'
  const end = f.events.at(-1)
  assert.equal(end?.type === 'run-end' ? end.stopped : undefined, why)
  assert.equal(summary.stopped, why)
  const recap = formatRecap(reportOf(summary), { color: false })
  assert.deepEqual(
    recap.filter((l) => l.includes('not run')),
    [`3 VMs not run (${why}): vm3 vm4 vm5`],
  )
})

test('retries connection failures with backoff; auth failures are unreachable at once', async (t) => {
  const f = await fleet(3)
  t.after(f.cleanup)
  const calls: Record<string, number> = {}
  const summary = await f.run({
    retries: 2,
    connect: async (vm) => {
      calls[vm.name] = (calls[vm.name] ?? 0) + 1
      if (vm.name === 'vm1' && calls.vm1 <= 2) throw new SshError('connection', 'vm1', 'vm1: connection refused')
      if (vm.name === 'vm2') throw new SshError('timeout', 'vm2', 'vm2: connection timed out')
      if (vm.name === 'vm3') throw new SshError('auth', 'vm3', 'vm3: authentication failed')
      return new LocalConnection(vm.name)
    },
  })
  assert.equal(summary.hosts.vm1.status, 'changed')
  assert.deepEqual(calls, { vm1: 3, vm2: 3, vm3: 1 })
  assert.deepEqual(summary.unreachable, ['vm2', 'vm3'])
  assert.equal(summary.hosts.vm2.tally.unreachable, 1)
  assert.equal(summary.hosts.vm2.msg, 'vm2: connection timed out')
  const retries = f.events
    .filter((e) => e.type === 'host-retry')
    .map((e) => e.type === 'host-retry' && `${e.host}#${e.attempt}`)
  assert.deepEqual(retries.sort(), ['vm1#1', 'vm1#2', 'vm2#1', 'vm2#2'])
})

test('one VM failing (a step, a thrown error, a dropped connection) never stops the others', async (t) => {
  const f = await fleet(4)
  t.after(f.cleanup)
  const summary = await f.run({
    connect: async (vm) => {
      const c = new LocalConnection(vm.name)
      const batch = c.batch.bind(c)
      if (vm.name === 'vm2')
        c.batch = (ops, each) =>
          batch(
            ops.map((op) => ('put' in op ? { run: 'echo disk full >&2; exit 1', what: `writing ${op.put}` } : op)),
            each,
          )
      if (vm.name === 'vm3')
        c.batch = async () =>
          Promise.reject(new SshError('connection', 'vm3', 'vm3: connection lost while a command was running'))
      return c
    },
    prepare: async (vm) => {
      if (vm.name === 'vm4') throw new Error('cannot mint a token: forbidden')
      return { bundle: (await import('./harness.js')).bundle() }
    },
  })
  assert.equal(summary.hosts.vm1.status, 'changed')
  assert.equal(summary.hosts.vm2.status, 'failed')
  assert.deepEqual(statuses(summary, 'vm2'), ['changed', 'failed'])
  assert.match(summary.hosts.vm2.msg ?? '', /^Token: writing \S+istio-token failed \(exit 1\): disk full$/)
  assert.equal(summary.hosts.vm3.status, 'unreachable')
  assert.equal(summary.hosts.vm4.status, 'failed')
  assert.equal(summary.hosts.vm4.msg, 'cannot mint a token: forbidden')
  assert.deepEqual(summary.failed, ['vm2', 'vm4'])
  assert.deepEqual(summary.unreachable, ['vm3'])
})

test('a failed VM runs the rescue steps on the same connection; it still counts as failed; batches are announced', async (t) => {
  const f = await fleet(4)
  t.after(f.cleanup)
  const failing = `
name: fails
steps:
  - name: Marker
    command: { cmd: 'touch {{ vars.root }}/tried' }
  - name: Breaks on vm2
    command: { cmd: 'test {{ vm.name }} != vm2' }
`
  const rescue = parsePlaybook(
    `
name: rescue
steps:
  - name: Undo
    command: { cmd: 'touch {{ vars.root }}/rescued', creates: '{{ vars.root }}/rescued' }
`,
    'rescue.yaml',
  )
  const summary = await f.run({ serial: parseSerial('2'), maxFailPercent: 0, rescue }, failing)
  assert.deepEqual(summary.failed, ['vm2'])
  assert.deepEqual(summary.notRun, ['vm3', 'vm4'])
  assert.match(summary.hosts.vm2.msg ?? '', /^Breaks on vm2: .*; rescued$/s)
  assert.deepEqual(
    summary.hosts.vm2.steps.map((s) => [s.index, s.name, s.result.status]),
    [
      [0, 'Marker', 'changed'],
      [1, 'Breaks on vm2', 'failed'],
      [2, 'Undo', 'changed'],
    ],
  )
  await stat(join(f.roots.vm2, 'rescued'))
  await assert.rejects(stat(join(f.roots.vm1, 'rescued')), /ENOENT/)
  const batches = f.events.flatMap((e) => (e.type === 'batch-start' ? [[e.batch, e.of, e.hosts]] : []))
  assert.deepEqual(batches, [[1, 2, ['vm1', 'vm2']]])
})
