import { chown } from './chown.js'
import { command } from './command.js'
import { directory } from './directory.js'
import { file } from './file.js'
import type { Handler } from './handler.js'
import { hostsBlock } from './hosts-block.js'
import { packageStep } from './package.js'
import { previousPackage } from './previous-package.js'
import { processStep } from './process.js'
import { rootCert } from './root-cert.js'
import { systemd } from './systemd.js'
import { upload } from './upload.js'
import { waitForLog } from './wait-for-log.js'

/** Every step kind and its handler: the one list a new step type joins. */
const all = {
  directory,
  file,
  upload,
  'root-cert': rootCert,
  package: packageStep,
  'previous-package': previousPackage,
  'hosts-block': hostsBlock,
  chown,
  systemd,
  'wait-for-log': waitForLog,
  command,
  process: processStep,
}

type ArgsOfHandler<H> = H extends Handler<infer A, infer _D> ? A : never

/** Arguments of each step kind, as a playbook states them (end state, not actions), from each handler's spec. */
export type StepArgs = { [K in keyof typeof all]: ArgsOfHandler<(typeof all)[K]> }

export type StepKind = keyof StepArgs

export const handlers: { [K in StepKind]: Handler<StepArgs[K]> } = all

/** One playbook step, rendered for one VM. */
export type Step<K extends StepKind = StepKind> = K extends StepKind
  ? { kind: K; name: string; args: StepArgs[K] }
  : never

export const stepKinds = Object.keys(handlers) as StepKind[]

/** The handler of `step`, typed for its arguments. */
export const handlerOf = <K extends StepKind>(step: Step<K>): Handler<StepArgs[K]> => handlers[step.kind as K]
