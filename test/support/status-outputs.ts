// `meshvm status` read back from each of its outputs (terminal table, JSON, Prometheus text parsed by the Python
// prometheus_client parser of Debian's python3-prometheus-client), so a test asserts one VM's verdict, reason and fix in all three.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { LabFleet } from './lab-fleet.js'

export interface VerdictView {
  verdict: string
  reason: string
  fix: string
}

export interface StatusOutputs {
  code: number
  table: string
  json: {
    summary: Record<string, number>
    vms: Array<
      VerdictView & {
        vm: string
        facts?: Record<string, any>
        checks: { check: string; level: string; text: string }[]
        diff?: string[]
      }
    >
  }
  prometheus: string
  metrics: Array<{ name: string; labels: Record<string, string>; value: number }>
}

const PARSE = `import json, sys
from prometheus_client.parser import text_string_to_metric_families
print(json.dumps([{"name": s.name, "labels": s.labels, "value": s.value} for f in text_string_to_metric_families(sys.stdin.read()) for s in f.samples]))`

export function parsePrometheus(text: string): StatusOutputs['metrics'] {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', PARSE], { input: text }).toString())
}

/** Runs status twice at once (table; JSON with --prometheus-file) and reads all three outputs. */
export async function statusOutputs(fleet: LabFleet, ...args: string[]): Promise<StatusOutputs> {
  const tmp = mkdtempSync('/tmp/meshvm-status-test-')
  try {
    const promFile = join(tmp, 'meshvm.prom')
    const [table, json] = await Promise.all([
      fleet.meshvm('status', ...args),
      fleet.meshvm('status', '--output', 'json', '--prometheus-file', promFile, ...args),
    ])
    assert.equal(table.code, json.code, `same exit code for both runs:\n${table.stdout}\n${json.stdout}${json.stderr}`)
    const prometheus = readFileSync(promFile, 'utf8')
    return {
      code: json.code,
      table: table.stdout,
      json: JSON.parse(json.stdout),
      prometheus,
      metrics: parsePrometheus(prometheus),
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

function fromTable(table: string, vm: string): VerdictView {
  const lines = table.split('\n')
  const at = lines.findIndex((l) => l.startsWith(`${vm} `))
  assert.ok(at >= 0, `${vm} has a row in the table:\n${table}`)
  const verdict = lines[at].split(/\s+/)[1]
  const after = lines.slice(at + 1)
  const reason = after[0]?.startsWith('    reason: ') ? after[0].slice(12) : ''
  const fix = after[1]?.startsWith('    fix:    ') ? after[1].slice(12) : ''
  return { verdict, reason, fix }
}

/** Asserts one VM's verdict, reason and fix, the same in the table, the JSON and the Prometheus text. */
export function assertVerdict(
  out: StatusOutputs,
  vm: string,
  want: { verdict: string; reason: RegExp; fix?: RegExp },
): void {
  const json = out.json.vms.find((v) => v.vm === vm)
  assert.ok(json, `${vm} in the JSON`)
  const sample = out.metrics.find((m) => m.name === 'meshvm_status_vm_verdict' && m.labels.vm === vm)
  assert.ok(sample, `${vm} in the Prometheus text`)
  const views: [string, VerdictView][] = [
    ['table', fromTable(out.table, vm)],
    ['json', { verdict: json.verdict, reason: json.reason, fix: json.fix ?? '' }],
    ['prometheus', { verdict: sample.labels.verdict, reason: sample.labels.reason, fix: sample.labels.fix }],
  ]
  for (const [where, v] of views) {
    assert.equal(v.verdict, want.verdict, `${vm} verdict in the ${where} output: ${v.reason}\n${out.table}`)
    if (where === 'table' && want.verdict === 'ok') continue // the table gives an ok VM one line, no reason
    assert.match(v.reason, want.reason, `${vm} reason in the ${where} output`)
    if (want.fix) assert.match(v.fix, want.fix, `${vm} fix in the ${where} output`)
  }
}

export const metric = (out: StatusOutputs, name: string, labels: Record<string, string>) =>
  out.metrics.find(
    (m) => m.name === `meshvm_status_${name}` && Object.entries(labels).every(([k, v]) => m.labels[k] === v),
  )?.value
