import type { WorkloadEntryFlags } from '../bundle/types.js'
import type { Secret } from '../secret.js'

/** How to reach a VM over SSH (OpenSSH semantics; ~/.ssh/config fills what the inventory leaves out). */
export interface SshTarget {
  /** Address or ssh_config Host alias. */
  host: string
  port: number
  user: string
  identityFile?: string
  password?: Secret
  /** `user@host:port` list, comma separated, as OpenSSH ProxyJump. */
  proxyJump?: string
  /** Extra known_hosts file (relative to the inventory), read before ~/.ssh/known_hosts; new keys go there. */
  knownHostsFile?: string
  /**
   * Fields the inventory left unset and that hold OpenSSH's fallback (port 22, the current user): the ssh layer lets
   * ~/.ssh/config override exactly these, as `ssh` does when neither `-p` nor `-l` is given.
   */
  defaulted?: Array<'user' | 'port'>
}

/** The WorkloadGroup a VM belongs to (one per distinct name/namespace in the inventory). */
export interface WorkloadGroupSpec {
  name: string
  namespace: string
  serviceAccount: string
  labels: Record<string, string>
  annotations: Record<string, string>
  ports: Record<string, number>
  network: string
  probe?: Record<string, unknown>
}

/** Where the sidecar package comes from: a URL the VM downloads, or a local file the controller pushes. */
export interface PackageSource {
  url?: string
  file?: string
  sha256?: string
  version?: string
}

/** One VM, with defaults, groups and host keys merged (host wins, then groups in order, then defaults). */
export interface Vm extends WorkloadEntryFlags {
  name: string
  groups: string[]
  ssh: SshTarget
  workloadGroup: WorkloadGroupSpec
  revision: string
  package?: PackageSource
  /** Base URL of Istio's release layout for the default package (no `package`); unset: $MESHVM_PACKAGE_MIRROR or Istio's. */
  packageMirror?: string
  /** Who downloads the default package: the controller (default: cached, pushed over SSH) or the VM itself. */
  packageFetch?: 'controller' | 'vm'
  /**
   * meshvm creates the VM's WorkloadEntry (health checks on) and names it to the sidecar (ISTIO_META_WORKLOAD_ENTRY),
   * so istiod keeps its Healthy condition without auto-registration (Istio 1.19+, istio/istio#44712). Off by default:
   * the bundle then stays byte-identical to istioctl's.
   */
  workloadEntryHealth?: boolean
  /** Escalation for non-root users. */
  become: { method: 'sudo' | 'none'; password?: Secret }
  /** Every other key, for playbook variables. */
  vars: Record<string, unknown>
}

/** A host of an Ansible inventory that meshvm leaves alone, and why (e.g. `ansible_connection: local`). */
export interface SkippedHost {
  name: string
  reason: string
}

export interface Inventory {
  file: string
  vms: Vm[]
  skipped?: SkippedHost[]
}
