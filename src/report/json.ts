import { writeFileAtomic } from '../local-file.js'
import { ExitError } from '../errors.js'
import type { RunListener } from '../executor/events.js'
import type { Secret } from '../secret.js'
import type { RunReport } from './collector.js'
import { maskDeep, type LineOut } from './text.js'
import { MESHVM_VERSION, SCHEMA_VERSION } from '../version.js'

/**
 * `--output json`: every event as one JSON object per line (NDJSON); the first, `run-start`, also names the schema
 * version, meshvm's version and the command line (README "Reports and events").
 */
export function ndjsonListener(out: LineOut, secrets: readonly Secret[] = [], argv: string[] = []): RunListener {
  return (event) => {
    const line =
      event.type === 'run-start' ? { ...event, schemaVersion: SCHEMA_VERSION, meshvm: MESHVM_VERSION, argv } : event
    out(JSON.stringify(maskDeep(line, secrets)))
  }
}

/** The report as the JSON text written to files and stdout, secrets masked. */
export const reportText = (report: RunReport, secrets: readonly Secret[] = []) =>
  JSON.stringify(maskDeep(report, secrets), null, 2) + '\n'

/** Writes the report as JSON, atomically: a temp file in the same directory, synced, then renamed over `file`. */
export async function writeReport(file: string, report: RunReport, secrets: readonly Secret[] = []): Promise<void> {
  const text = reportText(report, secrets)
  try {
    await writeFileAtomic(file, text)
  } catch (err) {
    throw new ExitError(`cannot write the report ${file}: ${(err as Error).message}`)
  }
}
