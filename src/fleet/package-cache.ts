// The controller's copy of published sidecar packages: downloaded once into the XDG cache dir, kept under their sha256,
// verified before they are used. VMs then get the file over SSH and need no internet.
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseSha256File } from './sidecar-release.js'

const SHA_TIMEOUT_MS = 15_000
const DOWNLOAD_TIMEOUT_MS = 600_000

/** $XDG_CACHE_HOME/meshvm/packages, else ~/.cache/meshvm/packages (XDG Base Directory). */
export function packageCacheDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache')
  return join(base, 'meshvm', 'packages')
}

/** Why a package could not be had: `missing` is the server's 404 (no such release or architecture). */
export class PackageFetchError extends Error {
  constructor(
    message: string,
    readonly missing: boolean,
  ) {
    super(message)
  }
}

async function get(url: string, timeoutMs: number): Promise<Response> {
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause
    throw new PackageFetchError(`${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`, false)
  }
  if (!res.ok) {
    await res.body?.cancel()
    throw new PackageFetchError(`${url}: HTTP ${res.status}`, res.status === 404 || res.status === 403)
  }
  return res
}

/** The published checksum of `url` (its `.sha256` beside it). */
export async function publishedSha256(url: string): Promise<string> {
  const text = await (await get(`${url}.sha256`, SHA_TIMEOUT_MS)).text()
  const sha = parseSha256File(text)
  if (!sha) throw new PackageFetchError(`${url}.sha256: not a sha256 checksum`, false)
  return sha
}

/** Where the package of `url` with that checksum is (or will be) kept. */
export const cachedPath = (cacheDir: string, url: string, sha256: string) =>
  join(cacheDir, sha256, basename(new URL(url).pathname))

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk)
  return hash.digest('hex')
}

/**
 * The cached file for `url` with checksum `sha256`, downloading it when absent or damaged. The download goes to a
 * temp file, is hashed on the way and renamed into place only when it matches, so concurrent runs never see half a file.
 */
export async function cachedPackage(cacheDir: string, url: string, sha256: string): Promise<string> {
  const path = cachedPath(cacheDir, url, sha256)
  const dir = dirname(path)
  if ((await sha256Of(path).catch(() => '')) === sha256) return path
  await mkdir(dir, { recursive: true })
  const tmp = `${path}.${randomBytes(6).toString('hex')}.part`
  try {
    const res = await get(url, DOWNLOAD_TIMEOUT_MS)
    const hash = createHash('sha256')
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream)
    body.on('data', (chunk: Buffer) => hash.update(chunk))
    await pipeline(body, createWriteStream(tmp, { mode: 0o644 }))
    const got = hash.digest('hex')
    if (got !== sha256)
      throw new PackageFetchError(`${url}: sha256 ${got} does not match the published ${sha256}`, false)
    await rename(tmp, path)
    return path
  } finally {
    await rm(tmp, { force: true })
  }
}
