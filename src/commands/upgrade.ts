import { accessSync, constants } from 'node:fs'
import { resolve } from 'node:path'
import { ExitCode, InputError } from '../errors.js'
import { upgradeVms } from '../fleet/upgrade.js'
import type { PackageSource, Vm } from '../inventory/types.js'
import { parseArgs, type FlagSpec, type FlagValues } from './args.js'
import { clusterOptions } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { becomePassword, fleetFlags, fleetOptions, fleetVms } from './fleet-flags.js'
import { commandHelp } from './help.js'

const flags: Record<string, FlagSpec> = {
  to: { type: 'string', help: 'the Istio version to go to (e.g. 1.24.2)' },
  package: {
    type: 'string',
    help: 'the sidecar package: a local .deb/.rpm (pushed) or a URL the VMs download (needs --sha256)',
  },
  sha256: { type: 'string', help: "the package's sha256 (published beside each release artifact as <file>.sha256)" },
  ...fleetFlags,
}

const help = commandHelp(
  'meshvm upgrade -i INVENTORY --to VERSION [--package FILE|URL [--sha256 HEX]] [flags]',
  flags,
  [
    'meshvm upgrade -i inventory/example.yaml --to 1.24.2 --package ./istio-sidecar-1.24.2.deb --serial 3 --max-fail 0',
    'meshvm upgrade -i inventory/example.yaml --to 1.24.2 --package https://storage.googleapis.com/istio-release/releases/1.24.2/deb/istio-sidecar.deb --sha256 <64 hex>',
    'meshvm upgrade -i inventory/example.yaml --to 1.24.2 --limit @failed',
  ],
)

const releaseUrl = (version: string) =>
  `https://storage.googleapis.com/istio-release/releases/${version}/deb/istio-sidecar.deb`

/**
 * The package to go to: --package, else the inventory's own when it already names the --to version for every VM, else
 * (no VM names a package) the default package of the --to release.
 */
function targetPackage(f: FlagValues, vms: Vm[], cwd: string): { source?: PackageSource; version: string } {
  const to = f.to as string | undefined
  if (!to) throw new InputError('--to: expecting the version to upgrade to, e.g. --to 1.24.2')
  if (!/^\d+\.\d+\.\d+([-+.][0-9A-Za-z.+-]+)?$/.test(to))
    throw new InputError(`--to: expected a version like 1.24.2, got "${to}"`)
  const sha256 = f.sha256 as string | undefined
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256))
    throw new InputError('--sha256: expected 64 lowercase hex digits')
  const pkg = f.package as string | undefined
  if (pkg && /^https?:\/\//.test(pkg)) {
    if (!sha256) throw new InputError(`--package ${pkg}: a URL needs --sha256 (Istio publishes it as ${pkg}.sha256)`)
    return { source: { url: pkg, sha256 }, version: to }
  }
  if (pkg) {
    const file = resolve(cwd, pkg)
    try {
      accessSync(file, constants.R_OK)
    } catch {
      throw new InputError(`--package: cannot read ${file}`)
    }
    return { source: { file, ...(sha256 ? { sha256 } : {}) }, version: to }
  }
  const own = vms.map((vm) => vm.package)
  const first = own[0]
  if (own.every((p) => p === undefined)) return { version: to }
  if (first && first.version === to && own.every((p) => JSON.stringify(p) === JSON.stringify(first)))
    return { source: first, version: to }
  throw new InputError(
    `--to ${to}: the inventory's package is not version ${to}: pass --package FILE, or --package URL --sha256 HEX (e.g. ${releaseUrl(to)} and its .sha256)`,
  )
}

/** Rolls a new sidecar package over the fleet, batch by batch, gated on each VM being back in the mesh. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f } = parseArgs(argv, flags)
  if (f.help) {
    ctx.stdout.write(help)
    return ExitCode.ok
  }
  const base = fleetOptions(f, ctx)
  const vms = await fleetVms(f, ctx)
  const target = targetPackage(f, vms, ctx.cwd)
  const options = { ...base, cluster: clusterOptions(f, ctx.env), target, env: ctx.env }
  return (await upgradeVms(options, ctx, vms, await becomePassword(f, ctx))).code
}
