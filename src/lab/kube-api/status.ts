import type { ResourceType } from './resources.js'

/** The `reason` values a kube-apiserver puts in a failure Status (k8s.io/apimachinery metav1.StatusReason). */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'TooManyRequests'

/** `details` of a Status: `kind` is the resource plural for most reasons, as the API server does. */
export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  causes?: Array<{ reason: string; message: string; field: string }>
}

/** A request failure that the server answers with a `kind: Status` body. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message)
  }

  toStatus(): Record<string, unknown> {
    const body: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
    }
    if (this.details) body.details = this.details
    body.code = this.code
    return body
  }
}

/** `configmaps`, `deployments.apps`, `workloadgroups.networking.istio.io`: how messages name a resource. */
export function qualifiedName(type: Pick<ResourceType, 'plural' | 'group'>): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural
}

function details(type: Pick<ResourceType, 'plural' | 'group'>, name: string): StatusDetails {
  return type.group ? { name, group: type.group, kind: type.plural } : { name, kind: type.plural }
}

export const notFound = (type: Pick<ResourceType, 'plural' | 'group'>, name: string) =>
  new StatusError(404, 'NotFound', `${qualifiedName(type)} "${name}" not found`, details(type, name))

export const namespaceNotFound = (ns: string) => notFound({ plural: 'namespaces', group: '' }, ns)

export const alreadyExists = (type: ResourceType, name: string) =>
  new StatusError(409, 'AlreadyExists', `${qualifiedName(type)} "${name}" already exists`, details(type, name))

export const conflict = (type: ResourceType, name: string) =>
  new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(type)} "${name}": the object has been modified; ` +
      'please apply your changes to the latest version and try again',
    details(type, name),
  )

export function invalid(type: ResourceType, name: string, field: string, detail: string): StatusError {
  const cause = `${field}: ${detail}`
  return new StatusError(422, 'Invalid', `${type.kind} "${name}" is invalid: ${cause}`, {
    name,
    group: type.group || undefined,
    kind: type.kind,
    causes: [{ reason: 'FieldValueInvalid', message: detail, field }],
  })
}

export const badRequest = (message: string) => new StatusError(400, 'BadRequest', message)

export const unauthorized = () => new StatusError(401, 'Unauthorized', 'Unauthorized')

export const resourceNotFound = () =>
  new StatusError(404, 'NotFound', 'the server could not find the requested resource', {})

export const methodNotAllowed = () =>
  new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {})

/** The RBAC refusal text of kube-apiserver (`forbidden: User "u" cannot <verb> resource ...`). */
export function forbidden(a: {
  user: string
  verb: string
  resource: string
  subresource?: string
  group: string
  namespace?: string
  name?: string
}): StatusError {
  const qualified = qualifiedName({ plural: a.resource, group: a.group })
  const target = a.name ? `${qualified} "${a.name}"` : qualified
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope'
  return new StatusError(
    403,
    'Forbidden',
    `${target} is forbidden: User "${a.user}" cannot ${a.verb} resource "${resource}" ` +
      `in API group "${a.group}" ${scope}`,
    a.group ? { name: a.name, group: a.group, kind: a.resource } : { name: a.name, kind: a.resource },
  )
}

export const internalError = (message: string) =>
  new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ reason: '', message, field: '' }],
  })

export const serviceUnavailable = (message: string) => new StatusError(503, 'ServiceUnavailable', message)
