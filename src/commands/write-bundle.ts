import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { BundleFile } from '../bundle/types.js'
import { Secret } from '../secret.js'

/** Writes a bundle into `dir` (created 0700): each file goes to a temp file beside it, then is renamed into place. */
export async function writeBundleDir(dir: string, files: BundleFile[]): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  for (const file of files) {
    const target = join(dir, file.name)
    const temp = join(dir, `.${file.name}.${randomBytes(4).toString('hex')}.tmp`)
    const content = file.content instanceof Secret ? file.content.reveal() : file.content
    try {
      const handle = await open(temp, 'wx', file.mode)
      try {
        await handle.writeFile(content)
        await handle.chmod(file.mode)
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temp, target)
    } catch (err) {
      await rm(temp, { force: true })
      throw err
    }
  }
}
