import { handlerOf } from '../steps/index.js'
import type { Check, Step, StepContext } from '../steps/types.js'

/** A step with its pure decision. */
export interface PlannedStep {
  step: Step
  check: Check
}

/** Decides every step from the facts read for it; a check that throws becomes a failed decision. */
export function planSteps(steps: Step[], facts: string[], ctx: StepContext): PlannedStep[] {
  return steps.map((step, i) => {
    try {
      return { step, check: handlerOf(step).check(step.args, facts[i], ctx) }
    } catch (e) {
      return { step, check: { outcome: 'fail', msg: `check failed: ${(e as Error).message}` } }
    }
  })
}
