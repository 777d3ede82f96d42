/** Typed calls to the Client-Server API, through the endpoint descriptors of `@hearth/federation/client`. */
export {
  type CallRequest,
  type Download,
  errorFromResponse,
  type FetchLike,
  HttpApi,
  type HttpApiOptions,
  type ProgressCallback,
  type RateLimitPolicy,
  sleep,
  withQuery,
} from "./http-api.js";
