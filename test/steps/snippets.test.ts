// The real facts snippets run by this machine's sh against temp files, with a stand-in `systemctl` on PATH
// (there is no systemd here): the text they print must parse into the decisions the table cases assume.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Vm } from '../../src/inventory/types.js'
import { Secret } from '../../src/secret.js'
import { handlers } from '../../src/steps/index.js'
import type { OpProgress, RemoteOp } from '../../src/ssh/types.js'
import type { StepArgs, StepContext, StepKind } from '../../src/steps/types.js'
import { LocalConnection } from '../executor/local-connection.js'

const START = '2026-11-26 10:00:00.250000 UTC'
const START_EPOCH = Date.parse('2026-11-26T10:00:00.250Z') / 1000
const ctx: StepContext = { vm: { name: 'vm1' } as Vm, bundle: [], now: 0, writesOf: () => [] }

/** A step's ops run as a batch by this machine's sh, with the stand-in `systemctl` first on PATH. */
function runOps(
  ops: RemoteOp[] | Promise<RemoteOp[]>,
  env: NodeJS.ProcessEnv,
  progress?: (index: number, p: OpProgress) => void,
) {
  const conn = new LocalConnection('local')
  return Promise.resolve(ops).then((list) =>
    conn.batch(
      list.map((op) => ('run' in op ? { ...op, run: `PATH=${env.PATH}\n${op.run}` } : op)),
      undefined,
      progress,
    ),
  )
}

