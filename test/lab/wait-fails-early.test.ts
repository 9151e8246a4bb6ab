// On lab hosts: a VM whose istiod address refuses connections (ingressIP pointing nowhere) fails its XDS wait as soon
// as the agent's log keeps saying `connection refused`, with that line and what to check, not after the 120 s timeout;
// the --check plan of a fleet with one VM onboarded says "registered" for it and "would register" only for the other.
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
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
    fleet = await labFleet(2)
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
})
