// `meshvm status` at the front door: help, and bad input refused (exit 5) before any SSH connection or cluster call.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCli } from '../support/run-cli.js'

test('status --help names the outputs, the exit codes and examples; main --help lists status', async () => {
  const h = await runCli(['status', '--help'])
  assert.equal(h.code, 0)
  assert.match(h.stdout, /^Usage: meshvm status -i INVENTORY/)
  assert.match(h.stdout, /--output <value> +table \(default\) \| json \| prometheus/)
  assert.match(h.stdout, /Examples:\n {2}meshvm status -i inventory\/example\.yaml\n/)
  assert.match(
    h.stdout,
    /Exit codes: 0 every VM ok; 2 a VM is broken; 4 a VM is unreachable \(none broken\); 3 a VM needs attention\./,
  )
  assert.match((await runCli(['--help'])).stdout, /\n {2}status +the fleet as it is[^\n]*\n +e\.g\. meshvm status -i/)
})

test('bad flags and a bad inventory exit 5 and contact nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-status-cmd-'))
  try {
    // an address nothing listens on: any contact attempt would fail differently (exit 4 or 1), not 5
    const inventory = join(dir, 'inv.yaml')
    writeFileSync(inventory, 'vms:\n  vm1: { address: 127.0.0.9, app: a, namespace: n, serviceAccount: s }\n')
    const xml = await runCli(['status', '-i', inventory, '--output', 'xml'])
    assert.equal(xml.code, 5)
    assert.match(xml.stderr, /--output: expected table, json, prometheus, not "xml"/)
    const prom = await runCli(['status', '-i', inventory, '--prometheus-file', join(dir, 'meshvm.txt')])
    assert.equal(prom.code, 5)
    assert.match(prom.stderr, /--prometheus-file: the textfile collector reads only \*\.prom files/)
    const none = await runCli(['status'])
    assert.equal(none.code, 5)
    assert.match(none.stderr, /expecting an inventory: -i INVENTORY/)
    writeFileSync(inventory, 'vms:\n  vm1: { adress: 127.0.0.9 }\n')
    const bad = await runCli(['status', '-i', inventory])
    assert.equal(bad.code, 5)
    assert.match(bad.stderr, /inv\.yaml:2:\d+/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
