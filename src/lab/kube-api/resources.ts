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

function type(group: string, versions: string[], kind: string, plural: string, more: Partial<ResourceType> = {}) {
  return { group, versions, kind, plural, singular: kind.toLowerCase(), namespaced: true, verbs: CRUD, ...more }
}

const V1 = ['v1']
const STATUS = ['status']
const types: ResourceType[] = [
  type('', V1, 'Namespace', 'namespaces', { namespaced: false, shortNames: ['ns'] }),
  type('', V1, 'ServiceAccount', 'serviceaccounts', { shortNames: ['sa'], subresources: ['token'] }),
  type('', V1, 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  type('', V1, 'Secret', 'secrets'),
  type('', V1, 'Service', 'services', { shortNames: ['svc'], subresources: ['status'] }),
  type('', V1, 'PersistentVolumeClaim', 'persistentvolumeclaims', { shortNames: ['pvc'], subresources: STATUS }),
  // what `meshvm ... --print-job` prints, so kubectl can map (and dry-run) it against this API
  type('batch', V1, 'Job', 'jobs', { subresources: STATUS }),
  type('rbac.authorization.k8s.io', V1, 'ClusterRole', 'clusterroles', { namespaced: false }),
  type('rbac.authorization.k8s.io', V1, 'ClusterRoleBinding', 'clusterrolebindings', { namespaced: false }),
  type('apps', V1, 'Deployment', 'deployments', { shortNames: ['deploy'], subresources: ['status'] }),
  type('admissionregistration.k8s.io', V1, 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', {
    namespaced: false,
  }),
  // for the manifests meshvm prints (renew --print-cronjob): kubectl maps them through discovery
  type('batch', V1, 'CronJob', 'cronjobs', { shortNames: ['cj'], subresources: ['status'] }),
  type('rbac.authorization.k8s.io', V1, 'ClusterRole', 'clusterroles', { namespaced: false }),
  type('rbac.authorization.k8s.io', V1, 'ClusterRoleBinding', 'clusterrolebindings', { namespaced: false }),
  type('authentication.k8s.io', V1, 'TokenReview', 'tokenreviews', { namespaced: false, verbs: ['create'] }),
  type(ISTIO_GROUP, ISTIO_VERSIONS, 'WorkloadGroup', 'workloadgroups', { shortNames: ['wg'], subresources: STATUS }),
  type(ISTIO_GROUP, ISTIO_VERSIONS, 'WorkloadEntry', 'workloadentries', { shortNames: ['we'], subresources: STATUS }),
]

/** The served resource table, with the Istio group narrowed to `istioVersions` (order = preference). */
export function resourceTable(istioVersions: string[] = ISTIO_VERSIONS): ResourceType[] {
  const served = istioVersions.filter((v) => ISTIO_VERSIONS.includes(v))
  return types.map((t) => (t.group === ISTIO_GROUP ? { ...t, versions: served } : t))
}

export function findType(table: ResourceType[], group: string, version: string, plural: string) {
  return table.find((t) => t.group === group && t.plural === plural && t.versions.includes(version))
}

export function typeOfKind(table: ResourceType[], apiVersion: string, kind: string): ResourceType | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion]
  return table.find((t) => t.group === group && t.kind === kind && t.versions.includes(version))
}

export const apiVersionOf = (type: ResourceType, version: string) => (type.group ? `${type.group}/${version}` : version)
