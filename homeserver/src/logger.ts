/** Structured logging (pino) to stdout. */
import { type Logger, pino } from "pino";
import type { HearthConfig } from "./config/config.js";

/** The server's logger. */
export function createLogger(level: HearthConfig["logLevel"]): Logger {
  return pino({ level, base: { service: "hearth" } });
}
