import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { after, describe, it } from 'node:test'
import { SSH_KEYWORDS } from '../../src/ssh/config-keywords.js'
import { resolveWithReader } from '../../src/ssh/config-resolve.js'
import { resolveWithSshG, sshGArgs } from '../../src/ssh/ssh-g.js'
import { DUMP_KEYWORDS, parseSshG, type SshDump } from '../../src/ssh/ssh-dump.js'
import { corpusDir, corpusLookups, type Lookup } from './corpus.js'

process.env.MESHVM_CORPUS_DIR = corpusDir

/** The oracle: what ssh -G prints for the look-up, or that it refuses. */
function oracle(lookup: Lookup): SshDump | 'refused' {
  const r = spawnSync('ssh', sshGArgs(lookup.input), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  return r.status === 0 ? parseSshG(r.stdout) : 'refused'
}

function builtin(lookup: Lookup): SshDump | 'refused' {
  try {
    return resolveWithReader(lookup.input)
  } catch {
    return 'refused'
  }
}

function differences(lookup: Lookup, got: SshDump | 'refused', want: SshDump | 'refused'): string[] {
  const name = `${basename(lookup.file)}: ssh -G ${lookup.args.join(' ')}`
  if (want === 'refused' || got === 'refused')
    return got === want
      ? []
      : [
          `${name}: ssh ${want === 'refused' ? 'refuses' : 'accepts'}, meshvm ${got === 'refused' ? 'refuses' : 'accepts'}`,
        ]
  return DUMP_KEYWORDS.filter((k) => JSON.stringify(got[k] ?? []) !== JSON.stringify(want[k] ?? [])).map(
    (k) => `${name}: ${k}: ssh ${JSON.stringify(want[k] ?? [])}, meshvm ${JSON.stringify(got[k] ?? [])}`,
  )
}

describe('ssh_config corpus against ssh -G', () => {
  after(() => rmSync(corpusDir, { recursive: true, force: true }))
  const lookups = corpusLookups()

  it('has hundreds of look-ups, some refused by ssh', () => {
    assert.ok(lookups.length >= 150, `${lookups.length} look-ups`)
  })

  it('the built-in reader resolves every look-up as ssh -G does', () => {
    const diffs = lookups.flatMap((l) => differences(l, builtin(l), oracle(l)))
    assert.deepEqual(diffs, [])
    assert.equal(existsSync(join(corpusDir, 'must-not-run')), false, 'Match exec ran after a failed criterion')
  })

  it('resolving through ssh -G gives what ssh -G prints', async () => {
    for (const l of lookups) {
      const want = oracle(l)
      const got = await resolveWithSshG(l.input).catch(() => 'refused' as const)
      assert.deepEqual(differences(l, got, want), [])
    }
  })

  it('knows exactly the keywords ssh knows', () => {
    const file = join(corpusDir, 'keyword.conf')
    const refused = (keyword: string) => {
      writeFileSync(file, `Host never-matches\n  ${keyword} x\n`)
      const r = spawnSync('ssh', ['-G', '-F', file, 'h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      return /Bad configuration option/.test(r.stderr)
    }
    assert.deepEqual([...SSH_KEYWORDS].filter(refused), [])
    assert.deepEqual(['tag', 'identityfiles', 'proxyjumps', 'usr'].map(refused), [true, true, true, true])
  })
})
