import { chown } from './chown.js'
import { command } from './command.js'
import { directory } from './directory.js'
import { file } from './file.js'
import { hostsBlock } from './hosts-block.js'
import { packageStep } from './package.js'
import { processStep } from './process.js'
import { systemd } from './systemd.js'
import type { Handler, Step, StepArgs, StepKind } from './types.js'
import { upload } from './upload.js'
import { waitForLog } from './wait-for-log.js'

/** Every step kind's handler; a kind added to StepArgs without a handler here does not compile. */
export const handlers: { [K in StepKind]: Handler<StepArgs[K]> } = {
  directory,
  file,
  upload,
  package: packageStep,
  'hosts-block': hostsBlock,
  chown,
  systemd,
  'wait-for-log': waitForLog,
  command,
  process: processStep,
}

export const stepKinds = Object.keys(handlers) as StepKind[]

/** The handler of `step`, typed for its arguments. */
export const handlerOf = <K extends StepKind>(step: Step<K>): Handler<StepArgs[K]> => handlers[step.kind as K]