async function withBin<T>(fn: (dir: string, env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'meshvm-snip-'))
  await mkdir(join(dir, 'bin'))
  // `systemctl show [-p NAME]... [--value]` as systemd prints it, for an active, enabled unit; each call is counted
  const fake = [
    '#!/bin/sh',
    `echo x >> "${dir}/systemctl-calls"`,
    'value=; props=',
    'while [ $# -gt 0 ]; do case "$1" in --value) value=1 ;; -p) shift; props="$props $1" ;; esac; shift; done',
    'for p in $props; do',
    '  case $p in',
    '    LoadState) v=loaded ;; ActiveState) v=active ;; UnitFileState) v=enabled ;;',
    `    ActiveEnterTimestamp) v='${START}' ;;`,
    '  esac',
    '  if [ -n "$value" ]; then echo "$v"; else echo "$p=$v"; fi',
    'done',
  ].join('\n')
  await writeFile(join(dir, 'bin/systemctl'), fake)
  await chmod(join(dir, 'bin/systemctl'), 0o755)
  try {
    return await fn(dir, { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}` })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function check<K extends StepKind>(kind: K, args: StepArgs[K], env: NodeJS.ProcessEnv) {
  const h = handlers[kind]
  const facts = spawnSync('sh', ['-c', h.reads(args, ctx)], { env, encoding: 'utf8' }).stdout
  return h.check(args, facts, ctx)
}

const logLine = (iso: string, msg: string) => `${iso}\tinfo\txdsproxy\t${msg}\n`
const waitArgs = (file: string, timeout = 1): StepArgs['wait-for-log'] => ({
  file,
  pattern: 'connected to upstream XDS server',
  since: 'unit-start',
  unit: 'istio',
  timeout,
  hintFiles: [file.replace('istio.log', 'istio.err.log')],
  failAfter: 0,
})

test('wait-for-log counts only lines stamped after the unit last started', () =>
  withBin(async (dir, env) => {
    const log = join(dir, 'istio.log')
    await writeFile(log, logLine('2026-11-26T09:59:59.000000Z', 'connected to upstream XDS server: old'))
    assert.equal(check('wait-for-log', waitArgs(log), env).outcome, 'change')
    await writeFile(log, logLine('2026-11-26T10:00:01.500000Z', 'connected to upstream XDS server: istiod:15012'), {
      flag: 'a',
    })
    assert.equal(check('wait-for-log', waitArgs(log), env).outcome, 'ok')
  }))

test('wait-for-log gives up after its timeout with the last log lines as a hint', () =>
  withBin(async (dir, env) => {
    const log = join(dir, 'istio.log')
    await writeFile(log, logLine('2026-11-26T10:00:02.000000Z', 'failed to connect: token rejected'))
    await writeFile(join(dir, 'istio.err.log'), 'panic: no certs\n')
    const args = waitArgs(log)
    const c = handlers['wait-for-log'].check(args, 'seen=0\n', ctx)
    if (c.outcome !== 'change') assert.fail(`expected a change, got ${c.outcome}`)
    const [r] = await runOps(handlers['wait-for-log'].apply(args, c.change, ctx), env)
    assert.match(r?.failure ?? '', /within 1s[\s\S]*token rejected[\s\S]*istio\.err\.log:\npanic: no certs/)
  }))

test('wait-for-log gives up early with a hint when the log keeps failing the same way since the unit started', () =>
  withBin(async (dir, env) => {
    const log = join(dir, 'istio.log')
    const refused = (iso: string) =>
      `${iso}\twarn\txdsproxy\tupstream [1] terminated with unexpected error rpc error: code = Unavailable desc = ` +
      'dial tcp 198.18.0.1:15012: connect: connection refused\n'
    // two before the unit started (an earlier run) do not count; three since do
    await writeFile(
      log,
      [
        refused('2026-11-26T09:59:50.000000Z'),
        refused('2026-11-26T09:59:55.000000Z'),
        refused('2026-11-26T10:00:01.000000Z'),
        refused('2026-11-26T10:00:11.000000Z'),
      ].join(''),
    )
    const args = { ...waitArgs(log, 30), failAfter: 3 }
    const c = handlers['wait-for-log'].check(args, 'seen=0\n', ctx)
    if (c.outcome !== 'change') assert.fail(`expected a change, got ${c.outcome}`)
    const later = new Promise((r) => setTimeout(r, 1500)).then(() =>
      writeFile(log, refused('2026-11-26T10:00:21.000000Z'), { flag: 'a' }),
    )
    const started = Date.now()
    const [r] = await runOps(handlers['wait-for-log'].apply(args, c.change, ctx), env)
    await later
    assert.ok(Date.now() - started < 10_000, 'long before the 30 s timeout')
    assert.match(
      r?.failure ?? '',
      /^gave up waiting for 'connected to upstream XDS server' in .*: .* says "connection refused" 3 times since istio started; the last:\n.*10:00:21.* connection refused\nhint: .*check the inventory's ingressIP \(the east-west gateway\)/,
    )
    // with failAfter 0 (the default) the same log only ends the wait at its timeout
    const [plain] = await runOps(handlers['wait-for-log'].apply(waitArgs(log, 1), c.change, ctx), env)
    assert.match(plain?.failure ?? '', /^no line .* within 1s/)
  }))

test('wait-for-log finds a line written while it waits, asking systemd for the start time once', () =>
  withBin(async (dir, env) => {
    const log = join(dir, 'istio.log')
    await writeFile(log, logLine('2026-11-26T09:59:59.000000Z', 'connected to upstream XDS server: old'))
    const args = waitArgs(log, 5)
    const c = handlers['wait-for-log'].check(args, 'seen=0\n', ctx)
    if (c.outcome !== 'change') assert.fail(`expected a change, got ${c.outcome}`)
    const line = logLine('2026-11-26T10:00:01.500000Z', 'connected to upstream XDS server: istiod:15012')
    const later = new Promise((r) => setTimeout(r, 700)).then(() => writeFile(log, line, { flag: 'a' }))
    const results = await runOps(handlers['wait-for-log'].apply(args, c.change, ctx), env)
    const msg = handlers['wait-for-log'].done?.(args, results, ctx)
    await later
    assert.match(String(msg), /^found 'connected to upstream XDS server' in .* after (0\.[6-9]|1\.\d)s$/)
    assert.equal((await readFile(join(dir, 'systemctl-calls'), 'utf8')).length, 2)
  }))

test('wait-for-log tells the latest line of this start as it comes, once per change, outside its output', () =>
  withBin(async (dir, env) => {
    const log = join(dir, 'istio.log')
    // a line of an earlier start is not this agent's; a line as long as the window the wait reads may be cut
    await writeFile(log, logLine('2026-11-26T09:59:59.000000Z', 'connected to upstream XDS server: old'))
    const args = waitArgs(log, 5)
    const c = handlers['wait-for-log'].check(args, 'seen=0\n', ctx)
    if (c.outcome !== 'change') assert.fail(`expected a change, got ${c.outcome}`)
    const lines = [
      logLine('2026-11-26T10:00:01.000000Z', 'Version 1.24.2 running'),
      logLine('2026-11-26T10:00:01.100000Z', 'x'.repeat(16_400)),
      logLine('2026-11-26T10:00:01.200000Z', 'upstream [1] terminated with unexpected error: connection refused'),
      logLine('2026-11-26T10:00:02.000000Z', 'connected to upstream XDS server: istiod:15012'),
    ]
    const heard: [number, OpProgress, number][] = []
    const started = Date.now()
    const writes = (async () => {
      for (const l of lines) {
        await new Promise((r) => setTimeout(r, 500))
        await writeFile(log, l, { flag: 'a' })
      }
    })()
    const [r] = await runOps(handlers['wait-for-log'].apply(args, c.change, ctx), env, (i, p) =>
      heard.push([i, p, Date.now() - started]),
    )
    await writes
    assert.equal(r?.code, 0, r?.failure)
    // the line it waits for may come between its poll's read of the last line and its check: it ends without it then
    const told = heard.map(([i, p]) => [i, p])
    const want = [0, 2, 3].map((k) => [0, { line: lines[k]!.trimEnd() }])
    assert.deepEqual(told, want.slice(0, Math.max(2, told.length)))
    // each while the wait still ran: the first half a second in, not at its end (2 s)
    assert.ok(heard[0]![2] < 1500, `the first line heard after ${heard[0]![2]} ms`)
    assert.equal(r?.stdout, '', 'the progress lines are not part of the output')
  }))

test('systemd restarts only when an input is newer than the last start (stat in another time zone)', () =>
  withBin(async (dir, bin) => {
    const env = { ...bin, TZ: 'Asia/Kolkata' } // stat prints +0530; systemd's start is in UTC
    const input = join(dir, 'cluster.env')
    await writeFile(input, 'A=1\n')
    const args: StepArgs['systemd'] = {
      unit: 'istio',
      state: 'running',
      enabled: true,
      restartOnChange: [input],
      assert: false,
    }
    await utimes(input, START_EPOCH - 60, START_EPOCH - 60)
    assert.equal(check('systemd', args, env).outcome, 'ok')
    await utimes(input, START_EPOCH + 0.5, START_EPOCH + 0.5)
    const c = check('systemd', args, env)
    assert.deepEqual(c.outcome === 'change' && c.change.data, { actions: ['restart'] })
  }))

test('process finds a running command and its user', async (t) => {
  // a name of its own: the machine (and lab hosts, whose processes it sees) may run other `sleep`s as other users
  const dir = mkdtempSync(join(tmpdir(), 'mv-proc-'))
  const comm = `mvp${process.pid}`.slice(0, 15)
  copyFileSync('/bin/sleep', join(dir, comm))
  chmodSync(join(dir, comm), 0o755)
  const child = spawn(join(dir, comm), ['30'], { stdio: 'ignore' })
  t.after(() => {
    child.kill()
    rmSync(dir, { recursive: true, force: true })
  })
  await new Promise((r) => setTimeout(r, 100))
  const me = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim()
  assert.equal(check('process', { comm, user: me }, process.env).outcome, 'ok')
  const other = check('process', { comm, user: 'istio-proxy' }, process.env)
  assert.equal(other.outcome, 'fail')
})

test('package reads dpkg versions: an installed package with its version is ok, an unknown one needs installing', () => {
  const version = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'dpkg'], { encoding: 'utf8' }).stdout
  const ok = check('package', { name: 'dpkg', source: { version }, present: true }, process.env)
  assert.deepEqual(ok, { outcome: 'ok', reason: `dpkg ${version} installed (version matches)` })
  const missing = check(
    'package',
    { name: 'meshvm-absent-pkg', source: { url: 'https://example.invalid/p.deb' }, present: true },
    process.env,
  )
  assert.equal(missing.outcome, 'change')
})

test('a package file that changed after the run took its checksum fails the step before the VM is touched', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mv-pkg-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const deb = join(dir, 'istio-sidecar.deb')
  await writeFile(deb, 'package as resolved')
  const step = handlers.package
  const args = await step.resolve!({ name: 'istio-sidecar', source: { file: deb }, present: true })
  assert.match(args.source?.sha256 ?? '', /^[0-9a-f]{64}$/)
  await writeFile(deb, 'package replaced mid-run')
  const c = step.check(args, 'pm=deb\n', ctx)
  if (c.outcome !== 'change') assert.fail(`expected a change, got ${c.outcome}`)
  // apply builds the ops to send: it throws instead, so the executor sends nothing of the step
  await assert.rejects(async () => step.apply(args, c.change, ctx), /istio-sidecar\.deb changed during the run/)
})

test('chown names only the paths with files owned by someone else, and a few files of each', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mv-chown-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const me = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim()
  const [clean, drifting, missing] = ['clean', 'drifting dir', 'missing'].map((d) => join(dir, d))
  await mkdir(clean)
  await mkdir(drifting)
  for (let i = 0; i < 8; i++) await writeFile(join(drifting, `f${i}`), '')
  const args: StepArgs['chown'] = { user: me, paths: [clean, drifting, missing] }
  assert.equal(check('chown', args, process.env).outcome, 'ok')
  if (process.getuid?.() !== 0) return t.skip('needs root to give files away')
  for (let i = 0; i < 8; i++) spawnSync('chown', ['nobody', join(drifting, `f${i}`)])
  const c = check('chown', args, process.env)
  if (c.outcome !== 'change') assert.fail(`expected a change, got ${c.outcome}`)
  assert.deepEqual(c.change.data, { paths: [drifting] })
  assert.equal(c.change.diff?.before.split('\n').length, 1 + 5 + 1, c.change.diff?.before) // header, 5 files, …
})

test('upload unlessCertValid reads the workload certificate as it is on the VM: a valid one skips the token, one close to its end does not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mv-cert-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const [token, chain] = [join(dir, 'istio-token'), join(dir, 'cert-chain.pem')]
  const jwt = (exp: number) =>
    `e30.${Buffer.from(JSON.stringify({ iss: 'k', sub: 's', aud: ['istio-ca'], exp })).toString('base64url')}.c2ln`
  const now = Date.now()
  await writeFile(token, jwt(Math.floor(now / 1000) + 60))
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem')]
  const made = spawnSync('openssl', ['req', '-x509', ...key, '-subj', '/O=cluster.local', '-days', '1', '-out', chain])
  assert.equal(made.status, 0, String(made.stderr))
  const args: StepArgs['upload'] = {
    dest: token,
    bundle: 'istio-token',
    tokenMinValidity: 1800,
    unlessCertValid: chain,
  }
  const checkAt = (at: number) => {
    const bundle = [
      { name: 'istio-token' as const, content: new Secret(jwt(Math.floor(at / 1000) + 3600)), mode: 0o600 },
    ]
    const c = { ...ctx, now: at, bundle }
    return handlers.upload.check(
      args,
      spawnSync('sh', ['-c', handlers.upload.reads(args, c)], { encoding: 'utf8' }).stdout,
      c,
    )
  }
  const valid = checkAt(now)
  assert.equal(valid.outcome, 'ok', JSON.stringify(valid))
  assert.match(
    valid.outcome === 'ok' ? valid.reason : '',
    /not needed: the VM renews with its certificate .*cert-chain\.pem, valid until/,
  )
  assert.equal(
    checkAt(now + 86_400_000 - 600_000).outcome,
    'change',
    'the certificate ends in 10 min: the token is replaced',
  )
  await writeFile(chain, 'not a certificate')
  assert.equal(checkAt(now).outcome, 'change', 'an unreadable certificate is no reason to skip the token')
})
