import { open } from 'node:fs/promises'
import { InputError } from '../errors.js'

/** More than any real inventory (100 VMs take about 10 KiB); a larger file is refused before it is parsed. */
export const MAX_USER_FILE_BYTES = 4 * 1024 * 1024

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`

/** A text file the user named; a missing, unreadable or oversized one is an InputError starting with `context`. */
export async function readUserFile(path: string, context: string): Promise<string> {
  try {
    const file = await open(path, 'r')
    try {
      const { size } = await file.stat()
      if (size > MAX_USER_FILE_BYTES) {
        throw new InputError(
          `${context}: the file is ${mib(size)}, more than the ${mib(MAX_USER_FILE_BYTES)} meshvm reads`,
        )
      }
      return await file.readFile('utf8')
    } finally {
      await file.close()
    }
  } catch (err) {
    if (err instanceof InputError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new InputError(`${context}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
}
