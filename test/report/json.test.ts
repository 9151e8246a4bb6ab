import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ExitError } from '../../src/errors.js'
import type { RunEvent } from '../../src/executor/events.js'
import { createReporter, failedHosts, ReportCollector, writeReport, type RunReport } from '../../src/report/index.js'
import { hostsDiff, memoryStream, scriptedRun, t0, token } from './fixture.js'

function collect(events: RunEvent[]): RunReport {
  const c = new ReportCollector()
  for (const e of events) c.listener(e)
  return c.report()
}

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meshvm-report-'))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

test('--output json: one parseable JSON event per line, every event, token masked', async () => {
  const mem = memoryStream()
  const r = createReporter('json', { stream: mem.stream, secrets: [token] })
  const events = scriptedRun()
  for (const e of events) r.listener(e)
  await r.done()
  const text = mem.text()
  assert.ok(!text.includes(token.reveal()))
  const parsed = text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as RunEvent)
  assert.equal(parsed.length, events.length)
  assert.deepEqual(
    parsed.map((e) => e.type),
    events.map((e) => e.type),
  )
  const failed = parsed.find((e) => e.type === 'step-end' && e.result.status === 'failed')
  assert.equal(failed?.type === 'step-end' && failed.result.msg, 'no XDS line in 30s; token *** rejected')
  const withDiff = parsed.find((e) => e.type === 'step-end' && e.result.diff)
  assert.deepEqual(withDiff?.type === 'step-end' && withDiff.result.diff, hostsDiff)
})

test('report: per-host tally and step results, run times and check flag, from events only', () => {
  const report = collect(scriptedRun())
  assert.equal(report.playbook, 'onboard.yaml')
  assert.equal(report.check, false)
  assert.equal(report.start, new Date(t0).toISOString())
  assert.ok(report.end && report.durationMs && Date.parse(report.end) - t0 === report.durationMs)
  const { hosts } = report
  assert.deepEqual(Object.keys(hosts), ['vm-1', 'vm-2', 'vm-3', 'vm-10', 'retried'])
  const tally = (n: string) => {
    const { ok, changed, failed, skipped, unreachable, status } = hosts[n]
    return { status, ok, changed, failed, skipped, unreachable }
  }
  assert.deepEqual(tally('vm-1'), { status: 'changed', ok: 2, changed: 3, failed: 0, skipped: 0, unreachable: 0 })
  assert.deepEqual(tally('vm-2'), { status: 'unreachable', ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 1 })
  assert.deepEqual(tally('vm-3'), { status: 'failed', ok: 4, changed: 0, failed: 1, skipped: 0, unreachable: 0 })
  assert.deepEqual(tally('vm-10'), { status: 'ok', ok: 4, changed: 0, failed: 0, skipped: 1, unreachable: 0 })
  assert.deepEqual(hosts['vm-1'].steps[3], {
    index: 3,
    kind: 'hosts-block',
    name: 'Hosts entries',
    status: 'changed',
    msg: 'block added',
    diff: hostsDiff,
    ms: 30,
  })
  assert.equal(hosts['vm-2'].msg, 'ssh: connect ECONNREFUSED 198.18.0.12:22')
  assert.deepEqual(hosts.retried.retries, [{ attempt: 2, msg: 'ssh: connection reset' }])
  assert.equal(hosts.retried.steps.length, 1)
  assert.deepEqual(report.totals, { ok: 11, changed: 3, failed: 1, skipped: 1, unreachable: 1 })
})

test('failedHosts: failed, unreachable, and hosts a stopped run never finished', () => {
  assert.deepEqual(failedHosts(collect(scriptedRun())), ['vm-2', 'vm-3'])
  // Stopped (--max-fail) after vm-3 ended: vm-10 started but never ended, retried never started.
  const events = scriptedRun()
  const stop = events.findIndex((e) => e.type === 'step-end' && e.host === 'vm-10')
  const report = collect([...events.slice(0, stop + 1), events.at(-1)!])
  assert.equal(report.hosts['vm-10'].status, 'not-run')
  assert.equal(report.hosts['vm-10'].ok, 1, 'the steps it did are kept')
  assert.deepEqual(failedHosts(report), ['vm-2', 'vm-3', 'vm-10', 'retried'])
})

test('writeReport: JSON file written by rename, no temp file left, secrets masked', async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, 'report.json')
    await writeFile(file, 'old report')
    const report = collect(scriptedRun())
    await writeReport(file, report, [token])
    const text = await readFile(file, 'utf8')
    assert.ok(!text.includes(token.reveal()))
    const back = JSON.parse(text) as RunReport
    assert.equal(back.hosts['vm-3'].steps[4].msg, 'no XDS line in 30s; token *** rejected')
    assert.deepEqual(back.totals, report.totals)
    assert.deepEqual(await readdir(dir), ['report.json'])
  })
})

test('writeReport: a directory that does not exist is a clear error, and leaves nothing behind', async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, 'missing', 'report.json')
    await assert.rejects(writeReport(file, collect(scriptedRun())), (err: Error) => {
      assert.ok(err instanceof ExitError)
      assert.match(err.message, /cannot write the report .*missing\/report\.json/)
      return true
    })
    assert.deepEqual(await readdir(dir), [])
  })
})
