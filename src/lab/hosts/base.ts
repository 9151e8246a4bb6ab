import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { BASE_RECIPE, baseRecipeHash } from './base-recipe.js'
import { hostDebianMirror } from './apt-mirror.js'
import { withFileLock } from './file-lock.js'
import { run } from './run.js'

export const DEFAULT_LAB_CACHE = '/var/cache/meshvm-lab'

/** The cached base rootfs for the current recipe, built (once, under a lock) when missing. Returns its path. */
export async function ensureBase(cacheDir = DEFAULT_LAB_CACHE, log: (line: string) => void = () => {}): Promise<string> {
  const base = join(cacheDir, `base-${baseRecipeHash()}`)
  if (existsSync(base)) return base
  mkdirSync(cacheDir, { recursive: true })
  return withFileLock(join(cacheDir, 'build.lock'), 15 * 60_000, async () => {
    if (existsSync(base)) return base // another builder finished while we waited
    removeStale(cacheDir, base)
    const tmp = `${base}.tmp-${process.pid}`
    const mirror = hostDebianMirror()
    log(`building the lab base rootfs (${BASE_RECIPE.suite} from ${mirror}; about 45 s, once)`)
    const started = Date.now()
    try {
      await run(
        'debootstrap',
        [
          `--variant=${BASE_RECIPE.variant}`,
          `--include=${BASE_RECIPE.include.join(',')}`,
          `--cache-dir=${join(cacheDir, 'debs')}`,
          BASE_RECIPE.suite,
          tmp,
          mirror,
        ],
        { timeoutMs: 20 * 60_000 },
      )
      await run('chroot', [tmp, '/bin/sh', '-s'], { input: BASE_RECIPE.configureScript, timeoutMs: 120_000 })
      renameSync(tmp, base)
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true })
      throw err
    }
    log(`lab base rootfs ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${base}`)
    return base
  })
}

/** Removes half-built trees and bases of older recipes that no mounted lab host still uses. */
function removeStale(cacheDir: string, keep: string): void {
  mkdirSync(join(cacheDir, 'debs'), { recursive: true })
  const mounts = readFileSync('/proc/mounts', 'utf8')
  for (const name of readdirSync(cacheDir)) {
    const path = join(cacheDir, name)
    if (!name.startsWith('base-') || path === keep || mounts.includes(`lowerdir=${path}`)) continue
    rmSync(path, { recursive: true, force: true })
  }
}
