import type { Vm } from '../inventory/types.js'
import { validatePlaybook } from '../playbook/render.js'
import type { Playbook } from '../playbook/types.js'
import { maskSecrets } from '../secret.js'
import type { Connection } from '../ssh/types.js'
import { handlerOf } from '../steps/index.js'
import type { Step } from '../steps/types.js'
import { emptyTally, type ErrorKind, type HostStatus, type RunEvent, type RunListener, type Tally } from './events.js'
import {
  InterruptedError,
  reportStep,
  runSteps,
  secretsOf,
  type ClusterSteps,
  type DecidedStep,
  type HostState,
  type Prepared,
} from './host.js'
import { RunFold, type RunOutcome, type StepRecord } from './outcome.js'
import { batches, runPool, type BatchSize } from './pool.js'
import { isUnreachable } from '../ssh/errors.js'

export interface RunOptions {
  vms: Vm[]
  playbook: Playbook
  connect: (vm: Vm) => Promise<Connection>
  /** Called per VM just before its steps (mint the token here, so a long run never pushes an expired one). */
  prepare: (vm: Vm, conn: Connection) => Promise<Prepared>
  /** VMs without `package` get theirs from `prepare` (the default package): not a missing variable. */
  defaultPackage?: boolean
  /** VMs at a time. Default 50. */
  forks?: number
  /** Rolling batches: a count or `P%`; a batch finishes before the next starts. */
  serial?: BatchSize[]
  /** Stop starting VMs once more than this percentage of the current batch failed or was unreachable. */
  maxFailPercent?: number
  /** Extra attempts for timeouts and dropped connections, with exponential backoff from `retryDelayMs`. */
  retries?: number
  retryDelayMs?: number
  /** Plan only: would-change steps are reported `changed` with a `would …` message; nothing is written. */
  check?: boolean
  /** Put before/after diffs into step results. */
  diff?: boolean
  listeners?: RunListener[]
  now?: () => number
  /** Cluster steps run for each VM after its playbook succeeded (its WorkloadEntry). */
  cluster?: ClusterSteps
  /** Cluster work decided before the run (a group's objects), reported as the first steps of the VM it was done for. */
  decided?: (vm: Vm) => DecidedStep[]
  /** True once the run was interrupted: no VM and no step starts after that; running steps end. */
  interrupted?: () => boolean
  /** The fold the outcome is read from, when the caller shares it (with its reporter); default a fresh one. */
  fold?: RunFold
  /**
   * Steps run on a VM whose playbook failed (Ansible's `rescue`), e.g. a rollback, followed by its cluster steps.
   * The VM still counts as failed (for --max-fail and @failed); its message says how the rescue went.
   */
  rescue?: Playbook
}

/** What a VM came to, as its host-end event tells it. */
interface HostEnd {
  status: HostStatus
  tally: Tally
  ms: number
  msg?: string
  errorKind?: ErrorKind
}

const RETRY_CAP_MS = 30_000
const retryable = (e: unknown) => isUnreachable(e) && (e.kind === 'timeout' || e.kind === 'connection')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function summarize(
  records: StepRecord[],
  ms: number,
  unreachable?: { msg: string; kind: ErrorKind },
  rescuedFrom?: number,
): HostEnd {
  const tally = emptyTally()
  for (const r of records) tally[r.result.status]++
  if (unreachable !== undefined)
    return {
      status: 'unreachable',
      tally: { ...tally, unreachable: 1 },
      ms,
      msg: unreachable.msg,
      errorKind: unreachable.kind,
    }
  const failed = records.find((r) => r.result.status === 'failed')
  const status = failed ? 'failed' : tally.changed ? 'changed' : 'ok'
  if (!failed) return { status, tally, ms }
  let msg = `${failed.name}: ${failed.result.msg}`
  if (rescuedFrom !== undefined) {
    const rescueFailed = records.find((r) => r.index >= rescuedFrom && r.result.status === 'failed')
    msg += rescueFailed ? `; rescue failed at ${rescueFailed.name}: ${rescueFailed.result.msg}` : '; rescued'
  }
  return { status, tally, ms, msg, errorKind: 'step' }
}

/**
 * Runs a playbook over many VMs: one SSH connection per VM, `forks` at a time, rolling `serial` batches,
 * `maxFailPercent` stops starting new VMs, connection-level failures retried then reported unreachable. One VM's
 * failure never stops the others. Throws InputError before anything runs when the playbook does not render for some VM.
 */
