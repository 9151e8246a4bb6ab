import { chmod, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { BundleFile } from '../bundle/types.js'
import { writeFileAtomic } from '../local-file.js'
import { Secret } from '../secret.js'

/** Writes a bundle into `dir` (created 0700): each file goes to a temp file beside it, then is renamed into place. */
export async function writeBundleDir(dir: string, files: BundleFile[]): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  for (const file of files) {
    const content = file.content instanceof Secret ? file.content.reveal() : file.content
    await writeFileAtomic(join(dir, file.name), content, file.mode)
  }
}
