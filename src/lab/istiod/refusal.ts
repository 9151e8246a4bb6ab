/** gRPC status names istiod answers with, mapped onto the HTTP statuses of the lab protocol. */
export const refusalStatus = {
  InvalidArgument: 400,
  Unauthenticated: 401,
  PermissionDenied: 403,
  NotFound: 404,
  FailedPrecondition: 412,
  Unavailable: 503,
} as const
export type RefusalCode = keyof typeof refusalStatus

/** Why istiod turned a proxy away; the message is what the proxy logs (never contains the token). */
export class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message)
    this.name = 'Refusal'
  }
}
