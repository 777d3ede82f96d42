import { FederationRequestError } from "@hearth/federation";
import { describe, expect, it } from "vitest";
import { fetchRemoteMedia, fileNameOf, multipartMedia, parseMultipartMedia } from "./remote-media.js";

const content = {
  bytes: new Uint8Array([0, 13, 10, 45, 45, 255]),
  contentType: "image/png",
  fileName: "a b.png",
};

describe("remote media", () => {
  it("writes and reads multipart/mixed media answers, binary content intact", () => {
    const { bytes, contentType } = multipartMedia(content, "b0undary");
    expect(parseMultipartMedia(bytes, contentType)).toEqual(content);
    expect(parseMultipartMedia(bytes, "application/json")).toBeUndefined();
    const redirect = Buffer.from(
      "--x\r\nContent-Type: application/json\r\n\r\n{}\r\n--x\r\nLocation: https://cdn.example/1\r\n\r\n\r\n--x--\r\n",
    );
    expect(parseMultipartMedia(new Uint8Array(redirect), "multipart/mixed; boundary=x")).toBeUndefined();
  });

  it("reads file names from Content-Disposition", () => {
    expect(fileNameOf("inline; filename*=utf-8''caf%C3%A9.png")).toBe("café.png");
    expect(fileNameOf('attachment; filename="plain.txt"')).toBe("plain.txt");
    expect(fileNameOf("attachment")).toBeUndefined();
  });

  it("falls back to the deprecated download endpoint for servers without the federation one", async () => {
    const asked: string[] = [];
    const client = {
      async request(_server: string, _method: string, path: string) {
        asked.push(path);
        if (path.startsWith("/_matrix/federation/")) {
          throw new FederationRequestError("old.example", "GET", path, 400, "M_UNRECOGNIZED", "no", {});
        }
        return {
          status: 200,
          json: undefined,
          bytes: content.bytes,
          contentType: "image/png",
          contentDisposition: 'inline; filename="a b.png"',
        };
      },
    };
    expect(await fetchRemoteMedia(client as never, "old.example", "abc", 1000)).toEqual(content);
    expect(asked).toEqual([
      "/_matrix/federation/v1/media/download/abc",
      "/_matrix/media/v3/download/old.example/abc",
    ]);
    // A real 404 is not a reason to try elsewhere.
    const missing = {
      async request(_s: string, _m: string, path: string) {
        throw new FederationRequestError("new.example", "GET", path, 404, "M_NOT_FOUND", "no", {});
      },
    };
    await expect(fetchRemoteMedia(missing as never, "new.example", "abc", 1000)).rejects.toMatchObject({
      status: 404,
    });
  });
});
