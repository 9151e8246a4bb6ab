// Include's glob(3) (GLOB_TILDE, no GLOB_PERIOD): `*`, `?` and [...] per path component, dotfiles only when the
// pattern starts with '.', results sorted bytewise.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function componentRegExp(pattern: string): RegExp {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end < 0) re += '\\['
      else {
        const body = pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')
        re += `[${body}]`
        i = end
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&')
  }
  return new RegExp(`^${re}$`, 's')
}

const hasMagic = (s: string) => /[*?[]/.test(s)

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function exists(path: string): boolean {
  try {
    statSync(path)
    return true
  } catch {
    return false
  }
}

/** The existing paths an absolute glob pattern names, sorted as glob(3) sorts them. */
export function globPaths(pattern: string): string[] {
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0)
  let found = ['/']
  for (const part of parts.slice(1)) {
    if (!hasMagic(part)) {
      found = found.map((dir) => join(dir, part))
      continue
    }
    const re = componentRegExp(part)
    found = found.flatMap((dir) => {
      if (!isDir(dir)) return []
      return readdirSync(dir)
        .filter((name) => (part.startsWith('.') || !name.startsWith('.')) && re.test(name))
        .map((name) => join(dir, name))
    })
  }
  return found.filter(exists).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}
