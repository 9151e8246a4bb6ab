/** What happened to one cluster object of a group, in the words onboard, bundle and the wizard's plan print. */
export interface EnsuredObject {
  kind: 'Namespace' | 'ServiceAccount' | 'WorkloadGroup'
  name: string
  namespace?: string
  result: 'created' | 'unchanged' | 'updated' | 'would-create' | 'would-update'
  reason: string
}

/** `Namespace apps`, `WorkloadGroup apps/web`. */
export const objectName = (o: EnsuredObject) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`
