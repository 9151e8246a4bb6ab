// README — the lab's `istio-sidecar` .deb is a LAB STAND-IN, NOT ISTIO.
// The real package cannot be downloaded here, so the lab builds one with the real package's layout, metadata and
// postinst (istio/istio tools/packaging/packaging.mk and tools/packaging/postinst.sh): /usr/local/bin/{pilot-agent,envoy,istio-start.sh},
// /lib/systemd/system/istio.service, /var/lib/istio/envoy/{sidecar.env,envoy_bootstrap_tmpl.json} as conffiles.
// istio-start.sh and istio.service behave as upstream's; pilot-agent and envoy are small bash stand-ins (files/) that
// do what meshvm can observe of the real ones at start-up against the lab istiod (src/lab/istiod), and proxy nothing.
import { createCipheriv, createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { createWriteStream, existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

// tsc copies no assets, so the scripts are read from the source tree (dist/src/lab/sidecar → src/lab/sidecar/files).
const filesDir = fileURLToPath(new URL('../../../../src/lab/sidecar/files/', import.meta.url))

/** What to build; `payloadMiB` adds that many MiB of incompressible bytes, for a realistically sized package. */
export interface SidecarDebOptions {
  outDir: string
  version?: string
  payloadMiB?: number
}

const layout: { from: string; to: string; mode: number }[] = [
  { from: 'pilot-agent', to: 'usr/local/bin/pilot-agent', mode: 0o755 },
  { from: 'envoy', to: 'usr/local/bin/envoy', mode: 0o755 },
  { from: 'istio-start.sh', to: 'usr/local/bin/istio-start.sh', mode: 0o755 },
  { from: 'istio.service', to: 'lib/systemd/system/istio.service', mode: 0o644 },
  { from: 'sidecar.env', to: 'var/lib/istio/envoy/sidecar.env', mode: 0o644 },
  { from: 'envoy_bootstrap_tmpl.json', to: 'var/lib/istio/envoy/envoy_bootstrap_tmpl.json', mode: 0o644 },
  { from: 'postinst', to: 'DEBIAN/postinst', mode: 0o755 },
]
const conffiles = ['/var/lib/istio/envoy/envoy_bootstrap_tmpl.json', '/var/lib/istio/envoy/sidecar.env']
const payloadPath = 'usr/local/lib/istio-lab/payload.bin'

/** Upstream's rule (packaging.mk): drop a leading `[a-z]*-`, then every `-`. */
export function debVersion(version: string): string {
  return version.replace(/^[a-z]*-/, '').replaceAll('-', '')
}

/** Builds (or reuses, when its inputs are unchanged) the lab istio-sidecar .deb; returns its path. */
export async function buildSidecarDeb(opts: SidecarDebOptions): Promise<string> {
  const version = opts.version ?? '1.24.2-lab'
  const payloadMiB = opts.payloadMiB ?? 0
  const arch = (await run('dpkg', ['--print-architecture'])).stdout.trim()
  const sources = await Promise.all(layout.map(async (f) => ({ ...f, text: await readFile(join(filesDir, f.from), 'utf8') })))
  const inputsHash = createHash('sha256')
    .update(JSON.stringify({ version, payloadMiB, arch, sources }))
    .digest('hex')
  const suffix = payloadMiB > 0 ? `+payload${payloadMiB}m` : ''
  const debPath = join(opts.outDir, `istio-sidecar_${debVersion(version)}_${arch}${suffix}.deb`)
  const stampPath = `${debPath}.inputs`
  if (existsSync(debPath) && (await readFile(stampPath, 'utf8').catch(() => '')) === inputsHash) return debPath

  await mkdir(opts.outDir, { recursive: true })
  const root = await mkdtemp(join(opts.outDir, '.istio-sidecar-'))
  try {
    await chmod(root, 0o755)
    let installedBytes = 0
    for (const f of sources) {
      const target = join(root, f.to)
      await mkdir(dirname(target), { recursive: true, mode: 0o755 })
      await writeFile(target, f.text.replaceAll('@VERSION@', version))
      await chmod(target, f.mode)
      installedBytes += f.to.startsWith('DEBIAN/') ? 0 : Buffer.byteLength(f.text)
    }
    if (payloadMiB > 0) {
      await writePayload(join(root, payloadPath), payloadMiB)
      installedBytes += payloadMiB * 1024 * 1024
    }
    await writeFile(join(root, 'DEBIAN/conffiles'), conffiles.join('\n') + '\n')
    await writeFile(join(root, 'DEBIAN/control'), control(version, arch, Math.ceil(installedBytes / 1024)))
    const tmpDeb = `${debPath}.tmp`
    // gzip as fpm does by default; the payload is incompressible anyway.
    await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, tmpDeb])
    await rename(tmpDeb, debPath)
    await writeFile(stampPath, inputsHash)
    return debPath
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

function control(version: string, arch: string, installedKiB: number): string {
  return [
    'Package: istio-sidecar',
    `Version: ${debVersion(version)}`,
    `Architecture: ${arch}`,
    'Maintainer: meshvm lab <meshvm-lab@localhost>',
    `Installed-Size: ${installedKiB}`,
    'Depends: iproute2, iptables, sudo, hostname',
    'Section: default',
    'Priority: optional',
    'Homepage: http://istio.io',
    'Description: Istio Sidecar (meshvm lab stand-in, not Istio)',
    ' Built by meshvm for its lab: the real package layout with stand-in pilot-agent and envoy',
    ' scripts that talk to the lab istiod. It proxies no traffic.',
    '',
  ].join('\n')
}

// AES-CTR keystream over zeros: incompressible like a real binary, and the same bytes on every build.
async function writePayload(path: string, mib: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 })
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0))
  const out = createWriteStream(path, { mode: 0o644 })
  const zeros = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < mib; i++) {
    if (!out.write(cipher.update(zeros))) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
  if ((await stat(path)).size !== mib * 1024 * 1024) throw new Error(`payload ${path} was not fully written`)
}
