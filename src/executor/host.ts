import { randomBytes } from 'node:crypto'
import type { BundleFile } from '../bundle/types.js'
import type { PackageSource, Vm } from '../inventory/types.js'
import { planSteps, type PlannedStep } from '../plan/plan.js'
import { decide, type Decision } from '../plan/decide.js'
import { factsScript, splitFacts } from '../plan/facts-script.js'
import { StaleFacts } from '../plan/stale-facts.js'
import { renderPlaybook, templateVars } from '../playbook/render.js'
import type { Playbook } from '../playbook/types.js'
import { maskSecrets, maskTokens, Secret } from '../secret.js'
import { isUnreachable } from '../ssh/errors.js'
import { staged } from '../ssh/batch.js'
import { CONTENT_CHANGED } from '../ssh/put.js'
import type { Connection, OpProgress, OpResult, RemoteOp } from '../ssh/types.js'
import { handlerOf } from '../steps/index.js'
import type { Step, StepContext } from '../steps/types.js'
import type { ClusterClient } from '../cluster/index.js'
import type { ClusterStep } from '../steps/cluster-steps.js'
import { runClusterStep } from './cluster-step.js'
import { StepProgressRoute } from './step-progress.js'
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

/** Runs one step of the VM as the events tell it: start, the result (masked), end; the record is kept. `run` gets the
 * step's index among the VM's steps. */
export async function reportStep(
  vm: Vm,
  o: Pick<HostRun, 'emit' | 'now'>,
  state: HostState,
  step: { kind: string; name: string },
  run: (index: number) => Promise<Omit<StepResult, 'ms'> & { ms?: number }>,
): Promise<StepResult> {
  const { kind, name } = step
  const index = state.records.length
  o.emit({ type: 'step-start', at: o.now(), host: vm.name, index, kind, name, total: state.total })
  const started = o.now()
  // a step decided before the run keeps the time it took then
  const result = masked({ ms: o.now() - started, ...(await run(index)) }, state.secrets)
  state.records.push({ index, kind, name, result })
  o.emit({ type: 'step-end', at: o.now(), host: vm.name, index, kind, name, result })
  return result
}

export function secretsOf(vm: Vm, bundle: BundleFile[]): Secret[] {
  const all = [vm.ssh.password, vm.become.password, ...bundle.map((f) => f.content)]
  return all.filter((s): s is Secret => s instanceof Secret)
}

function masked(r: StepResult, secrets: Secret[]): StepResult {
  // a failing wait quotes the agent's log, which may hold the VM's token of an earlier run
  const m = (s: string) => maskTokens(maskSecrets(s, secrets))
  if (!r.diff) return { ...r, msg: m(r.msg) }
  return { ...r, msg: m(r.msg), diff: { ...r.diff, before: m(r.diff.before), after: m(r.diff.after) } }
}

/** A planned step whose change goes out in the batch being built, with its ops (none when nothing is applied). */
interface Sent {
  index: number
  decision: Decision
  ops: RemoteOp[]
  /** Building its ops failed (a local file changed mid-run): the step fails without sending anything. */
  error?: string
}

const settled = <T>() => {
  let done!: (v: T | Error) => void
  const p = new Promise<T | Error>((resolve) => (done = resolve))
  return { p, done }
}

/**
 * The next batch from step `from`: the steps after it join while their checks still hold, i.e. no change queued before
 * them in the batch may have made their facts stale (a step that only observes checks for itself on the VM and
 * joins anyway). A large upload starts a batch of its own, so its step shows while it uploads; the batch also ends
 * after a step that fails.
 */
async function nextBatch(
  conn: Connection,
  steps: Step[],
  plan: PlannedStep[],
  from: number,
  ctx: StepContext,
  o: HostRun,
): Promise<{ sent: Sent[]; stale: StaleFacts }> {
  const stale = new StaleFacts()
  const sent: Sent[] = []
  for (let i = from; i < steps.length; i++) {
    const step = steps[i]!
    const handler = handlerOf(step)
    const joinsStale = i > from && stale.affects(step, ctx)
    if (joinsStale && !handler.observes) break
    const decision: Decision = joinsStale
      ? { apply: true, change: { summary: step.name, data: null }, status: 'ok' }
      : decide(plan[i]!.check, { check: o.check, diff: o.diff, observes: handler.observes })
    let ops: RemoteOp[] = []
    try {
      if (decision.apply) ops = await handler.apply(step.args, decision.change, ctx)
    } catch (e) {
      sent.push({ index: i, decision, ops: [], error: (e as Error).message || String(e) })
      break
    }
    if (i > from && ops.some(staged)) {
      conn.prepare?.(ops) // its SFTP session opens while this batch runs
      break
    }
    sent.push({ index: i, decision, ops })
    if (!decision.apply && decision.result.status === 'failed') break
    if (decision.apply && !handler.observes) stale.add(step)
  }
  return { sent, stale }
}

