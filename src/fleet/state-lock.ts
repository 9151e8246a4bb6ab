import { readFileSync, rmSync } from 'node:fs'
import { mkdir, open } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import { ExitError } from '../errors.js'

interface Holder {
  pid: number
  host: string
  what: string
  since: string
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder
  } catch {
    return undefined
  }
}

/**
 * Takes `dir`/lock (O_EXCL) for this process, naming it, so two runs in one directory do not write each other's report
 * and failed list; a lock left by a process of this machine that no longer runs is taken over. Returns the release.
 * Another live holder is an ExitError naming it.
 */
export async function lockStateDir(dir: string, what: string): Promise<() => void> {
  const path = join(dir, 'lock')
  await mkdir(dir, { recursive: true })
  const me: Holder = { pid: process.pid, host: hostname(), what, since: new Date().toISOString() }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx', 0o644)
      await file.writeFile(JSON.stringify(me) + '\n')
      await file.close()
      let released = false
      return () => {
        if (!released && readHolder(path)?.pid === me.pid) rmSync(path, { force: true })
        released = true
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    const other = readHolder(path)
    const stale = other !== undefined && other.host === me.host && !alive(other.pid)
    if (!stale && other) {
      throw new ExitError(
        `another meshvm run uses ${dirname(path)}: ${other.what} (pid ${other.pid} on ${other.host}, since ${other.since}); ` +
          `run again when it has finished, or from another directory (remove ${path} if that run is gone)`,
      )
    }
    if (!other && attempt === 0) {
      // written but not yet filled in by a run starting this instant, or left empty by a crash: look once more
      await new Promise((r) => setTimeout(r, 200))
      if (readHolder(path)) continue
    }
    rmSync(path, { force: true })
  }
  throw new ExitError(`cannot take the lock ${path}; remove it if no meshvm run is using ${dirname(path)}`)
}
