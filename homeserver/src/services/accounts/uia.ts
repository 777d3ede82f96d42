/**
 * User-interactive authentication (Client-Server API, "User-Interactive Authentication API").
 *
 * An endpoint states its flows; the first request without `auth` gets a 401 with `flows`, `params`,
 * a new `session` and `completed` (empty). Each request with `auth` attempts one stage; every 401
 * lists the stages `completed` so far, and a failed attempt adds `errcode` and `error`. Once every
 * stage of some flow is complete, {@link UserInteractiveAuth.authenticate} returns and the session is
 * spent. Sessions are stored (`uia_session`) so that a restart does not break a flow in progress, are
 * bound to one operation and user, and expire after {@link UIA_SESSION_LIFETIME_MS}.
 */
import { MatrixError } from "@hearth/federation";
import type { UiaSessionRecord, UiaSessionsKeyspace } from "../../storage/accounts.js";
import type { Database } from "../../storage/db.js";
import { newSessionId } from "./tokens.js";

/** How long a session lives. */
export const UIA_SESSION_LIFETIME_MS = 30 * 60_000;

/** The stage types this server implements. */
export type StageType = "m.login.password" | "m.login.dummy" | "m.login.registration_token";

/** What the password and registration-token stages need from the account service. */
export interface UiaCredentialChecker {
  /** The local user an auth dict's `identifier` (or legacy `user`) names, or `undefined`. */
  resolveUser(auth: Record<string, unknown>): string | undefined;
  /** Whether `password` is the password of the active account `userId`. */
  checkPassword(userId: string, password: string): Promise<boolean>;
  /** Whether a registration token can be used now. */
  isRegistrationTokenValid(token: string): Promise<boolean>;
}

/** What an endpoint asks of UIA. */
export interface UiaRequest {
  /** Names the operation (e.g. `"register"`, `"delete_devices"`); a session serves one operation. */
  readonly op: string;
  /** The user making the request when it carries an access token; stages must identify this user. */
  readonly userId: string | undefined;
  /** The flows offered: each a list of stage types, all of which must be completed. */
  readonly flows: ReadonlyArray<readonly StageType[]>;
}

/** The outcome of a completed flow. */
export interface UiaResult {
  /** The user the flow authenticated (by password), if any. */
  readonly userId: string | null;
  /** The registration token an `m.login.registration_token` stage accepted. */
  readonly registrationToken: string | null;
}

/**
 * The 401 response of UIA: `flows`, `params`, `session`, `completed` (always, possibly empty), and
 * `errcode`/`error` only when a stage attempt failed.
 */
export class UiaChallenge extends MatrixError {
  override readonly name: string = "UiaChallenge";

  constructor(
    readonly body: Readonly<Record<string, unknown>>,
    readonly stageError: MatrixError | undefined,
  ) {
    super(
      stageError?.errcode ?? "M_UNAUTHORIZED",
      stageError?.message ?? "Additional authentication required",
      {},
      401,
    );
  }

  override toJSON(): Record<string, unknown> {
    if (!this.stageError) return { ...this.body };
    return {
      ...this.stageError.extra,
      errcode: this.stageError.errcode,
      error: this.stageError.message,
      ...this.body,
    };
  }
}

type StageOutcome = { ok: true; session: UiaSessionRecord } | { ok: false; error: MatrixError };

/** The user-interactive authentication engine. */
export class UserInteractiveAuth {
  #lastSweep = 0;

  constructor(
    private readonly db: Database,
    private readonly sessions: UiaSessionsKeyspace,
    private readonly checker: UiaCredentialChecker,
    private readonly now: () => number,
  ) {}