/**
 * One VM's playbook over one open connection: facts for all steps in one round trip, a pure plan, then the changes in
 * batches: consecutive changes whose checks still hold go to the VM in one round trip, which ends by reading again the
 * facts of the later steps that the batch's changes may have made stale. Each step is still reported on its own, as
 * the VM reports its end. Stops at the first failed step; connection-level errors propagate so the caller can retry or
 * report the VM unreachable.
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
      const h = s && handlerOf(s)
      return s && h ? ((h.marks ?? h.writes)?.(s.args) ?? []) : []
    },
  }
  const plan = planSteps(steps, await readFacts(conn, steps, ctx), ctx)
  const stopIfInterrupted = (i: number, name: string) => {
    // between batches only: a batch sent ends (its writes are atomic), none is sent after an interrupt
    if (o.interrupted?.()) throw new InterruptedError(`interrupted before step ${i + 1} "${name}"`)
  }
  for (let from = 0; from < steps.length;) {
    stopIfInterrupted(from, steps[from]!.name)
    const { sent, stale } = await nextBatch(conn, steps, plan, from, ctx, o)
    const end = sent.at(-1)!.index + 1
    const again = steps.map((_, j) => j).filter((j) => j >= end && stale.affects(steps[j]!, ctx))
    const ops: RemoteOp[] = []
    // which step each op belongs to, and each step's outcome once its last op reported
    const owner: number[] = []
    const outcomes = new Map<number, ReturnType<typeof settled<OpResult[]>>>()
    for (const s of sent) {
      if (s.ops.length === 0) continue
      outcomes.set(s.index, settled<OpResult[]>())
      for (const op of s.ops) (ops.push(op), owner.push(s.index))
    }
    const nonce = randomBytes(8).toString('hex')
    if (again.length && !sent.some((s) => s.error)) {
      const script = factsScript(
        again.map((j) => handlerOf(steps[j]!).reads(steps[j]!.args, ctx)),
        nonce,
      )
      ops.push({ run: script, what: 'reading facts', timeoutMs: FACTS_TIMEOUT_MS })
    }
    const heard: OpResult[][] = []
    const onEach = (k: number, r: OpResult) => {
      const index = owner[k]
      if (index === undefined) return
      ;(heard[index] ??= []).push(r)
      const last = owner[k + 1] !== index
      if (last || r.code !== 0) outcomes.get(index)!.done(heard[index]!)
    }
    const progress = new StepProgressRoute(vm.name, o, secrets)
    const onProgress = (k: number, p: OpProgress) => {
      const index = owner[k]
      if (index !== undefined) progress.heard(index, p)
    }
    const running = ops.length ? conn.batch(ops, onEach, onProgress) : Promise.resolve([])
    const ended = running.then(
      (results) => {
        // a step whose ops never reported (the batch stopped before them) is not reported either: the VM stops
        for (const [, out] of outcomes) out.done(new Error('not run'))
        return results
      },
      (e: Error) => {
        for (const [, out] of outcomes) out.done(e)
        return e
      },
    )
    let sentAgain: number | undefined
    for (const s of sent) {
      const step = steps[s.index]!
      const result = await reportStep(vm, o, state, step, async (index) => {
        progress.start(s.index, index, step.name)
        const outcome = await outcomeOf(step, s, outcomes.get(s.index)?.p, ctx)
        if (outcome !== CHANGED_SINCE_READ) return outcome
        sentAgain = s.index
        await ended // the batch stopped at this step's write
        return sendAgain(conn, step, ctx, o)
      })
      if (result.status === 'failed') {
        await ended
        return
      }
      if (sentAgain !== undefined) break
    }
    const results = await ended
    if (results instanceof Error) throw results
    if (sentAgain !== undefined) {
      // the batch stopped there: the steps after it are planned anew from what the VM has now
      from = sentAgain + 1
      const rest = steps.slice(from)
      ctx.now = o.now()
      planSteps(rest, await readFacts(conn, rest, ctx), ctx).forEach((p, k) => (plan[from + k] = p))
      continue
    }
    if (again.length) {
      const r = results.at(-1)!
      let facts: string[]
      try {
        facts = splitFacts(r.stdout, nonce, again.length)
      } catch (e) {
        throw new Error(`reading facts failed: ${(e as Error).message}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`)
      }
      ctx.now = o.now()
      const replanned = planSteps(
        again.map((j) => steps[j]!),
        facts,
        ctx,
      )
      again.forEach((j, k) => (plan[j] = replanned[k]!))
    }
    from = end
  }
  const cluster = o.cluster
  for (const step of cluster?.after(vm) ?? []) {
    stopIfInterrupted(steps.length, step.name)
    const run = async () => (await runClusterStep(step, cluster!.client, o)).result
    if ((await reportStep(vm, o, state, step, run)).status === 'failed') return
  }
}

/** A compare-and-swap write of the step found its file written by someone else since the facts were read. */
const CHANGED_SINCE_READ = Symbol('changed since read')
// a file others edit in place too: a lost race is read again and planned again this many times
const CAS_ATTEMPTS = 5

