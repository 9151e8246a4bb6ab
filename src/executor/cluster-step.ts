import type { ClusterClient } from '../cluster/index.js'
import { decide, type Decision } from '../plan/decide.js'
import type { ClusterVerb } from '../steps/cluster-handler.js'
import { clusterHandlerOf, type ClusterStep } from '../steps/cluster-steps.js'
import type { StepResult } from '../steps/types.js'

/** What a cluster step came to, and the verb of its change when it had one (for the object lines of onboard and bundle). */
export interface ClusterStepOutcome {
  result: Omit<StepResult, 'ms'>
  verb?: ClusterVerb
}

/** A cluster step as a VM step runs: read the facts, check (pure), decide (check mode), apply; errors fail the step. */
export async function runClusterStep(
  step: ClusterStep,
  cluster: ClusterClient,
  o: { check: boolean; diff: boolean },
): Promise<ClusterStepOutcome> {
  const handler = clusterHandlerOf(step)
  const failed = (e: unknown, what = '') => ({
    result: { status: 'failed' as const, msg: `${what}${(e as Error).message || String(e)}` },
  })
  let d: Decision
  try {
    const facts = await handler.read(step.args, cluster)
    let check
    try {
      check = handler.check(step.args, facts)
    } catch (e) {
      return failed(e, 'check failed: ')
    }
    d = decide(check, { ...o, observes: handler.observes?.(step.args) })
    const verb = check.outcome === 'change' ? (check.change.data as ClusterVerb) : undefined
    if (!d.apply) return { result: d.result, verb }
    const msg = await handler.apply(step.args, d.change as never, cluster)
    return { result: { status: d.status, msg: msg || d.change.summary, ...(d.diff ? { diff: d.diff } : {}) }, verb }
  } catch (e) {
    return failed(e)
  }
}