export async function runPlaybook(o: RunOptions): Promise<RunOutcome> {
  validatePlaybook(o.playbook, o.vms, o.defaultPackage)
  const now = o.now ?? Date.now
  const fold = o.fold ?? new RunFold()
  const emit = (e: RunEvent) => {
    fold.listener(e)
    o.listeners?.forEach((l) => l(e))
  }
  const resolved = new Map<string, Promise<Step>>()
  const resolve = (step: Step): Promise<Step> => {
    const key = JSON.stringify(step)
    const resolveArgs = handlerOf(step).resolve
    if (!resolveArgs) return Promise.resolve(step)
    if (!resolved.has(key))
      resolved.set(
        key,
        resolveArgs(step.args as never).then((args) => ({ ...step, args }) as Step),
      )
    return resolved.get(key)!
  }
  const hostRun = {
    playbook: o.playbook,
    prepare: o.prepare,
    check: !!o.check,
    diff: !!o.diff,
    emit,
    now,
    resolve,
    cluster: o.cluster,
    interrupted: o.interrupted,
  }

  async function runHost(vm: Vm): Promise<HostEnd> {
    const started = now()
    emit({ type: 'host-start', at: started, host: vm.name })
    for (let attempt = 1; ; attempt++) {
      const decided = o.decided?.(vm) ?? []
      const total = decided.length + o.playbook.steps.length + (o.cluster?.after(vm).length ?? 0)
      const state: HostState = { records: [], secrets: secretsOf(vm, []), total }
      let conn: Connection | undefined
      let summary: HostEnd
      try {
        for (const d of decided) await reportStep(vm, hostRun, state, d, async () => d.result)
        conn = await o.connect(vm)
        await runSteps(vm, conn, hostRun, state)
        const rescue =
          o.rescue && !o.check && state.records.some((r) => r.result.status === 'failed') ? o.rescue : undefined
        // rescue steps number on after the steps that ran
        const rescueFrom = state.records.length
        if (rescue) {
          state.total = rescueFrom + rescue.steps.length + (o.cluster?.after(vm).length ?? 0)
          await runSteps(vm, conn, { ...hostRun, playbook: rescue }, state)
        }
        summary = summarize(state.records, now() - started, undefined, rescue ? rescueFrom : undefined)
      } catch (e) {
        const msg = maskSecrets((e as Error).message || String(e), state.secrets)
        if (retryable(e) && attempt <= (o.retries ?? 0)) {
          emit({ type: 'host-retry', at: now(), host: vm.name, attempt, msg })
          await conn?.close().catch(() => {})
          await sleep(Math.min(RETRY_CAP_MS, (o.retryDelayMs ?? 1000) * 2 ** (attempt - 1)))
          continue
        }
        summary = isUnreachable(e)
          ? summarize(state.records, now() - started, { msg, kind: e.kind as ErrorKind })
          : {
              ...summarize(state.records, now() - started),
              status: 'failed',
              msg,
              errorKind: e instanceof InterruptedError ? 'interrupted' : 'error',
            }
        if (!isUnreachable(e)) summary.tally.failed++
      }
      await conn?.close().catch(() => {})
      const { status, tally, ms, msg, errorKind } = summary
      const end = { type: 'host-end', at: now(), host: vm.name, status, tally, ms } as const
      emit({ ...end, ...(msg ? { msg } : {}), ...(errorKind ? { errorKind } : {}) })
      return summary
    }
  }

  const started = now()
  emit({ type: 'run-start', at: started, playbook: o.playbook.name, hosts: o.vms.map((v) => v.name), check: !!o.check })
  const tallies: Record<string, Tally> = {}
  let stop: string | undefined
  const stopped = () => stop !== undefined || o.interrupted?.() === true
  const all = batches(o.vms, o.serial)
  for (const [n, batch] of all.entries()) {
    if (stopped()) break
    if (o.serial !== undefined)
      emit({ type: 'batch-start', at: now(), batch: n + 1, of: all.length, hosts: batch.map((v) => v.name) })
    let bad = 0
    await runPool(
      batch,
      o.forks ?? 50,
      async (vm) => {
        const s = await runHost(vm)
        tallies[vm.name] = s.tally
        if (s.status === 'failed' || s.status === 'unreachable') bad++
        if (stop === undefined && o.maxFailPercent !== undefined && (bad * 100) / batch.length > o.maxFailPercent) {
          const of = all.length > 1 ? ` of batch ${n + 1}` : ''
          stop = `--max-fail ${o.maxFailPercent}%: ${bad} of ${batch.length} VMs${of} failed or were unreachable`
        }
      },
      stopped,
    )
  }
  const ran = Object.fromEntries(o.vms.filter((vm) => tallies[vm.name]).map((vm) => [vm.name, tallies[vm.name]]))
  const why = stop === undefined ? {} : { stopped: stop }
  emit({ type: 'run-end', at: now(), ms: now() - started, hosts: ran, ...why })
  return fold.outcome()
}
