/** What the executor tells the world. Reporters (src/report/) subscribe; nothing reads results back from a UI. */

import type { StepResult } from '../steps/handler.js'
import type { OpProgress } from '../ssh/types.js'

export type { StepDiff, StepResult, StepStatus } from '../steps/handler.js'
/** A running step's progress: the latest line of the log a wait watches (`line`), or an upload's `bytes` of `total`. */
export type StepProgress = OpProgress

export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable'

export interface Tally {
  ok: number
  changed: number
  failed: number
  skipped: number
  unreachable: number
}

/**
 * Why a VM did not finish well: the SSH error kinds of an unreachable VM (`auth`, `hostkey`, `timeout`,
 * `connection`), `step` when one of its steps failed, `interrupted` when SIGINT/SIGTERM stopped it between steps,
 * `error` for anything else (preparing its bundle or package).
 */
export type ErrorKind = 'auth' | 'hostkey' | 'timeout' | 'connection' | 'step' | 'interrupted' | 'error'

export type RunEvent =
  | { type: 'run-start'; at: number; playbook: string; hosts: string[]; check: boolean }
  /** A rolling batch (`serial`) starts: its 1-based number, how many there are, and its hosts. */
  | { type: 'batch-start'; at: number; batch: number; of: number; hosts: string[] }
  | { type: 'host-start'; at: number; host: string }
  | { type: 'host-retry'; at: number; host: string; attempt: number; msg: string }
  /** `index` counts from 0 in the host's step list; `total` is that list's length (reporters print `[index+1/total]`). */
  | { type: 'step-start'; at: number; host: string; index: number; total?: number; kind: string; name: string }
  /** Between a step's start and end, secrets masked; a wait's line at most once per change, an upload's bytes rarer. */
  | ({ type: 'step-progress'; at: number; host: string; index: number; name: string } & StepProgress)
  | { type: 'step-end'; at: number; host: string; index: number; kind: string; name: string; result: StepResult }
  | {
      type: 'host-end'
      at: number
      host: string
      status: HostStatus
      tally: Tally
      msg?: string
      errorKind?: ErrorKind
      ms: number
    }
  /** `stopped`: why the run stopped starting VMs before all had run (`--max-fail`), said once. */
  | { type: 'run-end'; at: number; ms: number; hosts: Record<string, Tally>; stopped?: string }

export type RunListener = (event: RunEvent) => void

export function emptyTally(): Tally {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 }
}
