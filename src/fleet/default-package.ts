// The sidecar package of a VM whose inventory sets no `package`: the istio-sidecar of the cluster's Istio release for
// the VM's package manager and architecture, from Istio's release layout (sidecar-release.ts) on a mirror. Checked
// before the run (the release must be published there); resolved per VM after login, before its first step.
import { releaseOf } from '../bundle/istio-version.js'
import { readIstioRelease, type ClusterClient } from '../cluster/index.js'
import { InputError } from '../errors.js'
import type { PackageSource, Vm } from '../inventory/types.js'
import type { Connection } from '../ssh/types.js'
import { cachedPackage, cachedPath, PackageFetchError, publishedSha256 } from './package-cache.js'
import {
  allArtifacts,
  archOf,
  artifact,
  mirrorOf,
  type PackageFormat,
  type ReleaseArtifact,
} from './sidecar-release.js'

/** Which release a VM's cluster runs: the full version, or why there is none (for the error message). */
export type ReleaseOf = (vm: Vm) => Promise<{ release?: string; detail: string }>

type Published = Map<string, string | PackageFetchError>

const MIRROR = 'packageMirror / $MESHVM_PACKAGE_MIRROR to a mirror with that release'

/** What to set when there is no default package, by the command that needs one: each names only its own flags. */
const WHAT_TO_SET = {
  // onboard's release is the cluster's, or --istio-version's
  onboard: `set package in the inventory ({ file: ./istio-sidecar.deb } or { url: …, sha256: … }), or ${MIRROR}, or --istio-version to a published release`,
  // upgrade's release is --to's (it reads no --istio-version)
  upgrade: `pass --package FILE (or --package URL --sha256 HEX), or set ${MIRROR}, or --to a published release`,
}
export type PackageCommand = keyof typeof WHAT_TO_SET

// One line of output: "pm arch", e.g. "deb x86_64"; pm is "none" without dpkg and rpm.
const DETECT =
  'if command -v dpkg >/dev/null 2>&1; then p=deb; elif command -v rpm >/dev/null 2>&1; then p=rpm; else p=none; fi; echo "$p $(uname -m)"'

export class DefaultPackages {
  readonly #published = new Map<string, Published>()
  readonly #releases = new Map<string, string>()
  readonly #downloads = new Map<string, Promise<string>>()

  private constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly cacheDir: string,
    readonly whatToSet: string,
  ) {}

  /**
   * Finds each VM's release and the mirror's published checksums of it, before anything runs. Throws one InputError
   * naming what to set when a release cannot be told or is not published there.
   */
  static async check(
    vms: Vm[],
    releaseOf: ReleaseOf,
    env: NodeJS.ProcessEnv,
    cacheDir: string,
    command: PackageCommand,
  ): Promise<DefaultPackages> {
    const packages = new DefaultPackages(env, cacheDir, WHAT_TO_SET[command])
    const problems = new Set<string>()
    for (const vm of vms.filter((v) => !v.package)) {
      const { release, detail } = await releaseOf(vm)
      if (!release) {
        problems.add(`no default sidecar package for ${vm.name}: ${detail}; ${packages.whatToSet}`)
        continue
      }
      packages.#releases.set(vm.name, release)
      const mirror = mirrorOf(vm.packageMirror, env)
      const published = await packages.#publishedAt(mirror, release)
      if ([...published.values()].some((v) => typeof v === 'string')) continue
      const errors = [...published.values()] as PackageFetchError[]
      const why = errors.every((e) => e.missing) ? 'not published there' : errors.find((e) => !e.missing)!.message
      problems.add(
        `no istio-sidecar package of Istio ${release} at ${mirror}/${release}/ (${why}); ${packages.whatToSet}`,
      )
    }
    if (problems.size > 0) throw new InputError([...problems].join('\n'))
    return packages
  }

  #publishedAt(mirror: string, release: string): Promise<Published> {
    const key = `${mirror} ${release}`
    const cached = this.#published.get(key)
    if (cached) return Promise.resolve(cached)
    return Promise.all(
      allArtifacts(mirror, release).map(
        async (a) => [a.url, await publishedSha256(a.url).catch((e: PackageFetchError) => e)] as const,
      ),
    ).then((entries) => {
      const map: Published = new Map(entries)
      this.#published.set(key, map)
      return map
    })
  }

  /**
   * The package source for one VM, from its package manager and architecture (one command over its connection). Check
   * mode downloads nothing: the plan needs only the checksum.
   */
  async forVm(vm: Vm, conn: Connection, check: boolean): Promise<PackageSource> {
    const release = this.#releases.get(vm.name)
    if (!release) throw new Error(`no release resolved for ${vm.name}`) // check() ran for every VM without a package
    const r = await conn.exec(DETECT)
    const [pm, machine = ''] = r.stdout.trim().split(/\s+/)
    if (pm !== 'deb' && pm !== 'rpm') throw new Error(`no dpkg or rpm on the VM: the istio-sidecar package needs one`)
    const arch = archOf(machine)
    const mirror = mirrorOf(vm.packageMirror, this.env)
    if (!arch)
      throw new Error(
        `Istio publishes no istio-sidecar package for ${machine} (amd64 and arm64 only); set package for this VM`,
      )
    const a = artifact(mirror, release, pm as PackageFormat, arch)
    const sha256 = (await this.#publishedAt(mirror, release)).get(a.url)
    if (typeof sha256 !== 'string')
      throw new Error(
        `no istio-sidecar package of Istio ${release} for ${arch} .${pm}: ${sha256?.message ?? a.url}; ${this.whatToSet}`,
      )
    if (vm.packageFetch === 'vm') return { url: a.url, sha256, version: release }
    const file = check ? cachedPath(this.cacheDir, a.url, sha256) : await this.#download(a, sha256)
    return { file, sha256, version: release }
  }

  #download(a: ReleaseArtifact, sha256: string): Promise<string> {
    const key = `${a.url} ${sha256}`
    let file = this.#downloads.get(key)
    if (!file) {
      file = cachedPackage(this.cacheDir, a.url, sha256)
      this.#downloads.set(key, file)
      file.catch(() => this.#downloads.delete(key))
    }
    return file
  }
}

/** Each VM's release: --istio-version when given (it must name a patch release), else its revision's istiod image tag. */
export function clusterReleases(client: ClusterClient, istioVersionFlag: string | undefined): ReleaseOf {
  const flag = istioVersionFlag === undefined ? undefined : releaseOf(istioVersionFlag)
  const detected = new Map<string, ReturnType<typeof readIstioRelease>>()
  return async (vm) => {
    if (istioVersionFlag !== undefined)
      return { release: flag, detail: `--istio-version ${istioVersionFlag} names no release (use e.g. 1.24.2)` }
    const key = `${vm.istioNamespace}/${vm.revision}`
    if (!detected.has(key))
      detected.set(key, readIstioRelease(client, { revision: vm.revision, istioNamespace: vm.istioNamespace }))
    const d = await detected.get(key)!
    const detail =
      d.source === 'default'
        ? `the cluster does not say which Istio it runs (no istiod image tag in ${vm.istioNamespace})`
        : `the cluster's Istio ${d.version.major}.${d.version.minor} (from the ${d.source}) names no patch release`
    return { release: d.release, detail }
  }
}
