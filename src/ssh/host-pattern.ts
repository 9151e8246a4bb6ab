// OpenSSH's match.c: `*` and `?` wildcards; comma-separated lists with `!` negation.
import { globRegExp } from '../glob.js'

// A fleet's look-ups match the same few patterns thousands of times.
const compiled = new Map<string, RegExp>()

/** OpenSSH match_pattern: one pattern, case-sensitive (ssh_config `Host` lines). */
export function matchPattern(name: string, pattern: string): boolean {
  let re = compiled.get(pattern)
  if (!re) compiled.set(pattern, (re = globRegExp(pattern)))
  return re.test(name)
}

/** OpenSSH match_pattern_list: 1 when a positive pattern matches, -1 when a negated one does, else 0. */
export function matchPatternList(name: string, list: string, lowerPatterns: boolean): -1 | 0 | 1 {
  let matched: 0 | 1 = 0
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!')
    const pattern = negated ? raw.slice(1) : raw
    if (!matchPattern(name, lowerPatterns ? pattern.toLowerCase() : pattern)) continue
    if (negated) return -1
    matched = 1
  }
  return matched
}

/** OpenSSH match_hostname: a pattern list, case-insensitive (known_hosts names, `Match host`). */
export function matchHostname(host: string, list: string): boolean {
  return matchPatternList(host.toLowerCase(), list, true) === 1
}

/** True when `name` matches at least one positive pattern and no negated one (known_hosts host fields). */
export function matchHostPatterns(name: string, patterns: string[]): boolean {
  return matchHostname(name, patterns.join(','))
}
