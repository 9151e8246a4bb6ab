import { handlerOf } from '../steps/index.js'
import type { Step, StepContext } from '../steps/types.js'

interface Written {
  path: string
  below: boolean
}

// A write at `w` changes what a read of `t` sees when `t` is `w` or holds it (a listing, a recursive owner check), or
// lies below it and the write reached below (chown -R, rm -rf). Creating a directory leaves the facts of paths inside
// it as they were: absent.
const affected = (t: string, w: Written) =>
  t === w.path || w.path.startsWith(`${t}/`) || (w.below && t.startsWith(`${w.path}/`))

/**
 * What the changes since the last facts read wrote. A later step's facts are re-read (one round trip, for all the
 * remaining steps) only when they may be stale: the step reads a path a change affected, or cannot say what it reads,
 * or a change wrote more than it can say (a package install).
 */
export class StaleFacts {
  #written: Written[] = []
  #everything = false

  add(step: Step) {
    const handler = handlerOf(step)
    const writes = handler.writes?.(step.args as never)
    if (!writes || handler.writesBroadly) this.#everything = true
    else
      this.#written.push(...writes.map((path) => ({ path, below: handler.writesBelow?.(step.args as never) ?? false })))
  }

  affects(step: Step, ctx: StepContext): boolean {
    if (!this.#everything && this.#written.length === 0) return false
    const touches = handlerOf(step).touches?.(step.args as never, ctx)
    if (this.#everything || !touches) return true
    return touches.some((t) => this.#written.some((w) => affected(t, w)))
  }

  clear() {
    this.#written = []
    this.#everything = false
  }
}
