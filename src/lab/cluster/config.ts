import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CaMode } from '../istiod/index.js'

/** How the lab cluster process runs; written by `lab up` into DIR/cluster/config.json (0600: it holds the API token). */
export interface LabClusterConfig {
  host: string
  apiPort: number
  istiodPort: number
  /** The lab's sidecar package mirror (HTTP); absent in configs of labs started before it existed. */
  packagesPort?: number
  /** The admin bearer token of the lab API (lab-only credential, also in DIR/kubeconfig). */
  token: string
  istioVersion: string
  clusterName: string
  /** Lifetime of the workload certificates istiod issues (`lab up --cert-ttl`; default 24 h). */
  certTtlSeconds?: number
  /** `token-only`: the CA is cert-manager istio-csr with its default (no client certificates). */
  caMode?: CaMode
  /** Shortest token the lab API grants (the lab allows seconds; kube-apiserver 600). */
  minTokenSeconds?: number
}

export const clusterConfigFile = (dir: string) => join(dir, 'cluster', 'config.json')

export function readClusterConfig(dir: string): LabClusterConfig {
  return JSON.parse(readFileSync(clusterConfigFile(dir), 'utf8')) as LabClusterConfig
}

export const DEFAULT_PACKAGES_PORT = 8080
/** The base URL of the lab's release mirror, as an inventory's `packageMirror`. */
export const packageMirrorUrl = (c: LabClusterConfig) => `http://${c.host}:${c.packagesPort ?? DEFAULT_PACKAGES_PORT}/releases`
