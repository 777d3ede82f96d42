/** The user's settings in this browser: theme and notifications, kept in localStorage. */
import { useEffect, useState } from "preact/hooks";

export type Theme = "system" | "light" | "dark";

export interface Settings {
  readonly theme: Theme;
  /** Browser notifications for mentions and direct messages while the tab is hidden. */
  readonly notifications: boolean;
}

const KEY = "hearth-web:settings";
const DEFAULTS: Settings = { theme: "system", notifications: false };
const listeners = new Set<(s: Settings) => void>();

function read(): Settings {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<Settings>;
    return {
      theme: saved.theme === "light" || saved.theme === "dark" ? saved.theme : "system",
      notifications: saved.notifications === true,
    };
  } catch {
    return DEFAULTS;
  }
}

let current = read();

/** The settings now. */
export function settings(): Settings {
  return current;
}

/** Changes settings, saves them and applies the theme. */
export function updateSettings(change: Partial<Settings>): void {
  current = { ...current, ...change };
  localStorage.setItem(KEY, JSON.stringify(current));
  applyTheme();
  for (const l of listeners) l(current);
}

/** Sets `data-theme` on the root element (`system` follows prefers-color-scheme in the CSS). */
export function applyTheme(): void {
  document.documentElement.dataset.theme = current.theme;
}

/** The settings, re-rendering on change. */
export function useSettings(): Settings {
  const [value, setValue] = useState(current);
  useEffect(() => {
    listeners.add(setValue);
    return () => void listeners.delete(setValue);
  }, []);
  return value;
}
