import { maskSecrets, type Secret } from '../secret.js'
import type { StepProgress, Tally } from '../executor/events.js'

/** Where a renderer's lines go: one call per line, secrets already masked. */
export type LineOut = (line: string) => void

export function lineOut(stream: NodeJS.WritableStream, secrets: readonly Secret[] = []): LineOut {
  return (line) => {
    stream.write(maskSecrets(line, secrets) + '\n')
  }
}

/** Masks every string inside a JSON-able value, so escaping in JSON.stringify cannot hide a secret from the mask. */
export function maskDeep<T>(value: T, secrets: readonly Secret[]): T {
  if (secrets.length === 0) return value
  if (typeof value === 'string') return maskSecrets(value, secrets) as T
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, secrets)) as T
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, secrets)])) as T
  }
  return value
}

/** `12ms` below a second, `2.3s` above. */
export function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`
}

/** `[3/11]` for the step at index 2 of 11; `[3]` when the executor did not say how many. */
export function stepLabel(index: number, total?: number): string {
  return total === undefined ? `[${index + 1}]` : `[${index + 1}/${total}]`
}

export function tallyText(t: Tally): string {
  return `ok=${t.ok} changed=${t.changed} failed=${t.failed} skipped=${t.skipped}`
}

/** Continuation lines of a multi-line message, indented under the line that carries it. */
export function indentRest(text: string, by: string): string {
  return text
    .trimEnd()
    .split('\n')
    .join('\n' + by)
}

const MIB = 1024 * 1024

/**
 * A running step's progress in words: `log: <the line>` (control characters, such as the tabs between the fields of
 * an Istio log line or a terminal escape, as spaces), or `uploaded 7.5 of 30.0 MiB (25%)`.
 */
export function progressText(p: StepProgress): string {
  if ('line' in p) return `log: ${p.line.replace(/[\x00-\x1f\x7f]+/g, ' ').trim()}`
  const mib = (n: number) => (n / MIB).toFixed(1)
  return `uploaded ${mib(p.bytes)} of ${mib(p.total)} MiB (${Math.floor((p.bytes * 100) / p.total)}%)`
}
