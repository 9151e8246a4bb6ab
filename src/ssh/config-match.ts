// `Host` and `Match` lines as readconf.c evaluates them (oHost, match_cfg_line).
import { spawnSync } from 'node:child_process'
import { type ConfigLine, nextWord, SshConfigError } from './config-lexer.js'
import type { ConfigSettings } from './config-options.js'
import { expandMatchExec, localIdentity } from './config-tokens.js'
import { matchHostname, matchPattern, matchPatternList } from './host-pattern.js'

/** What a Host or Match line is matched against. */
export interface MatchState {
  /** Host lines: the name as given (first pass), the final host name (final pass). */
  host: string
  /** The name as given. */
  originalHost: string
  /** The final pass (after canonicalization or because a `Match final` asked for one). */
  finalPass: boolean
  /** Set when a `Match final` is seen in the first pass. */
  wantFinal: boolean
}

/** oHost: any positive pattern matches and no negated one (case-sensitive). */
export function matchHostLine(line: ConfigLine, host: string): boolean {
  let active = false
  for (const arg of line.args) {
    if (arg === '') throw new SshConfigError(line, `keyword host empty argument`)
    const negated = arg.startsWith('!')
    if (!matchPattern(host, negated ? arg.slice(1) : arg)) continue
    if (negated) return false
    active = true
  }
  return active
}

function runShell(command: string): boolean {
  const shell = process.env.SHELL || '/bin/sh'
  const r = spawnSync(shell, ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] })
  if (r.error) throw r.error
  return r.status === 0
}

/** match_cfg_line: true when every criterion holds; `exec` commands run only while the others still hold. */
export function matchLine(line: ConfigLine, settings: ConfigSettings, state: MatchState): boolean {
  const me = localIdentity()
  const port = settings.port ?? 22
  const user = settings.user ?? me.user
  const host = state.finalPass
    ? settings.hostName!
    : settings.hostName !== undefined
      ? settings.hostName.replace(/%h/g, state.originalHost)
      : state.originalHost
  let result = true
  let attributes = 0
  let rest = line.rest
  for (let word = nextWord(rest); word && word[0] !== ''; word = nextWord(rest)) {
    const [attribute] = word
    rest = word[1]
    if (attribute.startsWith('#')) break
    const negate = attribute.startsWith('!')
    const name = (negate ? attribute.slice(1) : attribute).toLowerCase()
    if (name === 'all') {
      const more = nextWord(rest)
      if (attributes > 0 || (more && more[0] !== '' && !more[0].startsWith('#'))) {
        throw new SshConfigError(line, `'${attribute}' cannot be combined with other Match attributes`)
      }
      return result && !negate
    }
    attributes++
    if (name === 'canonical' || name === 'final') {
      if (name === 'final' && !state.finalPass) state.wantFinal = true
      if (state.finalPass === negate) result = false
      continue
    }
    const arg = nextWord(rest)
    if (!arg || arg[0] === '' || arg[0].startsWith('#'))
      throw new SshConfigError(line, `Missing Match criteria for ${attribute}`)
    rest = arg[1]
    let hit: boolean
    if (name === 'host') hit = matchHostname(host, arg[0])
    else if (name === 'originalhost') hit = matchHostname(state.originalHost, arg[0])
    else if (name === 'user') hit = matchPatternList(user, arg[0], false) === 1
    else if (name === 'localuser') hit = matchPatternList(me.user, arg[0], false) === 1
    else if (name === 'exec') {
      if (!result) continue
      const values = { host, originalHost: state.originalHost, user, port, keyAlias: settings.hostKeyAlias ?? host }
      hit = runShell(expandMatchExec(arg[0], values))
    } else throw new SshConfigError(line, `Unsupported Match attribute ${attribute}`)
    if (hit === negate) result = false
  }
  return result
}
