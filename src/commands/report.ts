import { ExitCode, InputError } from '../errors.js'
import { mergeShardReports } from '../fleet/report-merge.js'
import { readInventory } from '../inventory/read.js'
import { parseArgs, type FlagSpec } from './args.js'
import type { CommandContext } from './context.js'
import { limitFlag } from './fleet-flags.js'
import { commandHelp } from './help.js'

const flags: Record<string, FlagSpec> = {
  inventory: {
    type: 'string',
    short: 'i',
    help: 'the sharded inventory: its VMs that no report holds are listed as not run',
  },
  limit: { type: 'string', short: 'l', help: 'the --limit the shards ran with' },
  report: {
    type: 'string',
    multiple: true,
    help: 'write the merged report here (default .meshvm/last-run.json); "-" = stdout; repeatable',
  },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

const help = commandHelp('meshvm report merge REPORT|LOG|- ... [-i INVENTORY [--limit L]] [--report FILE]', flags, [
  'meshvm report merge shard-0.json shard-1.json shard-2.json',
  'meshvm report merge shard-*.log -i inventory/example.yaml',
])

/** `report merge`: the shards' reports (files or pod logs) → one fleet report and the failed list for --limit @failed. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f, positionals } = parseArgs(argv, flags)
  const [action, ...files] = positionals
  if (f.help || !action) {
    ctx.stdout.write(help)
    return f.help ? ExitCode.ok : ExitCode.input
  }
  if (action !== 'merge') throw new InputError(`unknown report action "${action}" (merge)`)
  if (files.length === 0) throw new InputError("report merge: name the shards' reports or pod logs (or - for stdin)")
  if (f.limit !== undefined && !f.inventory) throw new InputError('report merge: --limit needs -i INVENTORY')
  const fleet = f.inventory ? (await readInventory(String(f.inventory), { limit: limitFlag(f, ctx) })).vms : undefined
  const reportFiles = f.report as string[] | undefined
  return (await mergeShardReports({ files, stdin: ctx.stdin, fleet, reportFiles }, ctx)).code
}
