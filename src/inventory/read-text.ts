import { readFile } from 'node:fs/promises'
import { InputError } from '../errors.js'

/** A text file the user named; a missing or unreadable one is an InputError starting with `context`. */
export async function readUserFile(path: string, context: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new InputError(`${context}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
}
