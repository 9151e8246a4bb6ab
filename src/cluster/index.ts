// The cluster door: the only place the Kubernetes client is used. Other folders import from here.
export { connectCluster, type ClusterClient, type ConnectOptions } from './client.js'
export { ClusterError, type ClusterErrorKind } from './errors.js'
export { listContexts, loadKubeConfig, type ContextInfo, type KubeconfigOptions } from './kubeconfig.js'
export { readClusterFacts, type ClusterFacts, type FactsOptions } from './facts.js'
export { DEFAULT_ISTIO_VERSION, readIstioRelease, type IstioVersionSource } from './istio-install.js'
export { mintToken, plannedToken, ISTIO_CA_AUDIENCE } from './token.js'
export {
  createNamespace,
  createServiceAccount,
  namespaceExists,
  readWorkloadGroupBody,
  serviceAccountExists,
  workloadGroupSpec,
  writeWorkloadGroup,
  type WorkloadGroupBody,
} from './group-objects.js'
export { waitForRootCert } from './root-cert-wait.js'
export {
  deleteWorkloadEntry,
  getWorkloadEntry,
  writeWorkloadEntry,
  getWorkloadGroup,
  listWorkloadEntries,
  listWorkloadGroups,
  type WorkloadEntryObject,
} from './workload-objects.js'
export { eastWestGatewayIP, listNamespaces } from './listing.js'
export { readControlPlane, type CaFacts, type ControlPlaneFacts } from './control-plane.js'
