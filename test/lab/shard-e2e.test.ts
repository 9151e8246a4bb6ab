// Sharded runs on real lab hosts and the lab cluster, as an Indexed Job's pods run them: n meshvm processes at once,
// each with JOB_COMPLETION_INDEX set and its own working directory, together cover the fleet exactly once; their pod
// logs merge into one report; with one shard failed (a VM down) or lost (no report), the merged failed list is what
// `--limit @failed` resumes.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { labIdOf } from '../../src/lab/hosts/index.js'
import { runStatus } from '../../src/lab/hosts/run.js'
import type { RunReport } from '../../src/report/index.js'
import { labSkipReason } from '../support/lab-hosts.js'
import { labFleet, type LabFleet } from '../support/lab-fleet.js'
import { runCli } from '../support/run-cli.js'

const SHARDS = 3
const BIN = resolve('bin/meshvm.js')

/** One pod: `meshvm <args> --shards 3` with JOB_COMPLETION_INDEX; its log is stdout and stderr as kubectl shows them. */
function pod(index: number, cwd: string, args: string[]): Promise<{ code: number | null; log: string; stdout: string }> {
  const child = spawn(process.execPath, [BIN, ...args, '--shards', String(SHARDS), '--output', 'plain', '--report', '-'], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, JOB_COMPLETION_INDEX: String(index) },
  })
  let log = ''
  let stdout = ''
  child.stdout.on('data', (d) => ((log += d), (stdout += d)))
  child.stderr.on('data', (d) => (log += d))
  return new Promise((done) => child.on('close', (code) => done({ code, log, stdout })))
}

describe('sharded runs over a lab fleet', { skip: labSkipReason, timeout: 600_000 }, () => {
  let fleet: LabFleet | undefined
  let dir: string
  let work: string
  let hosts: { name: string; address: string }[]
  const fleetArgs = () => ['-i', join(dir, 'inventory.yaml'), '--kubeconfig', join(dir, 'kubeconfig')]
  const podDir = (run: string, i: number) => {
    const d = join(work, run, `pod-${i}`)
    mkdirSync(d, { recursive: true })
    return d
  }
  const runPods = async (run: string, args: string[]) => {
    const pods = await Promise.all(Array.from({ length: SHARDS }, (_, i) => pod(i, podDir(run, i), args)))
    const logs = pods.map((p, i) => {
      const file = join(work, run, `shard-${i}.log`)
      writeFileSync(file, p.log)
      return file
    })
    return { pods, logs, reports: pods.map((p) => JSON.parse(p.stdout) as RunReport) }
  }

  before(async () => {
    work = mkdtempSync('/tmp/meshvm-shard-work-')
    fleet = await labFleet(5)
    dir = fleet.dir
    hosts = fleet.hosts
    assert.equal(hosts.length, 5)
  })
  after(async () => {
    rmSync(work, { recursive: true, force: true })
    await fleet?.down()
  })

  test('3 shard processes onboard the fleet together, each VM exactly once; the merge is one report of all 5', async () => {
    const { pods, logs, reports } = await runPods('onboard', ['onboard', ...fleetArgs()])
    pods.forEach((p, i) => assert.equal(p.code, 0, `shard ${i}: ${p.log}`))
    assert.deepEqual(reports.map((r) => r.shard), [0, 1, 2].map((index) => ({ index, count: SHARDS })))
    const covered = reports.flatMap((r) => Object.keys(r.hosts))
    assert.deepEqual([...covered].sort(), hosts.map((h) => h.name).sort(), 'every VM once, none twice')
    for (const r of reports) for (const h of Object.values(r.hosts)) assert.equal(h.status, 'changed')

    const merged = await runCli(['report', 'merge', ...logs, '-i', join(dir, 'inventory.yaml')], {}, work)
    assert.equal(merged.code, 0, merged.stdout + merged.stderr)
    assert.match(merged.stdout, /^5 hosts in .*: ok=\d+ changed=\d+ unreachable=0 failed=0/m)
    const report = JSON.parse(readFileSync(join(work, '.meshvm', 'last-run.json'), 'utf8')) as RunReport
    assert.deepEqual(Object.keys(report.hosts).sort(), hosts.map((h) => h.name).sort())
    assert.deepEqual(report.shards, { count: SHARDS, reported: [0, 1, 2] })

    // the same slice from outside a Job: --shard 1/3
    const one = await runCli(['verify', ...fleetArgs(), '--shard', '1/3', '--output', 'plain', '--report', join(work, 'one.json')], {}, work)
    assert.equal(one.code, 0, one.stdout)
    const sliced = JSON.parse(readFileSync(join(work, 'one.json'), 'utf8')) as RunReport
    assert.deepEqual(Object.keys(sliced.hosts), Object.keys(reports[1].hosts))
  })

  test('one shard failed (a VM down) and one lost: the merged failed list is what --limit @failed resumes', async () => {
    const down = hosts[2]
    const netns = `mvlab-${labIdOf(dir)}-${down.name}`
    const rule = ['INPUT', '-p', 'tcp', '--dport', '22', '-j', 'REJECT', '--reject-with', 'tcp-reset']
    assert.equal((await runStatus('ip', ['netns', 'exec', netns, 'iptables', '-I', ...rule])).code, 0)
    const { pods, logs, reports } = await runPods('verify', ['verify', ...fleetArgs()])
    const failedShard = reports.findIndex((r) => down.name in r.hosts)
    assert.equal(pods[failedShard].code, 4, 'the shard with the down VM: unreachable')
    pods.forEach((p, i) => i !== failedShard && assert.equal(p.code, 0, `shard ${i}: ${p.log}`))

    const merged = await runCli(['report', 'merge', ...logs], {}, work)
    assert.equal(merged.code, 4, merged.stdout + merged.stderr)
    assert.equal(readFileSync(join(work, '.meshvm', 'failed'), 'utf8'), `${down.name}\n`)

    // a lost shard (its pod left no log): with -i, its VMs are listed as not run
    const lost = (failedShard + 1) % SHARDS
    const kept = logs.filter((_, i) => i !== lost)
    const partial = await runCli(['report', 'merge', ...kept, '-i', join(dir, 'inventory.yaml')], {}, work)
    assert.equal(partial.code, 2)
    assert.match(partial.stderr, new RegExp(`^shard ${lost}/${SHARDS}: no report$`, 'm'))
    const expected = [down.name, ...Object.keys(reports[lost].hosts)].sort()
    assert.deepEqual(readFileSync(join(work, '.meshvm', 'failed'), 'utf8').trim().split('\n').sort(), expected)

    assert.equal((await runStatus('ip', ['netns', 'exec', netns, 'iptables', '-D', ...rule])).code, 0)
    const resumed = await runCli(['verify', ...fleetArgs(), '--limit', '@failed', '--output', 'plain'], {}, work)
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    const report = JSON.parse(readFileSync(join(work, '.meshvm', 'last-run.json'), 'utf8')) as RunReport
    assert.deepEqual(Object.keys(report.hosts).sort(), expected)
  })
})
