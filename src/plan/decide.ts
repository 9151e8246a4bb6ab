import type { Change, Check, StepDiff, StepResult } from '../steps/types.js'

/** What to do with one checked step: report it as it is, or apply its change and report `status` on success. */
export type Decision =
  | { apply: false; result: Omit<StepResult, 'ms'> }
  | { apply: true; change: Change; status: 'ok' | 'changed'; diff?: StepDiff }

/**
 * The pure half of running a step: ok, skipped and failed checks are final; a change is applied, except in check mode,
 * where it is reported as what it would do (`changed`, or `skipped` for a step that only observes, such as a wait).
 */
export function decide(check: Check, o: { check: boolean; diff: boolean; observes?: boolean }): Decision {
  if (check.outcome === 'ok') return { apply: false, result: { status: 'ok', msg: check.reason } }
  if (check.outcome === 'skip') return { apply: false, result: { status: 'skipped', msg: check.reason } }
  if (check.outcome === 'fail') return { apply: false, result: { status: 'failed', msg: check.msg } }
  const { change } = check
  const diff = o.diff && change.diff ? { diff: change.diff } : {}
  if (o.check)
    return o.observes
      ? { apply: false, result: { status: 'skipped', msg: `check mode: would ${change.summary}` } }
      : { apply: false, result: { status: 'changed', msg: `would ${change.summary}`, ...diff } }
  return { apply: true, change, status: o.observes ? 'ok' : 'changed', ...diff }
}
