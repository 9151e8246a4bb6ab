// The lab mesh CA's roots and their rotation, in the order an operator rotates a plugged-in root (istio.io "plug in
// CA certificates" and istio#30922): `overlap` adds a new root to the trust bundle (still signing with the old one),
// `switch` signs with the new root, `finish` drops the old one. The state lives in DIR/pki/mesh-roots.json; the lab
// cluster process applies it on SIGHUP. The Kubernetes API keeps its own serving chain (the original lab root).
import { existsSync, readFileSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLabPki, type LabPki } from './pki.js'

export const rotationPhases = ['overlap', 'switch', 'finish'] as const
export type RotationPhase = (typeof rotationPhases)[number]

/** Root directories relative to the pki dir ('.' is the first root); the signer is one of the trusted. */
interface MeshRootsState {
  generation: number
  signer: string
  trusted: string[]
}

/** The mesh CA as istiod uses it: who signs, and the bundle of trusted roots (istio-ca-root-cert's content). */
export interface MeshCa {
  generation: number
  signer: LabPki
  trusted: LabPki[]
  trustedPem: string
}

const stateFile = (pkiDir: string) => join(pkiDir, 'mesh-roots.json')
const first: MeshRootsState = { generation: 0, signer: '.', trusted: ['.'] }

function readState(pkiDir: string): MeshRootsState {
  return existsSync(stateFile(pkiDir)) ? (JSON.parse(readFileSync(stateFile(pkiDir), 'utf8')) as MeshRootsState) : first
}

export async function loadMeshCa(pkiDir: string): Promise<MeshCa> {
  const state = readState(pkiDir)
  const trusted = await Promise.all(state.trusted.map((d) => createLabPki(join(pkiDir, d))))
  const signer = trusted[state.trusted.indexOf(state.signer)]
  return { generation: state.generation, signer, trusted, trustedPem: trusted.map((p) => p.caCertPem).join('') }
}

/** Takes the rotation one phase on; a phase out of order is refused with what to do instead. */
export async function rotateMeshRoot(pkiDir: string, phase: RotationPhase): Promise<MeshCa> {
  const state = readState(pkiDir)
  const rotating = state.trusted.length > 1
  const next: MeshRootsState = { ...state, generation: state.generation + 1 }
  if (phase === 'overlap') {
    if (rotating) throw new Error('a root rotation is already under way: run `lab rotate-root switch` or `finish`')
    const name = `root-${state.generation + 1}`
    await createLabPki(join(pkiDir, name), `meshvm lab root CA ${state.generation + 1}`)
    next.trusted = [state.signer, name]
  } else {
    if (!rotating) throw new Error('no root rotation under way: run `lab rotate-root overlap` first')
    const newest = state.trusted[state.trusted.length - 1]
    next.signer = newest
    if (phase === 'finish') next.trusted = [newest]
  }
  const tmp = `${stateFile(pkiDir)}.tmp`
  await writeFile(tmp, JSON.stringify(next, null, 2))
  await rename(tmp, stateFile(pkiDir))
  return loadMeshCa(pkiDir)
}
