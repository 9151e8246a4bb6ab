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

/** Which istioctl's output to reproduce: releases differ in small ways (see VersionBehaviour in istio-version.ts). */
export interface IstioVersion {
  major: number
  minor: number
}

/**
 * The flags of `istioctl x workload entry configure` that shape a VM's files (istio/istio
 * istioctl/pkg/workload/workload.go), declared once: the inventory's VM fields, the cluster reads and the bundle
 * input pick from here.
 */
export interface WorkloadEntryFlags {
  /** `-r`; '' or undefined: the default revision tag decides (istioctl 1.28+). */
  revision?: string
  /** `-i`, default istio-system. */
  istioNamespace: string
  /** `--clusterID`; undefined: read from the injector ConfigMap, as istioctl does when the flag is not passed. */
  clusterId?: string
  /** `--ingressIP`: used when it is an IP; otherwise the ingress Service is looked up. */
  ingressIP?: string
  /** `--ingressService`: `<svc>` or `<svc>.<ns>`. */
  ingressService: string
  internalIP?: string
  externalIP?: string
  autoregister: boolean
  /** `--capture-dns`. */
  captureDns: boolean
  /** `--tokenDuration`, seconds. */
  tokenDuration: number
}

/** The flags that reach the bundle as they are (the others go through the cluster's facts). */
export type VmFlags = Pick<
  WorkloadEntryFlags,
  'istioNamespace' | 'internalIP' | 'externalIP' | 'autoregister' | 'captureDns'
>

/** Everything a bundle is computed from: cluster facts + the VM's flags. The bundle is a pure function of this. */
export interface BundleInput extends VmFlags {
  workloadGroup: WorkloadGroupObject
  /** `data.mesh` of the mesh ConfigMap (`istio` or `istio-<rev>`). */
  meshConfig: string
  rootCert: string
  token: Secret
  clusterId: string
  /** '' or 'default' means not revisioned. */
  revision: string
  /** The ingress address already resolved (flag IP, or the Service's LB IP / externalIP); '' when none was found. */
  ingressIP: string
  istioVersion: IstioVersion
  /**
   * Not an istioctl flag: the WorkloadEntry meshvm created for the VM, as `ISTIO_META_WORKLOAD_ENTRY` in cluster.env,
   * so istiod keeps its health (Istio 1.19+, istio/istio#44712). Unset: cluster.env is istioctl's, byte for byte.
   */
  workloadEntry?: string
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
