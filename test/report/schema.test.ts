// The report file and the NDJSON events have a versioned schema (README "Reports and events"): schema and meshvm
// versions, the command line, an error kind per failure; `meshvm report` shows the last one; the resume hint is the
// whole command again.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { resumeCommand } from '../../src/fleet/run.js'
import { reportOf, writeReport } from '../../src/report/index.js'
import { ndjsonListener } from '../../src/report/json.js'
import { SshError } from '../../src/ssh/errors.js'
import { MESHVM_VERSION, SCHEMA_VERSION } from '../../src/version.js'
import { fleet } from '../executor/harness.js'
import { LocalConnection } from '../executor/local-connection.js'
import { runCli } from '../support/run-cli.js'

const FAILING = `
name: local
steps:
  - name: Fail here
    command: { cmd: 'exit 3' }
`

test('a report names its schema, meshvm, the command line, and why each host did not finish', async (t) => {
  const f = await fleet(3)
  t.after(f.cleanup)
  const outcome = await f.run(
    {
      connect: async (vm) => {
        if (vm.name === 'vm2') throw new SshError('hostkey', 'root@vm2:22', 'root@vm2:22: host key changed')
        if (vm.name === 'vm3') throw new Error('no istio-sidecar package for s390x')
        return new LocalConnection(vm.name)
      },
    },
    FAILING,
  )
  const argv = ['meshvm', 'run', 'failing.yaml', '-i', 'inventory.yaml']
  const report = reportOf(outcome, argv)
  assert.equal(report.schemaVersion, SCHEMA_VERSION)
  assert.equal(
    report.meshvm,
    JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version,
  )
  assert.equal(report.meshvm, MESHVM_VERSION)
  assert.deepEqual(report.argv, argv)
  assert.deepEqual(
    Object.entries(report.hosts).map(([n, h]) => [n, h.status, h.errorKind]),
    [
      ['vm1', 'failed', 'step'],
      ['vm2', 'unreachable', 'hostkey'],
      ['vm3', 'failed', 'error'],
    ],
  )

  const lines: string[] = []
  const listen = ndjsonListener((l) => lines.push(l), [], argv)
  for (const e of f.events) listen(e)
  const events = lines.map((l) => JSON.parse(l))
  assert.deepEqual(
    { ...events[0], at: 0 },
    {
      type: 'run-start',
      at: 0,
      playbook: 'local',
      hosts: ['vm1', 'vm2', 'vm3'],
      check: false,
      schemaVersion: SCHEMA_VERSION,
      meshvm: MESHVM_VERSION,
      argv,
    },
  )
  assert.equal(events.find((e) => e.type === 'host-end' && e.host === 'vm2').errorKind, 'hostkey')
})

test('meshvm report shows the last run: its command line, the recap, what failed and why; --json the file', async (t) => {
  const f = await fleet(2)
  t.after(f.cleanup)
  const cwd = mkdtempSync(join(tmpdir(), 'meshvm-report-'))
  t.after(() => rmSync(cwd, { recursive: true, force: true }))
  const none = await runCli(['report'], {}, cwd)
  assert.equal(none.code, 5)
  assert.match(
    none.stderr,
    /no report at .*\.meshvm\/last-run\.json: onboard, verify, offboard and run write one there/,
  )

  const outcome = await f.run({}, FAILING)
  mkdirSync(join(cwd, '.meshvm'))
  await writeReport(
    join(cwd, '.meshvm', 'last-run.json'),
    reportOf(outcome, ['meshvm', 'run', 'failing.yaml', '-i', 'inv.yaml']),
  )
  const r = await runCli(['report'], {}, cwd)
  assert.equal(r.code, 2, 'the exit code of the run it reports')
  assert.match(
    r.stdout,
    /^meshvm run failing\.yaml -i inv\.yaml {3}\(\d{4}-\d\d-\d\dT[\d:.]+Z; .*last-run\.json\)\nRECAP local\nvm1 : ok=0 +changed=0 +unreachable=0 +failed=1/,
  )
  assert.match(r.stdout, /vm1: step "Fail here" failed: /)
  const json = await runCli(['report', '--json'], {}, cwd)
  assert.equal(JSON.parse(json.stdout).schemaVersion, SCHEMA_VERSION)
})

test('the resume hint is the whole command with --limit @failed instead of any --limit', () => {
  assert.equal(
    resumeCommand(['meshvm', 'onboard', '-i', 'inv.yaml', '--limit', 'web', '--forks', '5']),
    'meshvm onboard -i inv.yaml --forks 5 --limit @failed',
  )
  assert.equal(
    resumeCommand(['meshvm', 'onboard', '-i', 'my inv.yaml', '-lweb', '--limit=db']),
    "meshvm onboard -i 'my inv.yaml' --limit @failed",
  )
  assert.equal(
    resumeCommand(['meshvm', 'verify', '-i', 'i.yaml', '-l', '@failed']),
    'meshvm verify -i i.yaml --limit @failed',
  )
  assert.equal(resumeCommand([]), '--limit @failed')
})
