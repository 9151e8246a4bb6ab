import type { BundleFile, BundleFileName } from '../bundle/types.js'
import type { StepDiff } from '../executor/events.js'
import type { PackageSource, Vm } from '../inventory/types.js'
import type { Connection } from '../ssh/types.js'
import type { ArgSpec, OneOf } from './args.js'

/** Arguments of each step kind, as a playbook states them (end state, not actions). */
export interface StepArgs {
  directory: { path: string; present: boolean; owner?: string; group?: string; mode?: number }
  file: { path: string; present: boolean; owner?: string; group?: string; mode?: number }
  upload: {
    dest: string
    content?: string
    bundle?: BundleFileName
    src?: string
    owner?: string
    group?: string
    mode?: number
    /** Keep a JWT already on the VM (same iss/sub/aud) while it stays valid this many more seconds. */
    tokenMinValidity?: number
  }
  package: { name: string; source?: PackageSource; present: boolean }
  'hosts-block': { path: string; id: string; content?: string; bundle?: BundleFileName; present: boolean }
  chown: { paths: string[]; user: string; group?: string }
  systemd: {
    unit: string
    state?: 'running' | 'stopped'
    enabled?: boolean
    /** Paths, or names of earlier steps (their written paths): restart when any is newer than the unit's last start. */
    restartOnChange: string[]
    /** Only check; a mismatch fails instead of changing anything. */
    assert: boolean
  }
  'wait-for-log': {
    file: string
    pattern: string
    since: 'unit-start' | 'any'
    unit: string
    timeout: number
    hintFiles: string[]
  }
  command: { cmd: string; creates?: string; removes?: string; onlyIf?: string; unless?: string }
  process: { comm: string; user: string }
}

export type StepKind = keyof StepArgs

/** One playbook step, rendered for one VM. */
export type Step<K extends StepKind = StepKind> = K extends StepKind
  ? { kind: K; name: string; args: StepArgs[K] }
  : never

/** What the handlers may read besides remote facts: the VM, its bundle, the clock (for token validity). */
export interface StepContext {
  vm: Vm
  bundle: BundleFile[]
  /** Epoch ms at planning time. */
  now: number
  /** Paths written by named steps, to resolve `restartOnChange` entries that name a step. */
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

/** One step kind: facts to read, a pure check, and the only I/O in apply. Method syntax keeps `D` bivariant. */
export interface Handler<A, D = unknown> {
  /** Accepted playbook keys, for the loader. */
  spec: ArgSpec
  oneOf?: OneOf
  /** Shell snippet (run as root) whose stdout holds the facts `check` needs. */
  reads(args: A, ctx: StepContext): string
  check(args: A, facts: string, ctx: StepContext): Check<D>
  /** Returns an optional message for the result. */
  apply(args: A, change: Change<D>, conn: Connection, ctx: StepContext): Promise<string | void>
  /** Paths this step writes (for `restartOnChange: [<step name>]`, and to know whose facts a change makes stale). */
  writes?(args: A): string[]
  /** Its change may also alter what lies below the paths it writes (chown -R, rm -rf). */
  writesBelow?(args: A): boolean
  /** It changes more than `writes` says (a package install); after it, every later step's facts are stale. */
  writesBroadly?: boolean
  /** Paths whose state `check` reads; a step without it has stale facts after any change. */
  touches?(args: A, ctx: StepContext): string[]
  /** Controller-side preparation once per run (e.g. hash a local package file). */
  resolve?(args: A): Promise<A>
  /** Apply only observes (waits); success is `ok`, not `changed`, and `--check` skips it. */
  observes?: boolean
}

export const ok = (reason: string): Check<never> => ({ outcome: 'ok', reason })
export const skip = (reason: string): Check<never> => ({ outcome: 'skip', reason })
export const fail = (msg: string): Check<never> => ({ outcome: 'fail', msg })
export const change = <D>(summary: string, data: D, diff?: StepDiff): Check<D> => ({
  outcome: 'change',
  change: diff ? { summary, data, diff } : { summary, data },
})
