import { parseIstioVersion } from '../bundle/istio-version.js'
import type { IstioVersion } from '../bundle/types.js'
import type { FlagSpec, FlagValues } from './args.js'

/** Flags every cluster-using command shares, named as kubectl's. */
export const clusterFlags: Record<string, FlagSpec> = {
  kubeconfig: { type: 'string', help: 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' },
  context: { type: 'string', help: 'kubeconfig context (default: its current context)' },
  'istio-version': {
    type: 'string',
    help: "reproduce this istioctl version's files (default: detected from the cluster)",
  },
}

export function clusterOptions(f: FlagValues, env: NodeJS.ProcessEnv) {
  return { kubeconfig: f.kubeconfig as string | undefined, context: f.context as string | undefined, env }
}

export function istioVersionFlag(f: FlagValues): IstioVersion | undefined {
  return f['istio-version'] === undefined ? undefined : parseIstioVersion(String(f['istio-version']))
}
