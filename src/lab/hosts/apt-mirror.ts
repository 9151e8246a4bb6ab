import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const FALLBACK_MIRROR = 'http://deb.debian.org/debian'
// A Debian archive root (…/debian), not the security or ports archives.
const DEBIAN_ARCHIVE = /^https?:\/\/[^\s]+\/debian\/?$/

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/** URIs of `deb` entries, in file order, from one-line (.list) or deb822 (.sources) text. */
export function debUris(text: string, deb822: boolean): string[] {
  if (!deb822) {
    return text
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim().split(/\s+/))
      .filter((w) => w[0] === 'deb')
      .map((w) => (w[1]?.startsWith('[') ? w.slice(w.findIndex((x) => x.endsWith(']')) + 1) : w.slice(1))[0] ?? '')
  }
  return text.split(/\n\s*\n/).flatMap((stanza) => {
    const field = (name: string) => stanza.match(new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi'))?.[1]?.trim() ?? ''
    if (!field('Types').split(/\s+/).includes('deb') || /^Enabled:\s*no/im.test(stanza)) return []
    return field('URIs').split(/\s+/).filter(Boolean)
  })
}

/** The first Debian archive URI in the machine's apt sources, so the base is fetched from the mirror apt already uses. */
export function hostDebianMirror(etcApt = '/etc/apt'): string {
  const files: Array<[string, boolean]> = [[join(etcApt, 'sources.list'), false]]
  let names: string[] = []
  try {
    names = readdirSync(join(etcApt, 'sources.list.d')).sort()
  } catch {
    names = []
  }
  for (const n of names) {
    if (n.endsWith('.list')) files.push([join(etcApt, 'sources.list.d', n), false])
    if (n.endsWith('.sources')) files.push([join(etcApt, 'sources.list.d', n), true])
  }
  for (const [path, deb822] of files) {
    const uri = debUris(read(path), deb822).find((u) => DEBIAN_ARCHIVE.test(u))
    if (uri) return uri.replace(/\/$/, '')
  }
  return FALLBACK_MIRROR
}
