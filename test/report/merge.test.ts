// report merge: shards' reports (files or pod logs) → one fleet report and failed list; mismatches refused by name.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { emptyTally } from '../../src/executor/events.js'
import type { HostReport, RunReport } from '../../src/report/index.js'
import { runCli } from '../support/run-cli.js'
import { MESHVM_VERSION, SCHEMA_VERSION } from '../../src/version.js'

const host = (status: HostReport['status'], changed = 0, failed = 0): HostReport => ({
  status,
  ...emptyTally(),
  changed,
  failed,
  ok: 3,
  ms: 1000,
  retries: [],
  steps: failed
    ? [{ index: 4, kind: 'wait-for-log', name: 'Wait for XDS', status: 'failed', msg: 'no XDS line in 30s', ms: 30000 }]
    : [],
})

const shardReport = (index: number, hosts: Record<string, HostReport>, playbook = 'onboard'): RunReport => ({
  schemaVersion: SCHEMA_VERSION,
  meshvm: MESHVM_VERSION,
  argv: ['meshvm', 'onboard'],
  playbook,
  check: false,
  start: `2026-12-01T10:0${index}:00.000Z`,
  end: `2026-12-01T10:0${index}:30.000Z`,
  durationMs: 30000,
  hosts,
  totals: emptyTally(),
  shard: { index, count: 3 },
})

// A pod's `kubectl logs`: plain progress lines (stderr) around the report meshvm printed on stdout.
const podLog = (r: RunReport) =>
  `2026-12-01T10:00:01.000Z vm-a [1/13] Create /etc/certs: changed (20ms)\n${JSON.stringify(r, null, 2)}\n1 VM(s) not done; resume them with: --limit @failed\n`

test('merge: one report and one failed list from the shards; --limit @failed then selects exactly the failed VMs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-merge-'))
  try {
    writeFileSync(
      join(dir, 'shard-0.json'),
      JSON.stringify(shardReport(0, { 'vm-a': host('changed', 10), 'vm-b': host('changed', 10) })),
    )
    writeFileSync(join(dir, 'shard-1.log'), podLog(shardReport(1, { 'vm-c': host('failed', 8, 1) })))
    writeFileSync(join(dir, 'shard-2.json'), JSON.stringify(shardReport(2, { 'vm-d': host('unreachable') })))
    const inventory = join(dir, 'inventory.yaml')
    writeFileSync(
      inventory,
      'defaults: { app: a, namespace: n }\nvms:\n  vm-a: {}\n  vm-b: {}\n  vm-c: {}\n  vm-d: {}\n  vm-e: {}\n',
    )
    const files = ['shard-0.json', 'shard-1.log', 'shard-2.json'].map((f) => join(dir, f))
    const r = await runCli(['report', 'merge', ...files], {}, dir)
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stdout, /^RECAP onboard$/m)
    assert.match(r.stdout, /^4 hosts in 2m 30s|^4 hosts in 150/m)
    assert.match(r.stdout, /vm-c: step "Wait for XDS" failed: no XDS line in 30s/)
    const merged = JSON.parse(readFileSync(join(dir, '.meshvm', 'last-run.json'), 'utf8')) as RunReport
    assert.deepEqual(Object.keys(merged.hosts), ['vm-a', 'vm-b', 'vm-c', 'vm-d'])
    assert.deepEqual({ changed: merged.totals.changed, failed: merged.totals.failed }, { changed: 28, failed: 1 })
    assert.deepEqual(merged.shards, { count: 3, reported: [0, 1, 2] })
    assert.equal(merged.durationMs, 150_000)
    assert.equal(readFileSync(join(dir, '.meshvm', 'failed'), 'utf8'), 'vm-c\nvm-d\n')
    const resume = await runCli(['inventory', 'show', '-i', inventory, '--limit', `@${join(dir, '.meshvm', 'failed')}`])
    assert.deepEqual(
      [...resume.stdout.matchAll(/^ {2}- name: (\S+)/gm)].map((m) => m[1]),
      ['vm-c', 'vm-d'],
    )

    // a shard whose pod left no report: named, and with -i its VMs are in the failed list as not run
    const partial = await runCli(['report', 'merge', files[0], files[2], '-i', inventory], {}, dir)
    assert.equal(partial.code, 2)
    assert.match(partial.stderr, /^shard 1\/3: no report$/m)
    const failed = readFileSync(join(dir, '.meshvm', 'failed'), 'utf8')
      .trim()
      .split('\n')
    assert.deepEqual(failed.sort(), ['vm-c', 'vm-d', 'vm-e'])
    assert.match(partial.stdout, /vm-c: not run \(no report from shard \d\/3\)/)

    // all well: exit 0 and no failed list left behind
    writeFileSync(join(dir, 'ok-1.json'), JSON.stringify(shardReport(1, { 'vm-c': host('ok') })))
    writeFileSync(join(dir, 'ok-2.json'), JSON.stringify(shardReport(2, { 'vm-d': host('ok') })))
    const clean = await runCli(['report', 'merge', files[0], join(dir, 'ok-1.json'), join(dir, 'ok-2.json')], {}, dir)
    assert.equal(clean.code, 0, clean.stdout + clean.stderr)
    assert.equal(existsSync(join(dir, '.meshvm', 'failed')), false)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('merge refuses reports of different runs, a VM in two shards and a shard given twice, naming the files (exit 5)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-merge-'))
  try {
    const write = (name: string, r: RunReport | string) => {
      writeFileSync(join(dir, name), typeof r === 'string' ? r : JSON.stringify(r))
      return join(dir, name)
    }
    const a = write('a.json', shardReport(0, { 'vm-a': host('ok') }))
    const cases: [string, RegExp][] = [
      [
        write('b.json', shardReport(1, { 'vm-b': host('ok') }, 'verify')),
        /not of one run \(playbook differs: .*a\.json: "onboard"; .*b\.json: "verify"\)/,
      ],
      [write('c.json', shardReport(1, { 'vm-a': host('ok') })), /VM vm-a is in both .*a\.json and .*c\.json/],
      [write('d.json', shardReport(0, { 'vm-d': host('ok') })), /a\.json and .*d\.json are both shard 0\/3/],
      [write('e.txt', 'no report here\n'), /e\.txt holds no meshvm report/],
    ]
    for (const [file, message] of cases) {
      const r = await runCli(['report', 'merge', a, file], {}, dir)
      assert.equal(r.code, 5, file)
      assert.match(r.stderr, message)
      assert.equal(existsSync(join(dir, '.meshvm')), false, 'nothing written')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
