import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** How the lab cluster process runs; written by `lab up` into DIR/cluster/config.json (0600: it holds the API token). */
export interface LabClusterConfig {
  host: string
  apiPort: number
  istiodPort: number
  /** The admin bearer token of the lab API (lab-only credential, also in DIR/kubeconfig). */
  token: string
  istioVersion: string
  clusterName: string
}

export const clusterConfigFile = (dir: string) => join(dir, 'cluster', 'config.json')

export function readClusterConfig(dir: string): LabClusterConfig {
  return JSON.parse(readFileSync(clusterConfigFile(dir), 'utf8')) as LabClusterConfig
}
