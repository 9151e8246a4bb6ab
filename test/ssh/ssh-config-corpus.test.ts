import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { SSH_KEYWORDS } from '../../src/ssh/config-keywords.js'

const COMPARE = new URL('./corpus-compare.js', import.meta.url).pathname

describe('ssh_config corpus (test/fixtures/ssh-config) against ssh -G', () => {
  // In a network namespace of its own: no name look-up of the canonicalization cases leaves the machine.
  const run = spawnSync('unshare', ['--net', '--', process.execPath, COMPARE], { encoding: 'utf8', timeout: 600_000 })
  const result = JSON.parse(run.stdout || '{}') as {
    files: number
    lookups: number
    refused: number
    builtinDiffs: string[]
    sshGDiffs: string[]
    corpusDir: string
  }

  it('ran: hundreds of look-ups in many files, some of which ssh refuses', () => {
    assert.equal(run.status, 0, run.stderr)
    assert.ok(result.files >= 50 && result.lookups >= 250 && result.refused >= 15, JSON.stringify(result))
  })

  it('the built-in reader resolves every look-up as ssh -G does (refusals included)', () => {
    assert.deepEqual(result.builtinDiffs, [])
    assert.equal(existsSync(join(result.corpusDir, 'must-not-run')), false, 'Match exec ran after a failed criterion')
  })

  it('resolving through ssh -G gives what ssh -G prints', () => {
    assert.deepEqual(result.sshGDiffs, [])
    rmSync(result.corpusDir, { recursive: true, force: true })
  })

  it('knows exactly the keywords ssh knows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshvm-keywords-'))
    const file = join(dir, 'keyword.conf')
    const refused = (keyword: string) => {
      writeFileSync(file, `Host never-matches\n  ${keyword} x\n`)
      const r = spawnSync('ssh', ['-G', '-F', file, 'h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      return /Bad configuration option/.test(r.stderr)
    }
    try {
      assert.deepEqual([...SSH_KEYWORDS].filter(refused), [])
      assert.deepEqual(['tag', 'identityfiles', 'proxyjumps', 'usr'].map(refused), [true, true, true, true])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
