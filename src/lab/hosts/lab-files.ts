import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { run } from './run.js'

/** Short id of a lab, derived from its directory: it prefixes netns, veth, machine and cgroup names. */
export function labIdOf(dir: string): string {
  return createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 6)
}

export const keyFileOf = (dir: string): string => join(dir, 'id_ed25519')
export const knownHostsFileOf = (dir: string): string => join(dir, 'known_hosts')

/** The lab's client key (DIR/id_ed25519), generated once; returns its public key line. */
export async function ensureClientKey(dir: string): Promise<string> {
  const key = keyFileOf(dir)
  if (!existsSync(key)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'meshvm-lab', '-f', key])
  return readFileSync(`${key}.pub`, 'utf8').trim()
}

export function writeKnownHosts(dir: string, entries: Array<{ address: string; hostKey: string }>): void {
  const lines = entries.map((e) => `${e.address} ${e.hostKey.split(' ').slice(0, 2).join(' ')}\n`)
  writeFileSync(knownHostsFileOf(dir), lines.join(''))
}

/** A fleet boot opens many inotify instances (one set per guest systemd); the default 128 lets a third fail. */
export function raiseInotifyLimits(): void {
  for (const [name, min] of [
    ['max_user_instances', 8192],
    ['max_user_watches', 1048576],
  ] as const) {
    const path = `/proc/sys/fs/inotify/${name}`
    if (Number(readFileSync(path, 'utf8')) < min) writeFileSync(path, String(min))
  }
}

/** Runs `fn` over items with at most `limit` at a time. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
