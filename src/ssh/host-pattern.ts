// OpenSSH host patterns (ssh_config Host lines and known_hosts host fields): `*` and `?` wildcards, `!` negation.

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${body}$`, 'i')
}

/** True when `name` matches at least one positive pattern and no negated one (OpenSSH match_pattern_list). */
export function matchHostPatterns(name: string, patterns: string[]): boolean {
  let matched = false
  for (const p of patterns) {
    const negated = p.startsWith('!')
    if (!globToRegExp(negated ? p.slice(1) : p).test(name)) continue
    if (negated) return false
    matched = true
  }
  return matched
}
