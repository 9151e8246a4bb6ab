import { readFile } from 'node:fs/promises'
import { ExitCode, InputError } from '../errors.js'
import { lastRunReport } from '../fleet/state.js'
import { formatRecap, type RunReport } from '../report/index.js'
import { SCHEMA_VERSION } from '../version.js'
import { parseArgs, type FlagSpec } from './args.js'
import type { CommandContext } from './context.js'
import { commandHelp } from './help.js'

const flags: Record<string, FlagSpec> = {
  json: { type: 'boolean', help: 'print the report file as it is (JSON)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

const help = commandHelp('meshvm report [FILE]   (default .meshvm/last-run.json)', flags, [
  'meshvm report',
  'meshvm report --json',
])

/** The last run's report (or FILE): what ran, when, and the recap with what failed and why. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f, positionals } = parseArgs(argv, flags)
  if (f.help) {
    ctx.stdout.write(help)
    return ExitCode.ok
  }
  const file = positionals[0] ?? lastRunReport(ctx.cwd)
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
  if (f.json) {
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
