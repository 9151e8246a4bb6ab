import { randomBytes } from 'node:crypto'
import type { BundleFile } from '../bundle/types.js'
import type { PackageSource, Vm } from '../inventory/types.js'
import { planSteps, type PlannedStep } from '../plan/plan.js'
import { decide } from '../plan/decide.js'
import { factsScript, splitFacts } from '../plan/facts-script.js'
import { StaleFacts } from '../plan/stale-facts.js'
import { renderPlaybook, templateVars } from '../playbook/render.js'
import type { Playbook } from '../playbook/types.js'
import { maskSecrets, Secret } from '../secret.js'
import { isUnreachable } from '../ssh/errors.js'
import type { Connection } from '../ssh/types.js'
import { handlerOf } from '../steps/index.js'
import type { Step, StepContext } from '../steps/types.js'
import type { ClusterClient } from '../cluster/index.js'
import type { ClusterStep } from '../steps/cluster-steps.js'
import { runClusterStep } from './cluster-step.js'
import type { RunListener, StepResult } from './events.js'
import type { StepRecord } from './outcome.js'

/** What a command adds to one VM's run just before its steps: its bundle, variables, and its package when defaulted. */
export interface Prepared {
  bundle: BundleFile[]
  vars?: Record<string, unknown>
  package?: PackageSource
}

/** A VM stopped between two steps because the run was interrupted (SIGINT/SIGTERM): it is not done. */
export class InterruptedError extends Error {}

/** What one VM's steps need from the run. */
export interface HostRun {
  playbook: Playbook
  prepare: (vm: Vm, conn: Connection) => Promise<Prepared>
  check: boolean
  diff: boolean
  emit: RunListener
  now: () => number
  /** True once the run was interrupted: no step starts after that. */
  interrupted?: () => boolean
  /** Controller-side step resolution, shared by all VMs of the run. */
  resolve: (step: Step) => Promise<Step>
  /** Cluster steps after the VM's own (its WorkloadEntry), through the cluster door. */
  cluster?: ClusterSteps
}

/** The cluster work of a run: steps per VM, run after the VM's own steps succeeded. */
export interface ClusterSteps {
  client: ClusterClient
  after: (vm: Vm) => ClusterStep[]
}

/** A step already decided before the run (its group's cluster objects), reported as one of the VM's steps. */
export interface DecidedStep {
  kind: string
  name: string
  result: StepResult
}

const FACTS_TIMEOUT_MS = 120_000

async function readFacts(conn: Connection, steps: Step[], ctx: StepContext): Promise<string[]> {
  const nonce = randomBytes(8).toString('hex')
  const script = factsScript(
    steps.map((s) => handlerOf(s).reads(s.args, ctx)),
    nonce,
  )
  const r = await conn.exec(script, { sudo: true, timeoutMs: FACTS_TIMEOUT_MS })
  try {
    return splitFacts(r.stdout, nonce, steps.length)
  } catch (e) {
    throw new Error(`reading facts failed: ${(e as Error).message}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`)
  }
}

/** Filled while a VM runs, so the caller still has the results and the secrets to mask when it fails. */
export interface HostState {
  records: StepRecord[]
  secrets: Secret[]
  /** Steps of the VM in all (decided before, playbook, cluster after), for `[i/total]`. */
  total: number
}

/** Runs one step of the VM as the events tell it: start, the result (masked), end; the record is kept. */
export async function reportStep(
  vm: Vm,
  o: Pick<HostRun, 'emit' | 'now'>,
  state: HostState,
  step: { kind: string; name: string },
  run: () => Promise<Omit<StepResult, 'ms'> & { ms?: number }>,
): Promise<StepResult> {
  const { kind, name } = step
  const index = state.records.length
  o.emit({ type: 'step-start', at: o.now(), host: vm.name, index, kind, name, total: state.total })
  const started = o.now()
  // a step decided before the run keeps the time it took then
  const result = masked({ ms: o.now() - started, ...(await run()) }, state.secrets)
  state.records.push({ index, kind, name, result })
  o.emit({ type: 'step-end', at: o.now(), host: vm.name, index, kind, name, result })
  return result
}

