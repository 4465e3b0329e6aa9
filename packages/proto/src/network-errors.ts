import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

// Errors below gRPC: nothing was (or could be) said by the server, so the call is retryable as UNAVAILABLE,
// which is how gRPC clients classify them.
const unavailableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

/**
 * The Node.js error code (ECONNREFUSED, ENOTFOUND, DEPTH_ZERO_SELF_SIGNED_CERT, ...) behind a failed call,
 * or undefined when the failure did not come from the network or TLS layer.
 * Walks `cause` by shape rather than `instanceof Error`, so errors from another realm (vm, jest) count too.
 */
export function networkErrorCode(reason: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let r = reason; typeof r === "object" && r !== null && !seen.has(r); r = (r as { cause?: unknown }).cause) {
    seen.add(r);
    const code = (r as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** Reclassifies connection/TLS failures that surfaced as INTERNAL to UNAVAILABLE. Server statuses pass untouched. */
export const unavailableOnNetworkError: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (e) {
    const code = networkErrorCode(e instanceof ConnectError ? e.cause : e);
    if (code !== undefined && unavailableCodes.has(code)) {
      const ce = ConnectError.from(e);
      if (ce.code === Code.Internal) {
        throw new ConnectError(ce.rawMessage, Code.Unavailable, ce.metadata, undefined, ce.cause ?? e);
      }
    }
    throw e;
  }
};