const changedSinceRead = (ops: RemoteOp[], results: OpResult[]) =>
  results.some((r, k) => {
    const op = ops[k]
    return r.code === CONTENT_CHANGED && op !== undefined && 'put' in op && op.ifContent !== undefined
  })

/** The step whose write lost a race, read and planned again on top of the other writer's edit, and sent again. */
async function sendAgain(conn: Connection, step: Step, ctx: StepContext, o: HostRun): Promise<Omit<StepResult, 'ms'>> {
  const handler = handlerOf(step)
  for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
    ctx.now = o.now()
    const [planned] = planSteps([step], await readFacts(conn, [step], ctx), ctx)
    const d = decide(planned!.check, { check: o.check, diff: o.diff, observes: handler.observes })
    // the first try wrote what goes before the compared write (a marker), so an ok now is still a change
    if (!d.apply)
      return d.result.status === 'ok'
        ? { status: 'changed', msg: `${d.result.msg} (written meanwhile by someone else)` }
        : d.result
    const ops = await handler.apply(step.args, d.change, ctx)
    const results = await conn.batch(ops)
    if (changedSinceRead(ops, results)) continue
    const failed = results.find((r) => r.code !== 0)
    if (failed) return { status: 'failed', msg: failed.failure ?? `exit ${failed.code}` }
    const again = `changed while planned: read again ${attempt}x`
    return { status: d.status, msg: `${d.change.summary} (${again})`, ...(d.diff ? { diff: d.diff } : {}) }
  }
  return { status: 'failed', msg: `${step.name}: its file kept changing while it was written (${CAS_ATTEMPTS} tries)` }
}

/** What one step of a batch came to: its decision as it was, or its ops' results. */
async function outcomeOf(
  step: Step,
  s: Sent,
  heard: Promise<OpResult[] | Error> | undefined,
  ctx: StepContext,
): Promise<Omit<StepResult, 'ms'> | typeof CHANGED_SINCE_READ> {
  const d = s.decision
  if (s.error !== undefined) return { status: 'failed', msg: s.error }
  if (!d.apply) return d.result
  const results = heard ? await heard : []
  if (results instanceof Error) {
    if (isUnreachable(results)) throw results
    return { status: 'failed', msg: results.message }
  }
  if (changedSinceRead(s.ops, results)) return CHANGED_SINCE_READ
  const failed = results.find((r) => r.code !== 0)
  if (failed) return { status: 'failed', msg: failed.failure ?? `exit ${failed.code}` }
  let msg: string | void
  try {
    msg = handlerOf(step).done?.(step.args, results, ctx)
  } catch (e) {
    return { status: 'failed', msg: (e as Error).message }
  }
  return { status: d.status, msg: msg || d.change.summary, ...(d.diff ? { diff: d.diff } : {}) }
}
