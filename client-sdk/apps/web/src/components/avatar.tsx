/** Avatars: the user's or room's image (authenticated media), else an initial on a colour. */
import type { MatrixClient } from "@hearth/client-sdk";
import { useMedia } from "../lib/media.js";

/** A stable colour class for a name. */
function colour(seed: string): string {
  let h = 0;
  for (let i = 0; i < seed.length; i++) h = (h * 31 + seed.charCodeAt(i)) | 0;
  return `c${Math.abs(h) % 8}`;
}

/** The first letter of a name, skipping sigils (`@`, `#`, `!`). */
function initial(name: string): string {
  const letter = name.replace(/^[@#!+]/, "").match(/[\p{L}\p{N}]/u)?.[0];
  return (letter ?? "?").toUpperCase();
}

interface Props {
  readonly client: MatrixClient;
  readonly mxc: string | undefined;
  readonly name: string;
  readonly seed?: string;
  readonly size?: "s" | "m" | "l";
}

/** A decorative avatar (names are always shown beside it). */
export function Avatar({ client, mxc, name, seed, size = "m" }: Props) {
  const media = useMedia(client, mxc);
  if (media?.status === "ready") return <img class={`avatar ${size}`} src={media.url} alt="" />;
  return (
    <span class={`avatar ${size} ${colour(seed ?? name)}`} aria-hidden="true">
      {initial(name)}
    </span>
  );
}

/** A presence dot (online, unavailable, offline), labelled for assistive technology. */
export function PresenceDot({ client, userId }: { readonly client: MatrixClient; readonly userId: string }) {
  const presence = client.presence(userId)?.presence ?? "offline";
  const label = presence === "online" ? "online" : presence === "unavailable" ? "away" : "offline";
  return <span class={`presence ${label}`} role="img" aria-label={label} title={label} />;
}
