// --shard and --shards come to every fleet command from one place (commands/fleet-flags.ts), checked before any
// connection or cluster request.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCli } from '../support/run-cli.js'

test('every fleet command takes --shard and --shards, and refuses a bad one before contacting anything (exit 5)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-shard-flags-'))
  try {
    const inventory = join(dir, 'fleet.yaml')
    writeFileSync(inventory, 'defaults: { app: web, namespace: apps }\nvms:\n  vm-1: { address: 198.18.0.1 }\n')
    const kubeconfig = join(dir, 'no-such-kubeconfig')
    for (const command of [
      ['onboard'],
      ['verify'],
      ['offboard', '--yes'],
      ['run', 'playbooks/verify.yaml'],
      ['status'],
    ]) {
      const base = [...command, '-i', inventory, '--kubeconfig', kubeconfig]
      const bad = await runCli([...base, '--shard', '3/3'], {}, dir)
      assert.equal(bad.code, 5, `${command[0]}: ${bad.stderr}`)
      assert.match(bad.stderr, /--shard 3\/3: the shard index must be a whole number 0-2/)
      const noIndex = await runCli([...base, '--shards', '3'], {}, dir)
      assert.equal(noIndex.code, 5, command[0])
      assert.match(noIndex.stderr, /JOB_COMPLETION_INDEX is not set/)
      const help = await runCli([command[0], '--help'])
      assert.match(help.stdout, /--shard <value>/, `${command[0]} --help lists --shard`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
