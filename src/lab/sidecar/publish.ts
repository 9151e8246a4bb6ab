// Puts a lab sidecar package where Istio's release layout has it (`<root>/<version>/deb/istio-sidecar[-arm64].deb`
// with a sha256sum-style `.sha256` beside it), for the lab's package mirror.
import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Publishes `deb` as the release `version` under `root`; returns the package's path there. */
export async function publishRelease(deb: string, root: string, version: string): Promise<string> {
  const arch = (await run('dpkg', ['--print-architecture'])).stdout.trim()
  const name = `istio-sidecar${arch === 'arm64' ? '-arm64' : ''}.deb`
  const dir = join(root, version, 'deb')
  await mkdir(dir, { recursive: true, mode: 0o755 })
  const target = join(dir, name)
  const sha256 = createHash('sha256').update(await readFile(deb)).digest('hex')
  // the package first, then its checksum: a reader never sees a checksum of a file not yet there
  await copyFile(deb, `${target}.tmp`)
  await rename(`${target}.tmp`, target)
  await writeFile(`${target}.sha256.tmp`, `${sha256}  ${name}\n`)
  await rename(`${target}.sha256.tmp`, `${target}.sha256`)
  return target
}
