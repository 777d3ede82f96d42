/**
 * OpenID tokens (Client-Server API, "OpenID"; Server-Server API, "OpenID"): a user asks for a
 * short-lived token (`POST /user/{userId}/openid/request_token`) and hands it to a third party
 * (an integration manager, a widget), which asks this server who it belongs to
 * (`GET /_matrix/federation/v1/openid/userinfo`). The token proves only the user ID. Tokens live in
 * memory for an hour; a restart ends them, and the third party asks for a new one.
 */
import { randomBytes } from "node:crypto";
import { MatrixError } from "@hearth/federation";

const LIFETIME_MS = 60 * 60 * 1000;
const MAX_TOKENS = 100_000;

/** Issues and checks OpenID tokens. */
export class OpenIdService {
  readonly #tokens = new Map<string, { userId: string; expiresTs: number }>();

  constructor(
    private readonly serverName: string,
    private readonly now: () => number,
  ) {}

  /** A new token for `userId`. */
  issue(userId: string): {
    access_token: string;
    token_type: "Bearer";
    matrix_server_name: string;
    expires_in: number;
  } {
    const token = randomBytes(24).toString("base64url");
    if (this.#tokens.size >= MAX_TOKENS) this.#tokens.delete(this.#tokens.keys().next().value!);
    this.#tokens.set(token, { userId, expiresTs: this.now() + LIFETIME_MS });
    return {
      access_token: token,
      token_type: "Bearer",
      matrix_server_name: this.serverName,
      expires_in: LIFETIME_MS / 1000,
    };
  }

  /** The user a valid token was issued to; 401 `M_UNKNOWN_TOKEN` otherwise. */
  userInfo(token: string | undefined): { sub: string } {
    const entry = token ? this.#tokens.get(token) : undefined;
    if (!entry || entry.expiresTs <= this.now()) {
      if (token) this.#tokens.delete(token);
      throw new MatrixError("M_UNKNOWN_TOKEN", "Access token unknown or expired");
    }
    return { sub: entry.userId };
  }
}
