import { readFile } from 'node:fs/promises'
import { ExitCode, InputError } from '../errors.js'
import { mergeShardReports } from '../fleet/report-merge.js'
import { lastRunReport } from '../fleet/state.js'
import { readInventory } from '../inventory/read.js'
import { formatRecap, type RunReport } from '../report/index.js'
import { SCHEMA_VERSION } from '../version.js'
import { parseArgs, type FlagSpec, type FlagValues } from './args.js'
import type { CommandContext } from './context.js'
import { limitFlag } from './fleet-flags.js'
import { commandHelp } from './help.js'

const flags: Record<string, FlagSpec> = {
  json: { type: 'boolean', help: 'print the report file as it is (JSON)' },
  inventory: {
    type: 'string',
    short: 'i',
    help: 'merge: the sharded inventory: its VMs that no report holds are listed as not run',
  },
  limit: { type: 'string', short: 'l', help: 'merge: the --limit the shards ran with' },
  report: {
    type: 'string',
    multiple: true,
    help: 'merge: write the merged report here (default .meshvm/last-run.json); "-" = stdout; repeatable',
  },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

const help = commandHelp(
  'meshvm report [FILE]   (default .meshvm/last-run.json)\n       meshvm report merge REPORT|LOG|- ... [-i INVENTORY [--limit L]] [--report FILE]',
  flags,
  [
    'meshvm report',
    'meshvm report --json',
    'meshvm report merge shard-0.json shard-1.json shard-2.json',
    'meshvm report merge shard-*.log -i inventory/example.yaml',
  ],
)

/** `report [FILE]`: the last run's report; `report merge`: the shards' reports → one fleet report and failed list. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f, positionals } = parseArgs(argv, flags)
  if (f.help) {
    ctx.stdout.write(help)
    return ExitCode.ok
  }
  if (positionals[0] === 'merge') return merge(f, positionals.slice(1), ctx)
  return show(positionals[0] ?? lastRunReport(ctx.cwd), f.json === true, ctx)
}

async function merge(f: FlagValues, files: string[], ctx: CommandContext): Promise<number> {
  if (files.length === 0) throw new InputError("report merge: name the shards' reports or pod logs (or - for stdin)")
  if (f.limit !== undefined && !f.inventory) throw new InputError('report merge: --limit needs -i INVENTORY')
  const fleet = f.inventory ? (await readInventory(String(f.inventory), { limit: limitFlag(f, ctx) })).vms : undefined
  const reportFiles = f.report as string[] | undefined
  return (await mergeShardReports({ files, stdin: ctx.stdin, fleet, reportFiles }, ctx)).code
}

async function show(file: string, json: boolean, ctx: CommandContext): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new InputError(`no report at ${file}: onboard, verify, offboard and run write one there`)
  })
  let report: RunReport
  try {
    report = JSON.parse(text) as RunReport
  } catch (e) {
    throw new InputError(`${file}: not a meshvm report (${(e as Error).message})`)
  }
  if (typeof report.hosts !== 'object' || report.schemaVersion > SCHEMA_VERSION)
    throw new InputError(
      `${file}: not a report this meshvm reads (schema ${report.schemaVersion ?? 'none'}; it reads ${SCHEMA_VERSION})`,
    )
  if (json) {
    ctx.stdout.write(text)
    return ExitCode.ok
  }
  const what = report.argv?.length ? report.argv.join(' ') : `playbook ${report.playbook}`
  const when = `${report.start}${report.durationMs === undefined ? ', did not finish' : ''}`
  ctx.stdout.write([`${what}   (${when}; ${file})`, ...formatRecap(report, { color: false }), ''].join('\n'))
  const bad = Object.values(report.hosts).some((h) => h.status === 'failed')
  const unreachable = Object.values(report.hosts).some((h) => h.status === 'unreachable')
  return bad ? ExitCode.failed : unreachable ? ExitCode.unreachable : ExitCode.ok
}
