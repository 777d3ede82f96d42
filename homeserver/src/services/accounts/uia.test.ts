import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { accountStorage } from "../../storage/accounts.js";
import { Database } from "../../storage/db.js";
import { UiaChallenge, type UiaRequest, UserInteractiveAuth } from "./uia.js";

describe("UserInteractiveAuth", () => {
  let dir: string;
  let db: Database;
  let uia: UserInteractiveAuth;
  const request: UiaRequest = {
    op: "test",
    userId: "@alice:example.org",
    flows: [["m.login.dummy", "m.login.password"], ["m.login.registration_token"]],
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hearth-uia-"));
    db = await Database.open(dir);
    uia = new UserInteractiveAuth(
      db,
      accountStorage(db).uiaSessions,
      {
        resolveUser: () => undefined,
        checkPassword: async (_user, password) => password === "right",
        isRegistrationTokenValid: async () => false,
      },
      () => 1_700_000_000_000,
    );
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The JSON body of the 401 a round answers. */
  async function challenge(auth: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
    try {
      await uia.authenticate(auth, request);
    } catch (e) {
      if (e instanceof UiaChallenge) return e.toJSON();
      throw e;
    }
    throw new Error("the flow completed");
  }

  it("lists the stages completed so far on every 401 of a session", async () => {
    const first = await challenge(undefined);
    expect(first).toEqual({
      flows: [{ stages: ["m.login.dummy", "m.login.password"] }, { stages: ["m.login.registration_token"] }],
      params: {},
      session: first.session,
      completed: [],
    });
    const session = first.session;
    const afterDummy = await challenge({ type: "m.login.dummy", session });
    expect(afterDummy.completed).toEqual(["m.login.dummy"]);
    expect(afterDummy.errcode).toBeUndefined();

    const wrong = await challenge({ type: "m.login.password", password: "wrong", session });
    expect(wrong).toMatchObject({ errcode: "M_FORBIDDEN", completed: ["m.login.dummy"], session });
    // A completed stage retried: the same 401, the stage still listed.
    expect((await challenge({ type: "m.login.dummy", session })).completed).toEqual(["m.login.dummy"]);
    // Only the session (a stage completed out of band would show here).
    expect((await challenge({ session })).completed).toEqual(["m.login.dummy"]);

    const done = await uia.authenticate({ type: "m.login.password", password: "right", session }, request);
    expect(done.userId).toBe("@alice:example.org");
  });
});
