import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { withFileLock } from './file-lock.js'
import { statePath } from './state.js'

// Machine-wide record of running labs, so two labs on one bridge neither take the same addresses nor delete the
// bridge under each other.
const REGISTRY = '/run/meshvm-lab'

/** Which host numbers a lab uses on which bridge. */
export interface LabClaim {
  labId: string
  dir: string
  bridge: string
  first: number
  last: number
  /** The process that started the lab (test helpers clean up labs whose test process died). */
  ownerPid: number
}

/** Claims of other labs whose state.json still exists (a deleted lab dir frees its claim). */
export function otherClaims(labId = ''): LabClaim[] {
  const dir = join(REGISTRY, 'labs')
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((f) => {
    const claim = JSON.parse(readFileSync(join(dir, f), 'utf8')) as LabClaim
    if (claim.labId === labId) return []
    if (existsSync(statePath(claim.dir))) return [claim]
    rmSync(join(dir, f), { force: true })
    return []
  })
}

export function writeClaim(c: LabClaim): void {
  mkdirSync(join(REGISTRY, 'labs'), { recursive: true })
  writeFileSync(join(REGISTRY, 'labs', `${c.labId}.json`), JSON.stringify(c) + '\n')
}

export function removeClaim(labId: string): void {
  rmSync(join(REGISTRY, 'labs', `${labId}.json`), { force: true })
}

/**
 * Runs `fn` holding the machine-wide lock of `bridge`. Every change of who uses a bridge happens under it — a lab's
 * claim written and the bridge made (and marked) when missing, or a claim removed and the bridge deleted when no other
 * claim is left — so two labs starting and stopping at once neither delete a bridge in use nor lose its marker.
 */
export async function withBridgeLock<T>(bridge: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(join(REGISTRY, 'bridges'), { recursive: true })
  return withFileLock(join(REGISTRY, 'bridges', `${bridge}.lock`), 60_000, fn)
}

/** The bridge was made by a lab (not found on the machine), so the last lab to leave it deletes it. */
export function markBridgeCreated(bridge: string): void {
  mkdirSync(join(REGISTRY, 'bridges'), { recursive: true })
  writeFileSync(join(REGISTRY, 'bridges', bridge), '')
}

export function bridgeCreatedByLab(bridge: string): boolean {
  return existsSync(join(REGISTRY, 'bridges', bridge))
}

export function forgetBridge(bridge: string): void {
  rmSync(join(REGISTRY, 'bridges', bridge), { force: true })
}

/** The lowest host number from which `count` hosts clash with no other lab on `bridge`. */
export function freeFirstIndex(labId: string, bridge: string, count: number): number {
  const taken = otherClaims(labId)
    .filter((c) => c.bridge === bridge)
    .sort((a, b) => a.first - b.first)
  let first = 1
  for (const c of taken) if (first + count - 1 >= c.first && first <= c.last) first = c.last + 1
  return first
}
