/**
 * A lean JSON client over `node:http` with a keep-alive agent, for load generation: cheaper per
 * request than `fetch`, and its socket pool is sized for thousands of concurrent long-polls.
 */
import { Agent, request } from "node:http";

/** A JSON response. */
export interface Reply<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

/** A keep-alive connection pool to one server on a loopback address. */
export class Http {
  readonly agent: Agent;
  readonly #host: string;
  readonly #port: number;

  constructor(baseUrl: string, maxSockets = 256) {
    const url = new URL(baseUrl);
    // Load goes only to this machine's loopback addresses (the federation benches use 127.0.0.2-4).
    if (!url.hostname.startsWith("127."))
      throw new Error(`benchmarks only talk to loopback addresses, not ${url.hostname}`);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** Sends a request and reads and parses the whole JSON body. */
  send<T = Record<string, unknown>>(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<Reply<T>> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string | number> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (payload) {
        headers["content-type"] = "application/json";
        headers["content-length"] = payload.length;
      }
      const req = request(
        { host: this.#host, port: this.#port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = {};
            try {
              parsed = text === "" ? {} : JSON.parse(text);
            } catch {
              parsed = { raw: text };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Like {@link send}, but throws unless the status is 200. */
  async ok<T = Record<string, unknown>>(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<T> {
    const res = await this.send<T>(method, path, token, body);
    if (res.status !== 200)
      throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Closes every pooled socket. */
  close(): void {
    this.agent.destroy();
  }
}
