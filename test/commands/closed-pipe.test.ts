// `meshvm … | head`: the reader goes away before meshvm writes. The output ends there; the command does not crash.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { test } from 'node:test'

const repo = new URL('../../../', import.meta.url).pathname
const bin = `${repo}bin/meshvm.js`

function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.destroy() // as `| head -0` would: nobody reads what meshvm writes
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stderr }))
  })
}

test('a closed stdout ends the output quietly: the exit code is the command’s own, no EPIPE stack', async () => {
  const manifest = await withClosedStdout(['renew', '--print-cronjob', '-i', 'inventory/example.yaml'])
  assert.equal(manifest.code, 0, manifest.stderr)
  assert.doesNotMatch(manifest.stderr, /EPIPE|at .*\.js:\d+/)
  const help = await withClosedStdout(['lab', '--help'])
  assert.equal(help.code, 0, help.stderr)
  assert.equal(help.stderr, '')
  const unknown = await withClosedStdout(['no-such-command'])
  assert.equal(unknown.code, 5, 'an input error keeps its exit code')
})
