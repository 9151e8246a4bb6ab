import { readFile } from 'node:fs/promises'
import { text } from 'node:stream/consumers'
import { ExitCode, InputError } from '../errors.js'
import { shardOf } from '../inventory/shard.js'
import type { Vm } from '../inventory/types.js'
import { formatRecap, mergeReports, missingShards, type ReportPart, type RunReport } from '../report/index.js'
import { recordOutcome, type FleetIo } from './run.js'

const isReport = (x: unknown): x is RunReport =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as RunReport).playbook === 'string' &&
  typeof (x as RunReport).hosts === 'object'

// A pod's log (`kubectl logs`) holds progress lines, then the report as a JSON block whose braces stand alone on a line.
const jsonBlocks = (s: string) => [...s.matchAll(/^\{\n[\s\S]*?\n\}$/gm)].map((m) => m[0])

/** The reports in one file: a report file as meshvm writes it, or pod logs with one or more reports in them. */
export function reportsIn(source: string, content: string): ReportPart[] {
  let whole: unknown
  try {
    whole = JSON.parse(content)
  } catch {
    whole = undefined
  }
  const found = whole === undefined ? jsonBlocks(content).map((b) => JSON.parse(b) as unknown) : [whole]
  const reports = found.filter(isReport)
  if (reports.length === 0)
    throw new InputError(`report merge: ${source} holds no meshvm report (a report file or a pod's log)`)
  return reports.map((report, i) => ({ source: reports.length > 1 ? `${source} (report ${i + 1})` : source, report }))
}

export interface MergeRequest {
  files: string[]
  stdin: NodeJS.ReadableStream
  /** The fleet the shards were cut from (`-i`, `--limit`): VMs in no report are listed as not run. */
  fleet?: Vm[]
  reportFiles?: string[]
}

/**
 * `meshvm report merge`: one fleet report and one failed list (`--limit @failed`) from the shards' reports or pod logs;
 * a shard with no report makes the exit code 2, and with the fleet given, its VMs go into the failed list.
 */
export async function mergeShardReports(r: MergeRequest, io: FleetIo): Promise<{ code: number; report: RunReport }> {
  const parts: ReportPart[] = []
  for (const file of r.files) {
    const content =
      file === '-'
        ? await text(r.stdin)
        : await readFile(file, 'utf8').catch((e: Error) => {
            throw new InputError(`report merge: cannot read ${file}: ${e.message}`)
          })
    parts.push(...reportsIn(file === '-' ? 'stdin' : file, content))
  }
  const count = parts[0]?.report.shard?.count
  const absent = count === undefined ? [] : missingShards(parts, count)
  const missing = (r.fleet ?? []).map((vm) => ({
    name: vm.name,
    msg:
      count === undefined
        ? 'in the inventory but in no report'
        : `no report from shard ${shardOf(vm.name, count)}/${count}`,
  }))
  const report = mergeReports(parts, missing)
  const recap = r.reportFiles?.includes('-') ? io.stderr : io.stdout
  for (const line of formatRecap(report, { color: false })) recap.write(line + '\n')
  for (const i of absent)
    io.stderr.write(
      `shard ${i}/${count}: no report${r.fleet ? '' : ' (pass -i INVENTORY to list its VMs as not run)'}\n`,
    )
  await recordOutcome(report, r.reportFiles, io)
  const hosts = Object.values(report.hosts)
  const failed = absent.length > 0 || hosts.some((h) => h.status === 'failed' || h.status === 'not-run')
  const code = failed
    ? ExitCode.failed
    : hosts.some((h) => h.status === 'unreachable')
      ? ExitCode.unreachable
      : ExitCode.ok
  return { code, report }
}
