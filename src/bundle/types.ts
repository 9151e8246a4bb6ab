import type { Secret } from '../secret.js'

/** A WorkloadGroup object as the API (or a `-f` file) holds it; only what istioctl reads. */
export interface WorkloadGroupObject {
  metadata: { name: string; namespace: string; annotations?: Record<string, string> }
  spec: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }
    template?: {
      serviceAccount?: string
      network?: string
      ports?: Record<string, number>
      labels?: Record<string, string>
      [k: string]: unknown
    }
    probe?: Record<string, unknown>
  }
}

/** Which istioctl's output to reproduce: 1.10 (legacy) and 1.12+ differ (see docs/istio-vm-spec.md §5). */
export interface IstioVersion {
  major: number
  minor: number
}

/** Everything a bundle is computed from: cluster facts + the VM's flags. The bundle is a pure function of this. */
export interface BundleInput {
  workloadGroup: WorkloadGroupObject
  /** `data.mesh` of the mesh ConfigMap (`istio` or `istio-<rev>`). */
  meshConfig: string
  rootCert: string
  token: Secret
  clusterId: string
  /** '' or 'default' means not revisioned. */
  revision: string
  istioNamespace: string
  /** The ingress address already resolved (flag IP, or the Service's LB IP / externalIP); '' when none was found. */
  ingressIP: string
  internalIP?: string
  externalIP?: string
  autoregister: boolean
  captureDns: boolean
  istioVersion: IstioVersion
}

export type BundleFileName = 'cluster.env' | 'mesh.yaml' | 'root-cert.pem' | 'istio-token' | 'hosts'

export interface BundleFile {
  name: BundleFileName
  content: string | Secret
  /** 0o644, istio-token 0o600. */
  mode: number
}

/** The files in istioctl's write order, plus the warnings istioctl would print (hosts, template labels). */
export interface Bundle {
  files: BundleFile[]
  warnings: string[]
}
