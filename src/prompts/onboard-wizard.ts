import { InputError } from '../errors.js'
import type { FlagValues } from '../commands/args.js'
import type { CommandContext } from '../commands/context.js'

export async function interactiveOnboard(_f: FlagValues, _ctx: CommandContext): Promise<number> {
  throw new InputError('interactive onboarding is not available yet: use -i INVENTORY')
}