export function secretsOf(vm: Vm, bundle: BundleFile[]): Secret[] {
  const all = [vm.ssh.password, vm.become.password, ...bundle.map((f) => f.content)]
  return all.filter((s): s is Secret => s instanceof Secret)
}

async function runStep(
  p: PlannedStep,
  conn: Connection,
  ctx: StepContext,
  o: HostRun,
): Promise<Omit<StepResult, 'ms'>> {
  const handler = handlerOf(p.step)
  const d = decide(p.check, { check: o.check, diff: o.diff, observes: handler.observes })
  if (!d.apply) return d.result
  try {
    const msg = await handler.apply(p.step.args, d.change, conn, ctx)
    return { status: d.status, msg: msg || d.change.summary, ...(d.diff ? { diff: d.diff } : {}) }
  } catch (e) {
    if (isUnreachable(e)) throw e
    return { status: 'failed', msg: (e as Error).message || String(e) }
  }
}

function masked(r: StepResult, secrets: Secret[]): StepResult {
  const m = (s: string) => maskSecrets(s, secrets)
  if (!r.diff) return { ...r, msg: m(r.msg) }
  return { ...r, msg: m(r.msg), diff: { ...r.diff, before: m(r.diff.before), after: m(r.diff.after) } }
}

/**
 * One VM's playbook over one open connection: facts for all steps in one round trip, a pure plan, then apply in order,
 * re-reading (one more round trip) the facts of the remaining steps that a change may have made stale. Stops at the first
 * failed step; connection-level errors propagate so the caller can retry or report the VM unreachable.
 */
export async function runSteps(vm: Vm, conn: Connection, o: HostRun, state: HostState): Promise<void> {
  const { bundle, vars, package: pkg } = await o.prepare(vm, conn)
  const { secrets } = state
  secrets.push(...secretsOf(vm, bundle))
  const steps = await Promise.all(
    renderPlaybook(o.playbook, templateVars(o.playbook, vm, vars, pkg ?? vm.package)).map(o.resolve),
  )
  const ctx: StepContext = {
    vm,
    bundle,
    now: o.now(),
    diff: o.diff,
    writesOf: (name) => {
      const s = steps.find((x) => x.name === name)
      return s ? (handlerOf(s).writes?.(s.args) ?? []) : []
    },
  }
  let plan = planSteps(steps, await readFacts(conn, steps, ctx), ctx)
  const stale = new StaleFacts()
  const stopIfInterrupted = (i: number, name: string) => {
    // between steps only: a step that started ends (its writes are atomic), none starts after an interrupt
    if (o.interrupted?.()) throw new InterruptedError(`interrupted before step ${i + 1} "${name}"`)
  }
  for (let i = 0; i < steps.length; i++) {
    stopIfInterrupted(i, steps[i]!.name)
    const result = await reportStep(vm, o, state, steps[i], () => runStep(plan[i], conn, ctx, o))
    if (result.status === 'failed') return
    if (result.status === 'changed' && !o.check) stale.add(steps[i])
    const next = steps[i + 1]
    if (next && stale.affects(next, ctx)) {
      // re-read only the remaining steps whose facts the changes may have made stale; the others' still hold
      const at = steps.map((_, j) => j).filter((j) => j > i && stale.affects(steps[j]!, ctx))
      const again = at.map((j) => steps[j]!)
      ctx.now = o.now()
      const replanned = planSteps(again, await readFacts(conn, again, ctx), ctx)
      at.forEach((j, k) => (plan[j] = replanned[k]!))
      stale.clear()
    }
  }
  const cluster = o.cluster
  for (const step of cluster?.after(vm) ?? []) {
    stopIfInterrupted(steps.length, step.name)
    const run = async () => (await runClusterStep(step, cluster!.client, o)).result
    if ((await reportStep(vm, o, state, step, run)).status === 'failed') return
  }
}
