// Resolution through the OpenSSH client itself: `ssh -G` prints the settings ssh would use (Match exec, Include,
// canonicalization and all), so meshvm asks it whenever ssh is installed. Results are cached per argument list.
import { execFile, spawnSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { availableParallelism, homedir } from 'node:os'
import { SshConfigError } from './config-lexer.js'
import type { ResolveInput } from './config-resolve.js'
import { Limiter } from './limiter.js'
import { parseSshG, type SshDump } from './ssh-dump.js'

const SSH_G_TIMEOUT_MS = 30_000
// ssh -G is CPU-bound and takes ~5 ms: a few per core keep a 1,000-VM fleet's lookups at about a second.
const lookups = new Limiter(Math.max(2, availableParallelism() * 2))
const cache = new Map<string, Promise<SshDump>>()

let installed: boolean | undefined

/** True when an OpenSSH client that supports -G is on PATH. */
export function hasSshG(): boolean {
  installed ??= spawnSync('ssh', ['-G', '-F', 'none', 'localhost'], { stdio: 'ignore' }).status === 0
  return installed
}

/** The `ssh -G` arguments for `input`, as ssh would be called with -F/-l/-p/-i/-J. */
export function sshGArgs(input: ResolveInput): string[] {
  return [
    '-G',
    ...(input.configFile !== undefined ? ['-F', input.configFile] : []),
    ...(input.user ? ['-l', input.user] : []),
    ...(input.port ? ['-p', String(input.port)] : []),
    ...(input.identityFile ? ['-i', input.identityFile] : []),
    ...(input.proxyJump ? ['-J', input.proxyJump] : []),
    '--',
    input.host,
  ]
}

function run(args: string[]): Promise<SshDump> {
  return new Promise((resolve, reject) => {
    const child = execFile('ssh', args, { timeout: SSH_G_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(parseSshG(stdout))
      const why = stderr
        .split('\n')
        .filter((l) => l && !/Pseudo-terminal will not be allocated/.test(l))
        .join('; ')
      reject(new SshConfigError(undefined, `ssh ${args.join(' ')}: ${why || err.message}`))
    })
    child.stdin?.end()
  })
}

function stamp(file: string): string {
  try {
    const st = statSync(file)
    return `${st.size}:${st.mtimeMs}`
  } catch {
    return 'missing'
  }
}

/** What `ssh -G` prints for `input` (the keywords meshvm reads). Throws SshConfigError where ssh refuses. */
export function resolveWithSshG(input: ResolveInput): Promise<SshDump> {
  const args = sshGArgs(input)
  // An edited config file is read again (Included files are not watched).
  const files =
    input.configFile !== undefined ? [input.configFile] : [`${homedir()}/.ssh/config`, '/etc/ssh/ssh_config']
  const key = JSON.stringify([args, files.map(stamp)])
  let found = cache.get(key)
  if (!found) {
    found = lookups.run(() => run(args))
    found.catch(() => cache.delete(key))
    cache.set(key, found)
  }
  return found
}
