import { join } from 'node:path'
import type { IstioVersion } from '../bundle/types.js'
import { connectCluster, type ConnectOptions } from '../cluster/index.js'
import { ExitCode, ExitError } from '../errors.js'
import type { Vm } from '../inventory/types.js'
import type { FleetIo } from './run.js'
import { objectName } from '../report/cluster-objects.js'
import { ensureGroupObjects } from './group-objects.js'
import { VmBundles } from './vm-bundles.js'
import { writeBundleDir } from './write-bundle.js'

export interface WriteBundlesOptions {
  cluster: ConnectOptions
  istioVersion?: IstioVersion
  /** Report what the cluster would get; change and write nothing. */
  dryRun: boolean
  /** Each VM gets `<dir>/<vm name>/`. */
  dir: string
}

/** Ensures the cluster objects, then writes every VM's five onboarding files with a freshly minted token. */
export async function writeBundles(vms: Vm[], o: WriteBundlesOptions, io: FleetIo): Promise<number> {
  const client = connectCluster(o.cluster)
  const groups = await ensureGroupObjects(client, vms, { check: o.dryRun, diff: false })
  for (const obj of groups.objects) io.stdout.write(`${obj.result.padEnd(12)} ${objectName(obj)}: ${obj.reason}\n`)
  const bundles = new VmBundles(client, o.istioVersion, o.dryRun, groups.missing)
  if (o.dryRun) return ExitCode.ok
  let failed = 0
  for (const vm of vms) {
    try {
      const bundle = await bundles.forVm(vm)
      for (const w of bundle.warnings) io.stderr.write(`${vm.name}: warning: ${w}\n`)
      const dir = join(o.dir, vm.name)
      await writeBundleDir(dir, bundle.files)
      io.stdout.write(`wrote ${dir}/ (${bundle.files.map((b) => b.name).join(', ')})\n`)
    } catch (err) {
      if (!(err instanceof ExitError)) throw err
      failed++
      io.stderr.write(`${vm.name}: failed: ${err.message}\n`)
    }
  }
  return failed > 0 ? ExitCode.failed : ExitCode.ok
}
