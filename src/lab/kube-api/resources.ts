/** One kind of object the emulator serves; objects of a type share storage across all its versions. */
export interface ResourceType {
  /** '' for the core group. */
  group: string
  versions: string[]
  plural: string
  singular: string
  kind: string
  namespaced: boolean
  verbs: string[]
  shortNames?: string[]
  /** Subresources served under `<name>/<sub>`. */
  subresources?: string[]
}

export const ISTIO_GROUP = 'networking.istio.io'
export const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3']

const CRUD = ['create', 'delete', 'get', 'list', 'patch', 'update']

const types: ResourceType[] = [
  { group: '', versions: ['v1'], plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, verbs: CRUD, shortNames: ['ns'] },
  { group: '', versions: ['v1'], plural: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true, verbs: CRUD, shortNames: ['sa'], subresources: ['token'] },
  { group: '', versions: ['v1'], plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, verbs: CRUD, shortNames: ['cm'] },
  { group: '', versions: ['v1'], plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, verbs: CRUD },
  { group: '', versions: ['v1'], plural: 'services', singular: 'service', kind: 'Service', namespaced: true, verbs: CRUD, shortNames: ['svc'], subresources: ['status'] },
  { group: 'apps', versions: ['v1'], plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, verbs: CRUD, shortNames: ['deploy'], subresources: ['status'] },
  { group: 'admissionregistration.k8s.io', versions: ['v1'], plural: 'mutatingwebhookconfigurations', singular: 'mutatingwebhookconfiguration', kind: 'MutatingWebhookConfiguration', namespaced: false, verbs: CRUD },
  { group: 'authentication.k8s.io', versions: ['v1'], plural: 'tokenreviews', singular: 'tokenreview', kind: 'TokenReview', namespaced: false, verbs: ['create'] },
  { group: ISTIO_GROUP, versions: ISTIO_VERSIONS, plural: 'workloadgroups', singular: 'workloadgroup', kind: 'WorkloadGroup', namespaced: true, verbs: CRUD, shortNames: ['wg'], subresources: ['status'] },
  { group: ISTIO_GROUP, versions: ISTIO_VERSIONS, plural: 'workloadentries', singular: 'workloadentry', kind: 'WorkloadEntry', namespaced: true, verbs: CRUD, shortNames: ['we'], subresources: ['status'] },
]

/** The served resource table, with the Istio group narrowed to `istioVersions` (order = preference). */
export function resourceTable(istioVersions: string[] = ISTIO_VERSIONS): ResourceType[] {
  return types.map((t) => (t.group === ISTIO_GROUP ? { ...t, versions: istioVersions.filter((v) => ISTIO_VERSIONS.includes(v)) } : t))
}

export function findType(table: ResourceType[], group: string, version: string, plural: string): ResourceType | undefined {
  return table.find((t) => t.group === group && t.plural === plural && t.versions.includes(version))
}

export function typeOfKind(table: ResourceType[], apiVersion: string, kind: string): ResourceType | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion]
  return table.find((t) => t.group === group && t.kind === kind && t.versions.includes(version))
}

export const apiVersionOf = (type: ResourceType, version: string) => (type.group ? `${type.group}/${version}` : version)
