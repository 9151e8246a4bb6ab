import { mkdir, readFile, rm } from 'node:fs/promises'
import { connectCluster, type ConnectOptions } from '../cluster/index.js'
import type { RunEvent } from '../executor/events.js'
import { writeFailedList } from '../inventory/read.js'
import type { PackageSource, Vm } from '../inventory/types.js'
import { writeFileAtomic } from '../local-file.js'
import type { Secret } from '../secret.js'
import { fileSha256 } from '../steps/package.js'
import type { BatchSize } from '../executor/pool.js'
import { DefaultPackages } from './default-package.js'
import { packageCacheDir } from './package-cache.js'
import { builtInPlaybook } from './playbooks.js'
import { checkedPlaybook, runFleet, type FleetIo, type FleetOptions } from './run.js'
import { failedListFile, stateDir, upgradeStateFile } from './state.js'
import { workloadEntryStep } from './workload-entry.js'

export interface UpgradeOptions extends FleetOptions {
  cluster: ConnectOptions
  /**
   * The package to go to; `version` is the --to version. Without a `source`, each VM gets the default package of
   * that release (the istio-sidecar for its package manager and architecture, from its mirror), as onboarding does.
   */
  target: { source?: PackageSource; version: string }
  /** For $MESHVM_PACKAGE_MIRROR and the XDG cache dir of the default package. */
  env: NodeJS.ProcessEnv
}

/** What survives a crashed rollout: the target, and the VMs already upgraded and back in the mesh. */
interface UpgradeState {
  to: string
  sha256: string
  done: string[]
}

const RESTART_STEPS = new Set(['Restart istio on the new package', 'Restart istio on the previous package'])

async function readState(file: string): Promise<UpgradeState | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as UpgradeState
  } catch {
    return undefined
  }
}

/**
 * Rolls the target package over the VMs in `serial` batches. Per VM: install, restart, reconnected since the restart
 * (its log) and its WorkloadEntry connected since then and healthy (the cluster); a VM that fails any of it is rolled
 * back to the package it had (kept in its cache) and brought back into the mesh, and counts against --max-fail.
 * Progress is saved as each VM finishes (.meshvm/upgrade.json, and .meshvm/failed holds the VMs not done yet), so a
 * run killed at any point is resumed by a plain re-run with the same target, or by --limit @failed.
 */
export async function upgradeVms(o: UpgradeOptions, io: FleetIo, selected: Vm[], become: Secret | undefined) {
  const source = o.target.source && { ...o.target.source, version: o.target.version }
  // before anything is contacted: a release the mirror does not publish stops here, saying what to set
  const packages = source
    ? undefined
    : await DefaultPackages.check(
        selected.map((vm) => ({ ...vm, package: undefined })),
        async () => ({ release: o.target.version, detail: '' }),
        o.env,
        packageCacheDir(o.env),
        'upgrade',
      )
  // the rollout's identity for a resume: the package's checksum, or the default package's release
  const sha256 = source
    ? (source.sha256 ?? (source.file ? await fileSha256(source.file) : undefined))
    : `default ${o.target.version}`
  const target: PackageSource | undefined = source && { ...source, ...(sha256 ? { sha256 } : {}) }
  const stateFile = upgradeStateFile(io.cwd)
  const before = await readState(stateFile)
  const resuming = before && before.to === o.target.version && before.sha256 === sha256 && !o.check
  const done = new Set(resuming ? before.done : [])
  const vms = selected.filter((vm) => !done.has(vm.name)).map((vm) => ({ ...vm, package: target }))
  const defaultPackage = packages !== undefined
  if (resuming) {
    const skipped = selected.filter((vm) => done.has(vm.name)).map((vm) => vm.name)
    io.stderr.write(
      `resuming the upgrade to ${o.target.version}: ${skipped.length} VM(s) already upgraded and back in the mesh` +
        `${skipped.length ? ` (${skipped.join(' ')})` : ''}; ${vms.length} to go${vms.length ? `: ${vms.map((v) => v.name).join(' ')}` : ''}\n`,
    )
  }
  if (vms.length === 0) {
    await rm(stateFile, { force: true })
    return { code: 0, done: [...done] }
  }

  // Written before the first VM and after each one, atomically: a kill -9 anywhere leaves both files usable.
  let saving = Promise.resolve()
  const pending = new Set(vms.map((v) => v.name))
  const save = () => {
    if (o.check) return saving
    const state: UpgradeState = { to: o.target.version, sha256: sha256 ?? '', done: [...done] }
    saving = saving.then(async () => {
      await writeFileAtomic(stateFile, JSON.stringify(state, null, 2) + '\n')
      await writeFailedList(failedListFile(io.cwd), [...pending])
    })
    return saving
  }
  if (!o.check) await mkdir(stateDir(io.cwd), { recursive: true })
  await save()

  const restartedAt = new Map<string, number>()
  const track = (e: RunEvent) => {
    if (e.type === 'step-end' && RESTART_STEPS.has(e.name) && e.result.status === 'changed')
      restartedAt.set(e.host, e.at - e.result.ms)
    if (e.type === 'host-end' && (e.status === 'ok' || e.status === 'changed')) {
      done.add(e.host)
      pending.delete(e.host)
      void save()
    }
  }
  const client = connectCluster(o.cluster)
  const run = await runFleet(o, io, {
    playbook: await checkedPlaybook(builtInPlaybook('upgrade'), vms, defaultPackage),
    rescue: await checkedPlaybook(builtInPlaybook('rollback'), vms, defaultPackage),
    vms,
    prepare: async (vm, conn) => ({
      bundle: [],
      ...(packages ? { package: await packages.forVm(vm, conn, o.check) } : {}),
    }),
    defaultPackage,
    cluster: { client, after: (vm) => [workloadEntryStep(vm, 'connected', restartedAt.get(vm.name))] },
    listeners: [track],
    become,
  })
  await saving
  if (o.check) return { code: run.code, done: [...done] }
  const summary = run.outcome
  if (summary.failed.length + summary.unreachable.length + summary.notRun.length === 0) {
    await rm(stateFile, { force: true })
    return { code: run.code, done: [...done] }
  }
  const batchOf = (name: string) => summary.hosts[name]?.batch
  const lastBatch = Math.max(0, ...Object.values(summary.hosts).map((h) => h.batch ?? 0))
  const of = summary.batches
    ? ` of ${vms.length} VM(s) in ${o.serial ? 'batches of ' + serialText(o.serial) : 'one batch'}`
    : ''
  const lines = [
    `upgrade to ${o.target.version} stopped${summary.notRun.length ? ` after batch ${lastBatch}` : ''}${of}:`,
  ]
  for (const name of summary.failed)
    lines.push(`  ${name} (batch ${batchOf(name) ?? 1}) failed: ${summary.hosts[name].msg ?? ''}`)
  for (const name of summary.unreachable)
    lines.push(`  ${name} (batch ${batchOf(name) ?? 1}) unreachable: ${summary.hosts[name].msg ?? ''}`)
  if (summary.notRun.length) lines.push(`  not started (--max-fail): ${summary.notRun.join(' ')}`)
  lines.push('  a re-run with the same --to continues with the VMs not done (or: --limit @failed)')
  io.stderr.write(lines.join('\n') + '\n')
  return { code: run.code, done: [...done] }
}

/** `--serial` as the user wrote it: `3`, `25%`, `1,5,25%`. */
const serialText = (serial: BatchSize[]) => serial.map((s) => ('count' in s ? `${s.count}` : `${s.percent}%`)).join(',')
