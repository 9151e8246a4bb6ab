// On lab hosts: a VM whose istiod address refuses connections (ingressIP pointing nowhere) fails its XDS wait as soon
// as the agent's log keeps saying `connection refused`, with that line and what to check, not after the 120 s timeout;
// the --check plan of a fleet with one VM onboarded says "registered" for it and "would register" only for the other.
// While a wait waits, its output shows the agent's latest log line (the token in one masked), and a package of a few
// MiB its upload's progress.
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import type { RunEvent } from '../../src/executor/events.js'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { labSkipReason } from '../support/lab-hosts.js'
import { labFleet, type LabFleet } from '../support/lab-fleet.js'
import { runCli } from '../support/run-cli.js'

/** A multi-line RegExp from a template (raw: backslashes as written), names substituted. */
const rx = (parts: TemplateStringsArray, ...names: string[]) => new RegExp(String.raw(parts, ...names), 'm')

describe('the XDS wait and the plan on lab hosts', { skip: labSkipReason, timeout: 600_000 }, () => {
  let fleet: LabFleet | undefined
  before(async () => {
    // a package of a few MiB: its upload takes long enough to be seen going
    fleet = await labFleet(2, ['--payload-mib', '4'])
  })
  after(async () => {
    await fleet?.down()
  })

  test('a refused istiod address fails the wait early with the log line and a hint', async () => {
    const f = fleet!
    const [a, b] = f.hosts.map((h) => h.name)
    // the second VM's istiod address is its own loopback: nothing listens on 15012 there, so every connect is refused
    const inventory = join(f.dir, 'inventory-refused.yaml')
    const text = readFileSync(f.inventory, 'utf8').replace(new RegExp(`^( {2}${b}:\n)`, 'm'), '$1    ingressIP: 127.0.0.1\n')
    assert.notEqual(text, readFileSync(f.inventory, 'utf8'))
    writeFileSync(inventory, text)
    const started = Date.now()
    const r = await runCli(
      ['onboard', '-i', inventory, '--kubeconfig', join(f.dir, 'kubeconfig'), '--output', 'plain'],
      {},
      f.dir,
    )
    const took = (Date.now() - started) / 1000
    assert.equal(r.code, 2, r.stdout + r.stderr)
    // the agent retries every 10 s (systemd's RestartSec): the third refusal comes about 20 s after the start
    assert.ok(took < 90, `failed after ${took} s, not at the 120 s timeout`)
    assert.match(
      r.stdout,
      /Wait for the XDS connection: failed .*: gave up waiting for 'connected to upstream XDS server' .*says "connection refused" 3 times since istio started; the last:\n.*connection refused\n\s+hint: nothing accepts connections at istiod's address from the VM: check the inventory's ingressIP/,
    )
    assert.match(r.stdout, new RegExp(`^.*Z ${b} \\[\\d+/\\d+\\] Wait for the XDS connection: failed`, 'm'))
    assert.match(r.stdout, new RegExp(`^.*Z ${a} changed: `, 'm'), 'the other VM onboards')
    const lines = r.stdout.split('\n')
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l))
    for (const vm of [a, b]) {
      // the wait showed the agent's own line (stamped, tab-separated fields as spaces) before it ended; a VM that
      // connects at once may show only its first line, at any level (the lab agent's TLS check logs at debug)
      const shown = at(new RegExp(`^\\S+Z ${vm} \\[\\d+/\\d+\\] Wait for the XDS connection: log: \\S+Z (debug|info|warn|error) \\S+ `))
      const ended = at(new RegExp(`^\\S+Z ${vm} \\[\\d+/\\d+\\] Wait for the XDS connection: (ok|failed)`))
      assert.ok(shown >= 0 && shown < ended, `${vm}: a log line before the wait's end:\n${r.stdout}`)
      // the upload, at most at 25, 50 and 75 %, before the step's own line
      const upload = new RegExp(`^\\S+Z ${vm} \\[\\d+/\\d+\\] Install the istio-sidecar package: uploaded [\\d.]+ of ([\\d.]+) MiB \\((\\d+)%\\)$`)
      const told = lines.filter((l) => upload.test(l)).map((l) => Number(upload.exec(l)![2]))
      assert.ok(told.length >= 1 && told.length <= 3, `${vm}: upload lines ${told}:\n${r.stdout}`)
      assert.deepEqual(told, [...told].sort((x, y) => x - y), 'the percentages only grow')
      assert.ok(told.every((p) => p >= 25 && p < 100))
      const installed = at(new RegExp(`^\\S+Z ${vm} \\[\\d+/\\d+\\] Install the istio-sidecar package: changed`))
      assert.ok(lines.every((l, i) => !upload.test(l) || i < installed), 'every upload line before the step ended')
    }
  })

  test('--check after that: registered for the first VM, would register for the second (not both)', async () => {
    const f = fleet!
    const [a, b] = f.hosts.map((h) => h.name)
    const r = await f.meshvm('onboard', '--check', '--output', 'plain')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const plan = r.stdout.slice(r.stdout.indexOf('Plan for 2 VM(s)'))
    assert.match(plan, rx`^ {2}= WorkloadEntry registered: WorkloadEntry lab-apps\/lab-vm-<ip> registered by istiod — 1 VM: ${a}$`)
    assert.match(plan, rx`^ {2}- WorkloadEntry registered: would wait for istiod to register .* — 1 VM: ${b}$`)
    assert.match(plan, rx`^ {2}~ .* — 1 VM: ${b}$`, 'the second VM has changes to make')
    assert.doesNotMatch(plan, rx`^ {2}~ .*${a}$`, 'the first has none')
    assert.match(plan, /^1 VM\(s\) would change, 1 already right\.$/m)
  })
  test('--output json: the upload and the wait as step-progress events, a token in the log masked', async () => {
    const f = fleet!
    const b = f.hosts[1]!.name
    const big = join(f.dir, 'big.txt')
    writeFileSync(big, 'meshvm\n'.repeat(3 * 1024 * 1024 / 7))
    const playbook = join(f.dir, 'big-and-wait.yaml')
    writeFileSync(
      playbook,
      [
        'name: big-and-wait',
        'steps:',
        '  - name: Upload a large file',
        `    upload: { dest: /tmp/meshvm-big.txt, src: ${big}, mode: '0644' }`,
        '  - name: Wait for the XDS connection',
        '    wait-for-log:',
        '      { file: /var/log/istio/istio.log, pattern: connected to upstream XDS server, unit: istio, failAfter: 3 }',
        '',
      ].join('\n'),
    )
    // meanwhile something writes the VM's token into the agent's log, a line every 0.3 s (stamped as the agent does)
    const token = '/var/run/secrets/tokens/istio-token'
    const writer = f.ssh(
      b,
      `sudo sh -c 'for i in $(seq 1 40); do printf "%s\\tinfo\\ttest\\tline %s token=%s\\n" "$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)" $i "$(cat ${token})" >> /var/log/istio/istio.log; sleep 0.3; done'`,
    )
    const r = await f.meshvm('run', playbook, '--limit', b, '--output', 'json')
    await writer
    assert.equal(r.code, 2, r.stdout + r.stderr)
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as RunEvent)
    const progress = (name: string) =>
      events.filter((e): e is Extract<RunEvent, { type: 'step-progress' }> => e.type === 'step-progress' && e.name === name)
    const sent = progress('Upload a large file').map((e) => ('bytes' in e ? [e.bytes, e.total] : []))
    const total = Buffer.byteLength(readFileSync(big, 'utf8'))
    assert.ok(sent.length >= 2, JSON.stringify(sent))
    assert.deepEqual(sent.at(-1), [total, total], 'the last at the total')
    assert.ok(sent.every(([bytes], i) => i === 0 || bytes! > sent[i - 1]![0]!), 'the bytes only grow')
    const lines = progress('Wait for the XDS connection').map((e) => ('line' in e ? e.line : ''))
    assert.ok(lines.some((l) => /^\S+Z\tinfo\ttest\tline \d+ token=\*\*\*$/.test(l)), lines.join('\n'))
    // every one between the step's start and end
    const order = events.map((e) => ('name' in e && e.name === 'Wait for the XDS connection' ? e.type : ''))
    const first = order.indexOf('step-progress')
    assert.ok(order.indexOf('step-start') < first && order.lastIndexOf('step-progress') < order.indexOf('step-end'))
    const secret = (await f.ssh(b, `sudo cat ${token}`)).stdout.trim()
    assert.ok(secret.length > 100)
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'the token is never printed')
    assert.ok(!r.stdout.includes(secret.split('.')[2]!), 'nor its signature')
  })
})
