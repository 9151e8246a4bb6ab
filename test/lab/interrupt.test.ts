// Ctrl-C and SIGTERM during a fleet run on lab hosts, through the real executable: no VM and no step starts after the
// signal, the step running ends, "interrupted" is said, the report and the failed list name every VM not done, the
// exit code is 130/143; a re-run with --limit @failed finishes exactly those. A second signal stops at once.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { runStatus } from '../../src/lab/hosts/run.js'
import { sshArgs } from '../../src/lab/hosts/ssh-login.js'
import { labSkipReason } from '../support/lab-hosts.js'
import { labFleet, type LabFleet } from '../support/lab-fleet.js'

const bin = new URL('../../../bin/meshvm.js', import.meta.url).pathname

const playbook = (sleep: number) => `name: slow
steps:
  - name: Mark start
    command: { cmd: 'touch /var/tmp/mark-started', creates: /var/tmp/mark-started }
  - name: Sleep
    command: { cmd: 'sleep ${sleep} && touch /var/tmp/mark-slept', creates: /var/tmp/mark-slept }
  - name: After
    command: { cmd: 'touch /var/tmp/mark-after', creates: /var/tmp/mark-after }
`

interface Run {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

describe('interrupting a fleet run', { skip: labSkipReason, timeout: 300_000 }, () => {
  let fleet: LabFleet | undefined
  let dir: string
  let cwd: string
  let hosts: { name: string; address: string }[]
  const marks = async (address: string) =>
    (await runStatus('ssh', [...sshArgs({ address, user: 'admin', keyFile: join(dir, 'id_ed25519'), knownHostsFile: join(dir, 'known_hosts') }), 'ls /var/tmp'])).stdout
      .split('\n')
      .filter((l) => l.startsWith('mark-'))
      .sort()

  /** Runs meshvm; `signals` are sent once stdout shows `when`, `gapMs` apart. */
  function meshvm(args: string[], when?: RegExp, signals: NodeJS.Signals[] = [], gapMs = 0): Promise<Run> {
    return new Promise((resolve) => {
      const started = Date.now()
      const child = spawn(process.execPath, [bin, ...args, '-i', join(dir, 'inventory.yaml'), '--kubeconfig', join(dir, 'kubeconfig'), '--output', 'plain', '-v'], { cwd })
      let stdout = ''
      let stderr = ''
      let sent = false
      child.stdout.on('data', (d) => {
        stdout += d
        if (!sent && when?.test(stdout)) {
          sent = true
          signals.forEach((s, i) => setTimeout(() => child.kill(s), i * gapMs))
        }
      })
      child.stderr.on('data', (d) => (stderr += d))
      const guard = setTimeout(() => child.kill('SIGKILL'), 120_000)
      child.on('close', (code) => {
        clearTimeout(guard)
        resolve({ code, stdout, stderr, ms: Date.now() - started })
      })
    })
  }

  before(async () => {
    cwd = mkdtempSync('/tmp/meshvm-interrupt-')
    fleet = await labFleet(3)
    dir = fleet.dir
    hosts = fleet.hosts
  })
  after(async () => {
    rmSync(cwd, { recursive: true, force: true })
    await fleet?.down()
  })

  test('Ctrl-C: the running step ends, nothing else starts, report and failed list name every VM not done, exit 130; a re-run finishes them', async () => {
    writeFileSync(join(cwd, 'slow.yaml'), playbook(3))
    const [first, second, third] = hosts.map((h) => h.name)
    const r = await meshvm(['run', 'slow.yaml', '--forks', '1'], new RegExp(`${first} \\[2/3\\] Sleep \\.\\.\\.`), ['SIGINT'])
    assert.equal(r.code, 130, r.stdout + r.stderr)
    assert.match(r.stderr, /^interrupted \(SIGINT\): no new VM or step starts; the steps running now finish; Ctrl-C again stops at once$/m)
    assert.match(r.stderr, /^interrupted \(SIGINT\)$/m)
    assert.match(r.stdout, new RegExp(`${first} \\[2/3\\] Sleep: changed`), 'the step that was running ended')
    assert.deepEqual(await marks(hosts[0]!.address), ['mark-slept', 'mark-started'], 'and no step after it started')
    for (const h of hosts.slice(1)) assert.deepEqual(await marks(h.address), [], `${h.name} was never started`)

    const report = JSON.parse(readFileSync(join(cwd, '.meshvm', 'last-run.json'), 'utf8'))
    assert.equal(report.hosts[first].status, 'failed')
    assert.equal(report.hosts[first].errorKind, 'interrupted')
    assert.match(report.hosts[first].msg, /interrupted before step 3 "After"/)
    assert.equal(report.hosts[second].status, 'not-run')
    assert.equal(report.hosts[third].status, 'not-run')
    assert.deepEqual(readFileSync(join(cwd, '.meshvm', 'failed'), 'utf8').trim().split('\n'), [first, second, third])
    assert.match(r.stderr, /3 VM\(s\) not done; resume them with: meshvm run slow\.yaml --forks 1 -i \S+ --kubeconfig \S+ --output plain -v --limit @failed/)
    assert.match(r.stdout, /^RECAP slow$/m, 'the recap still printed')

    const again = await meshvm(['run', 'slow.yaml', '--limit', '@failed'])
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stdout, new RegExp(`${first} \\[2/3\\] Sleep: ok`), 'what was done is not done twice')
    for (const h of hosts) assert.deepEqual(await marks(h.address), ['mark-after', 'mark-slept', 'mark-started'], h.name)
  })

  test('SIGTERM exits 143; a second signal stops at once, without waiting for the running step', async () => {
    writeFileSync(join(cwd, 'slower.yaml'), playbook(30).replaceAll('mark-', 'mark2-'))
    const r = await meshvm(['run', 'slower.yaml'], /\[2\/3\] Sleep \.\.\./, ['SIGTERM', 'SIGTERM'], 500)
    assert.equal(r.code, 143, r.stdout + r.stderr)
    assert.match(r.stderr, /^interrupted \(SIGTERM\): .*a second signal stops at once$/m)
    assert.match(r.stderr, /^interrupted again \(SIGTERM\): stopping now, without the report$/m)
    assert.ok(r.ms < 20_000, `stopped at once, not after the 30 s step (${r.ms} ms)`)
  })
})
