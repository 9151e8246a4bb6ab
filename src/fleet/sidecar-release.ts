// Where Istio publishes its istio-sidecar packages: `<base>/<version>/deb/istio-sidecar.deb`, `.../rpm/istio-sidecar.rpm`,
// `istio-sidecar-arm64.deb|.rpm` for arm64, each with a `<file>.sha256` beside it (istio/release-builder, and the
// VM installation guide at istio.io/latest/docs/setup/install/virtual-machine/).

/** The release bucket istio.io's VM guide downloads from. */
export const ISTIO_RELEASES = 'https://storage.googleapis.com/istio-release/releases'

export type PackageFormat = 'deb' | 'rpm'
export type PackageArch = 'amd64' | 'arm64'

/** One published package: what a VM of this format and architecture installs for an Istio release. */
export interface ReleaseArtifact {
  release: string
  format: PackageFormat
  arch: PackageArch
  url: string
}

export function artifact(base: string, release: string, format: PackageFormat, arch: PackageArch): ReleaseArtifact {
  const file = `istio-sidecar${arch === 'arm64' ? '-arm64' : ''}.${format}`
  return { release, format, arch, url: `${base.replace(/\/+$/, '')}/${release}/${format}/${file}` }
}

/** Every package a release may publish, amd64 first. */
export const allArtifacts = (base: string, release: string): ReleaseArtifact[] =>
  (['amd64', 'arm64'] as const).flatMap((arch) =>
    (['deb', 'rpm'] as const).map((f) => artifact(base, release, f, arch)),
  )

/** `uname -m` or `dpkg --print-architecture` → the package architecture, undefined when Istio builds none for it. */
export function archOf(machine: string): PackageArch | undefined {
  const m = machine.trim()
  if (m === 'x86_64' || m === 'amd64') return 'amd64'
  if (m === 'aarch64' || m === 'arm64') return 'arm64'
  return undefined
}

/** The checksum in a published `.sha256` file (`<hex>` or sha256sum's `<hex>  <name>`). */
export function parseSha256File(text: string): string | undefined {
  return /^\s*([0-9a-f]{64})\b/i.exec(text)?.[1]?.toLowerCase()
}

/** The mirror base: the inventory's `packageMirror`, else $MESHVM_PACKAGE_MIRROR, else Istio's release bucket. */
export const mirrorOf = (inventory: string | undefined, env: NodeJS.ProcessEnv): string =>
  inventory ?? (env.MESHVM_PACKAGE_MIRROR || ISTIO_RELEASES)
