// The step contract and the step union, for the layers that plan, run and report steps.
export type { Change, Check, Handler, StepContext, StepDiff, StepResult, StepStatus } from './handler.js'
export { change, fail, ok, skip } from './handler.js'
export type { Step, StepArgs, StepKind } from './index.js'