  /**
   * Runs one round of UIA for `request` with the request's `auth` dict. Returns once a flow is
   * complete; otherwise throws {@link UiaChallenge} (401), or a plain `MatrixError` for malformed auth
   * or a session that is unknown or belongs to another operation.
   */
  async authenticate(auth: Record<string, unknown> | undefined, request: UiaRequest): Promise<UiaResult> {
    if (auth === undefined) {
      const session = this.#newSession(request);
      await this.db.write([this.sessions.put(session)]);
      await this.#sweep();
      throw this.#challenge(session, request, undefined);
    }
    const sessionId = auth.session;
    const type = auth.type;
    if (sessionId !== undefined && typeof sessionId !== "string") {
      throw new MatrixError("M_BAD_JSON", "'auth.session' must be a string");
    }
    if (type !== undefined && typeof type !== "string")
      throw new MatrixError("M_BAD_JSON", "'auth.type' must be a string");

    let session: UiaSessionRecord;
    let stored = false;
    if (sessionId !== undefined) {
      const found = await this.sessions.get(sessionId);
      if (!found || this.now() - found.createdTs > UIA_SESSION_LIFETIME_MS) {
        throw new MatrixError(
          "M_INVALID_PARAM",
          "Unknown or expired user-interactive authentication session",
        );
      }
      if (
        found.op !== request.op ||
        (request.userId !== undefined && found.userId !== null && found.userId !== request.userId)
      ) {
        throw new MatrixError(
          "M_FORBIDDEN",
          "The requested operation changed during user-interactive authentication",
        );
      }
      session = found;
      stored = true;
    } else {
      session = this.#newSession(request);
    }

    let error: MatrixError | undefined;
    if (type !== undefined && !session.completed.includes(type)) {
      if (!request.flows.some((flow) => (flow as readonly string[]).includes(type))) {
        error = new MatrixError(
          "M_UNRECOGNIZED",
          `Authentication type ${JSON.stringify(type)} is not offered here`,
        );
      } else {
        const outcome = await this.#attempt(type as StageType, auth, session, request);
        if (outcome.ok) session = outcome.session;
        else error = outcome.error;
      }
    }

    const done = request.flows.some((flow) => flow.every((stage) => session.completed.includes(stage)));
    if (done && !error) {
      if (stored) await this.db.write([this.sessions.del(session.sessionId)]);
      return { userId: session.userId, registrationToken: session.registrationToken };
    }
    await this.db.write([this.sessions.put(session)]);
    throw this.#challenge(session, request, error);
  }

  #newSession(request: UiaRequest): UiaSessionRecord {
    return {
      sessionId: newSessionId(),
      op: request.op,
      userId: request.userId ?? null,
      completed: [],
      registrationToken: null,
      createdTs: this.now(),
    };
  }

  #challenge(session: UiaSessionRecord, request: UiaRequest, error: MatrixError | undefined): UiaChallenge {
    const body: Record<string, unknown> = {
      flows: request.flows.map((stages) => ({ stages: [...stages] })),
      params: {},
      session: session.sessionId,
    };
    // The stages done so far, on every 401 of the session (an empty list before any), so a client can
    // always read its progress from the last answer.
    body.completed = [...session.completed];
    return new UiaChallenge(body, error);
  }

  async #attempt(
    type: StageType,
    auth: Record<string, unknown>,
    session: UiaSessionRecord,
    request: UiaRequest,
  ): Promise<StageOutcome> {
    const complete = (extra: Partial<UiaSessionRecord> = {}): StageOutcome => ({
      ok: true,
      session: { ...session, ...extra, completed: [...session.completed, type] },
    });
    switch (type) {
      case "m.login.dummy":
        return complete();
      case "m.login.password": {
        const password = auth.password;
        if (typeof password !== "string")
          throw new MatrixError("M_BAD_JSON", "'auth.password' must be a string");
        const userId = this.checker.resolveUser(auth) ?? request.userId;
        const expected = session.userId ?? request.userId;
        if (userId === undefined)
          return { ok: false, error: new MatrixError("M_FORBIDDEN", "Invalid username or password") };
        if (expected !== undefined && expected !== null && userId !== expected) {
          return {
            ok: false,
            error: new MatrixError("M_FORBIDDEN", "The identifier does not match the authenticated user"),
          };
        }
        if (!(await this.checker.checkPassword(userId, password))) {
          return { ok: false, error: new MatrixError("M_FORBIDDEN", "Invalid username or password") };
        }
        return complete({ userId });
      }
      case "m.login.registration_token": {
        const token = auth.token;
        if (typeof token !== "string") throw new MatrixError("M_BAD_JSON", "'auth.token' must be a string");
        if (token.length > 64 || !(await this.checker.isRegistrationTokenValid(token))) {
          return { ok: false, error: new MatrixError("M_UNAUTHORIZED", "Invalid registration token") };
        }
        return complete({ registrationToken: token });
      }
    }
  }

  /** Deletes expired sessions, at most every few minutes. */
  async #sweep(): Promise<void> {
    const now = this.now();
    if (now - this.#lastSweep < 5 * 60_000) return;
    this.#lastSweep = now;
    const expired = await this.sessions.createdBefore(now - UIA_SESSION_LIFETIME_MS);
    await this.db.write(expired.map((id) => this.sessions.del(id)));
  }
}
