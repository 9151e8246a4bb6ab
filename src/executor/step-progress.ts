import { maskSecrets, maskTokens, type Secret } from '../secret.js'
import type { OpProgress } from '../ssh/types.js'
import type { RunListener } from './events.js'

// A line shown live is cut to this after masking. The VM sends whole lines only (up to 16 KiB, wait-for-log.ts), so a
// secret in one is masked before any cut, and none of it can come back from its edge.
const MAX_LINE = 2048
// An upload's bytes go out when another twentieth of them is sent or a second has passed, and at the end: enough for
// a live bar, not a thousand NDJSON events per package and VM.
const BYTES_STEPS = 20
const BYTES_EVERY_MS = 1000

/**
 * Turns the progress a VM's batch reports per step into `step-progress` events. A step's progress goes out only once
 * its start was told: the chunk of output that ended the step before it may carry it too (the latest heard is kept
 * until then). Lines are masked with the run's secrets (the token included, which the connection does not know) and
 * any JWT (the VM's own token may be an earlier run's).
 */
export class StepProgressRoute {
  #running?: { step: number; index: number; name: string }
  readonly #early = new Map<number, OpProgress>()
  #lastBytes?: { bytes: number; at: number }

  constructor(
    readonly host: string,
    readonly o: { emit: RunListener; now: () => number },
    readonly secrets: readonly Secret[],
  ) {}

  /** Progress the VM reported for playbook step `step`. */
  heard(step: number, p: OpProgress): void {
    if (this.#running?.step === step) this.#emit(p)
    else this.#early.set(step, p)
  }

  /** Playbook step `step` is now told as running, as the VM's step `index`. */
  start(step: number, index: number, name: string): void {
    this.#running = { step, index, name }
    this.#lastBytes = undefined
    const early = this.#early.get(step)
    this.#early.delete(step)
    if (early) this.#emit(early)
  }

  #emit(p: OpProgress): void {
    const { index, name } = this.#running!
    const base = { type: 'step-progress' as const, at: this.o.now(), host: this.host, index, name }
    if ('line' in p) {
      const line = maskTokens(maskSecrets(p.line, this.secrets)).slice(0, MAX_LINE)
      return this.o.emit({ ...base, line })
    }
    const last = this.#lastBytes
    const due =
      !last ||
      p.bytes === p.total ||
      p.bytes - last.bytes >= p.total / BYTES_STEPS ||
      base.at - last.at >= BYTES_EVERY_MS
    if (!due) return
    this.#lastBytes = { bytes: p.bytes, at: base.at }
    this.o.emit({ ...base, bytes: p.bytes, total: p.total })
  }
}
