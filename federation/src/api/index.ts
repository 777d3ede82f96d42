/**
 * Endpoint descriptors (`endpoint.ts`) and the Client-Server API's (`client.ts`, as `clientApi`):
 * declared once, read by the server's routes, the client SDK and the API documentation.
 */

export type {
  BasicEvent,
  ClientEvent,
  JoinedRoomSync,
  LoginResponse,
  PublicRoom,
  SyncResponse,
} from "./client.js";
export * as clientApi from "./client.js";
export {
  type BodyOf,
  type Endpoint,
  type EndpointAuth,
  endpoint,
  fillPath,
  type HttpMethod,
  type ParamsOf,
  pathParamNames,
  type QueryOf,
  type ResponseOf,
  routerPattern,
  routerPatterns,
} from "./endpoint.js";
