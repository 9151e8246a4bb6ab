/** One RBAC PolicyRule (rbac.authorization.k8s.io/v1). */
export interface PolicyRule {
  apiGroups: string[]
  resources: string[]
  verbs: string[]
}

/**
 * Every Kubernetes call this package makes, as the ClusterRole a pod running meshvm needs (the Indexed Job of
 * `--print-job`): ensuring namespaces, service accounts and WorkloadGroups, minting tokens, reading the cluster's
 * facts (mesh config, root cert, istiod and its ingress Service, the injector webhook), and reading, writing or
 * removing WorkloadEntries (created by meshvm for VMs with workloadEntryHealth). Cluster-wide because an inventory's groups may name any namespace. A test runs the fleet commands
 * against the emulator and checks each request against these rules.
 */
export const meshvmAccessRules: PolicyRule[] = [
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'create'] },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'create'] },
  { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
  { apiGroups: [''], resources: ['configmaps', 'services'], verbs: ['get'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
  { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['get'] },
  { apiGroups: ['networking.istio.io'], resources: ['workloadgroups'], verbs: ['get', 'create', 'update'] },
  {
    apiGroups: ['networking.istio.io'],
    resources: ['workloadentries'],
    verbs: ['get', 'list', 'create', 'update', 'delete'],
  },
]
