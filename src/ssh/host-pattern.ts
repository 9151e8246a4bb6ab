// OpenSSH host patterns (ssh_config Host lines and known_hosts host fields): `*` and `?` wildcards, `!` negation.
import { globRegExp } from '../glob.js'

/** True when `name` matches at least one positive pattern and no negated one (OpenSSH match_pattern_list). */
export function matchHostPatterns(name: string, patterns: string[]): boolean {
  let matched = false
  for (const p of patterns) {
    const negated = p.startsWith('!')
    if (!globRegExp(negated ? p.slice(1) : p, { ignoreCase: true }).test(name)) continue
    if (negated) return false
    matched = true
  }
  return matched
}
