// Runs the corpus comparison (built-in reader vs ssh -G, and meshvm's ssh -G path vs ssh -G) and prints the
// differences as JSON. ssh-config-corpus.test.ts runs it inside `unshare --net`, so the canonicalization cases'
// name look-ups fail at once instead of leaving the machine.
import { spawnSync } from 'node:child_process'
import { basename } from 'node:path'
import { resolveWithReader } from '../../src/ssh/config-resolve.js'
import { DUMP_KEYWORDS, parseSshG, type SshDump } from '../../src/ssh/ssh-dump.js'
import { resolveWithSshG, sshGArgs } from '../../src/ssh/ssh-g.js'
import { corpusDir, corpusLookups, type Lookup } from './corpus.js'

process.env.MESHVM_CORPUS_DIR = corpusDir

type Outcome = SshDump | 'refused'

/** The oracle: what ssh -G prints for the look-up, or that it refuses. */
function oracle(lookup: Lookup): Outcome {
  const r = spawnSync('ssh', sshGArgs(lookup.input), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  return r.status === 0 ? parseSshG(r.stdout) : 'refused'
}

function builtin(lookup: Lookup): Outcome {
  try {
    return resolveWithReader(lookup.input)
  } catch {
    return 'refused'
  }
}

function differences(lookup: Lookup, got: Outcome, want: Outcome): string[] {
  const name = `${basename(lookup.file)}: ssh -G ${lookup.args.join(' ')}`
  const said = (o: Outcome) => (o === 'refused' ? 'refuses' : 'accepts')
  if (want === 'refused' || got === 'refused')
    return got === want ? [] : [`${name}: ssh ${said(want)}, meshvm ${said(got)}`]
  const show = (d: SshDump, k: string) => JSON.stringify(d[k] ?? [])
  return DUMP_KEYWORDS.filter((k) => show(got, k) !== show(want, k)).map(
    (k) => `${name}: ${k}: ssh ${show(want, k)}, meshvm ${show(got, k)}`,
  )
}

const lookups = corpusLookups()
const builtinDiffs: string[] = []
const sshGDiffs: string[] = []
let refused = 0
for (const l of lookups) {
  const want = oracle(l)
  if (want === 'refused') refused++
  builtinDiffs.push(...differences(l, builtin(l), want))
  sshGDiffs.push(...differences(l, await resolveWithSshG(l.input).catch(() => 'refused' as const), want))
}
const files = new Set(lookups.map((l) => l.file)).size
console.log(JSON.stringify({ files, lookups: lookups.length, refused, builtinDiffs, sshGDiffs, corpusDir }))
