import type { StepKind } from '../steps/types.js'

/** One step as written in a playbook: arguments not yet rendered, with `file:line:col` of the step and each value. */
export interface PlaybookStep {
  name: string
  kind: StepKind
  args: Record<string, unknown>
  at: string
  argAt: Record<string, string>
}

export interface Playbook {
  file: string
  name: string
  vars: Record<string, unknown>
  steps: PlaybookStep[]
}
