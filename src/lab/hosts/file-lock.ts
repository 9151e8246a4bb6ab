import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { ExitError } from '../../errors.js'
import { pidAlive } from './processes.js'

/** Runs `fn` holding an exclusive lock file (O_EXCL, holder's pid inside); a dead holder's lock is taken over. */
export async function withFileLock<T>(path: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' })
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holder = Number(readFileOr(path))
      if (!pidAlive(holder)) rmSync(path, { force: true })
      else if (Date.now() > deadline) throw new ExitError(`lab: ${path} is still held by pid ${holder}`)
      else await sleep(500)
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(path, { force: true })
  }
}

function readFileOr(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return ''
  }
}
