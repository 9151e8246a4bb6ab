import type { BundleFile } from '../bundle/types.js'
import type { Vm } from '../inventory/types.js'
import type { OpResult, RemoteOp } from '../ssh/types.js'
import type { ArgSpec, OneOf } from './args.js'

export type StepStatus = 'ok' | 'changed' | 'failed' | 'skipped'

/** What a change does to one thing, as text before and after (a file's content, a unit's state, an object's spec). */
export interface StepDiff {
  path?: string
  before: string
  after: string
}

/** What one step came to. */
export interface StepResult {
  status: StepStatus
  /** Why: every ok has a reason, every failure a message. Secrets already masked. */
  msg: string
  diff?: StepDiff
  ms: number
}

/** What the handlers may read besides remote facts: the VM, its bundle, the clock (for token validity). */
export interface StepContext {
  vm: Vm
  bundle: BundleFile[]
  /** Epoch ms at planning time. */
  now: number
  /** Paths marking a change by named steps (`marks`, else `writes`), to resolve `restartOnChange` step names. */
  writesOf: (stepName: string) => string[]
  /** The run shows diffs (--diff): facts needed only for a diff's "before" are read only then. */
  diff?: boolean
}

/** A pending change: a one-line summary, an optional before/after diff, and the handler's own apply plan. */
export interface Change<D = unknown> {
  summary: string
  diff?: StepDiff
  data: D
}

/** The pure decision of a step's check. */
export type Check<D = unknown> =
  | { outcome: 'ok'; reason: string }
  | { outcome: 'change'; change: Change<D> }
  | { outcome: 'skip'; reason: string }
  | { outcome: 'fail'; msg: string }

/**
 * One step kind: facts to read, a pure check, and its change as the ops the VM runs (shell, atomic writes). The
 * executor does the I/O: it sends the ops of consecutive changes whose checks still hold in one round trip, with the
 * facts their changes make stale read back at its end. Method syntax keeps `D` bivariant.
 */
export interface Handler<A, D = unknown> {
  /** Accepted playbook keys, for the loader; the step's argument type is derived from it (ArgsOf). */
  spec: ArgSpec
  oneOf?: OneOf
  /** Shell snippet (run as root) whose stdout holds the facts `check` needs. */
  reads(args: A, ctx: StepContext): string
  check(args: A, facts: string, ctx: StepContext): Check<D>
  /** The change as ops, in order; pure but for reading a local file it sends (async). */
  apply(args: A, change: Change<D>, ctx: StepContext): RemoteOp[] | Promise<RemoteOp[]>
  /** The result's message from the ops' output when they all succeeded (default: the change's summary). */
  done?(args: A, results: OpResult[], ctx: StepContext): string | void
  /** Paths this step writes (for `restartOnChange: [<step name>]`, and to know whose facts a change makes stale). */
  writes?(args: A): string[]
  /** Paths whose mtime moves exactly when this step changes something (for `restartOnChange`; default: `writes`). */
  marks?(args: A): string[]
  /** Its change may also alter what lies below the paths it writes (chown -R, rm -rf). */
  writesBelow?(args: A): boolean
  /** It changes more than `writes` says (a package install); after it, every later step's facts are stale. */
  writesBroadly?: boolean
  /** Paths whose state `check` reads; a step without it has stale facts after any change. */
  touches?(args: A, ctx: StepContext): string[]
  /** Controller-side preparation once per run (e.g. hash a local package file). */
  resolve?(args: A): Promise<A>
  /**
   * Apply only observes (waits); success is `ok`, not `changed`, and `--check` skips it. Its ops check for themselves
   * (a wait returns at once when the line is there): after a change they run without re-reading its facts first, so
   * they must not depend on the change's data.
   */
  observes?: boolean
}

export const ok = (reason: string): Check<never> => ({ outcome: 'ok', reason })
export const skip = (reason: string): Check<never> => ({ outcome: 'skip', reason })
export const fail = (msg: string): Check<never> => ({ outcome: 'fail', msg })
export const change = <D>(summary: string, data: D, diff?: StepDiff): Check<D> => ({
  outcome: 'change',
  change: diff ? { summary, data, diff } : { summary, data },
})
