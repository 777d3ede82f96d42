#!/usr/bin/env python3
"""Independent reference implementation (Python standard library only) of the spec's redaction
algorithms, reference hashes and event IDs, written from the spec text, used to generate
event-vectors.json. Our TypeScript must agree with it. Run: python3 generate.py > event-vectors.json"""
import base64, hashlib, json

def canonical(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")

TOP_V1 = ["event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures",
          "depth", "prev_events", "prev_state", "auth_events", "origin", "origin_server_ts", "membership"]
TOP_V11 = ["event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures",
           "depth", "prev_events", "auth_events", "origin_server_ts"]
PL = ["ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"]
CONTENT = {
    "v1": {"m.room.member": ["membership"], "m.room.create": ["creator"], "m.room.join_rules": ["join_rule"],
           "m.room.power_levels": PL, "m.room.aliases": ["aliases"],
           "m.room.history_visibility": ["history_visibility"]},
    "v6": {"m.room.member": ["membership"], "m.room.create": ["creator"], "m.room.join_rules": ["join_rule"],
           "m.room.power_levels": PL, "m.room.history_visibility": ["history_visibility"]},
    "v8": {"m.room.member": ["membership"], "m.room.create": ["creator"],
           "m.room.join_rules": ["join_rule", "allow"], "m.room.power_levels": PL,
           "m.room.history_visibility": ["history_visibility"]},
    "v9": {"m.room.member": ["membership", "join_authorised_via_users_server"], "m.room.create": ["creator"],
           "m.room.join_rules": ["join_rule", "allow"], "m.room.power_levels": PL,
           "m.room.history_visibility": ["history_visibility"]},
    "v11": {"m.room.member": ["membership", "join_authorised_via_users_server"], "m.room.create": "ALL",
            "m.room.join_rules": ["join_rule", "allow"], "m.room.power_levels": PL + ["invite"],
            "m.room.history_visibility": ["history_visibility"], "m.room.redaction": ["redacts"]},
}
ALGO = {"1": "v1", "2": "v1", "3": "v1", "4": "v1", "5": "v1", "6": "v6", "7": "v6", "8": "v8", "9": "v9",
        "10": "v9", "11": "v11", "12": "v11"}

def redact(ev, version):
    algo = ALGO[version]
    top = TOP_V11 if algo == "v11" else TOP_V1
    out = {k: v for k, v in ev.items() if k in top}
    content = ev.get("content", {})
    keep = CONTENT[algo].get(ev.get("type"))
    if keep == "ALL":
        new = dict(content)
    elif keep:
        new = {k: content[k] for k in keep if k in content}
    else:
        new = {}
    if algo == "v11" and ev.get("type") == "m.room.member":
        tpi = content.get("third_party_invite")
        if isinstance(tpi, dict) and "signed" in tpi:
            new["third_party_invite"] = {"signed": tpi["signed"]}
    out["content"] = new
    return out

def event_id(ev, version):
    if version in ("1", "2"):
        return ev["event_id"]
    ev = {k: v for k, v in ev.items() if k != "event_id"}
    r = redact(ev, version)
    r.pop("signatures", None); r.pop("unsigned", None)
    h = hashlib.sha256(canonical(r)).digest()
    if version == "3":
        return "$" + base64.b64encode(h).decode().rstrip("=")
    return "$" + base64.urlsafe_b64encode(h).decode().rstrip("=")

def content_hash(ev, version):
    ev = {k: v for k, v in ev.items() if k not in ("unsigned", "signatures", "hashes")}
    if version not in ("1", "2"):
        ev.pop("event_id", None)
    return base64.b64encode(hashlib.sha256(canonical(ev)).digest()).decode().rstrip("=")

BASE = {"room_id": "!r:example.org", "sender": "@alice:example.org", "origin": "example.org",
        "origin_server_ts": 1700000000000, "depth": 5, "prev_events": ["$p"], "auth_events": ["$a1", "$a2"],
        "hashes": {"sha256": "abc"}, "signatures": {"example.org": {"ed25519:1": "sig"}},
        "unsigned": {"age": 10}, "prev_state": [], "membership": "join", "redacts": "$target",
        "extra_top": {"x": 1}}
EVENTS = [
    {"type": "m.room.member", "state_key": "@bob:example.org",
     "content": {"membership": "invite", "displayname": "Bob", "join_authorised_via_users_server": "@a:b",
                 "third_party_invite": {"display_name": "b", "signed": {"mxid": "@bob:example.org",
                                                                         "token": "t", "signatures": {}}}}},
    {"type": "m.room.create", "state_key": "",
     "content": {"creator": "@alice:example.org", "room_version": "9", "m.federate": True,
                 "predecessor": {"room_id": "!old:x"}, "type": "m.space"}},
    {"type": "m.room.join_rules", "state_key": "",
     "content": {"join_rule": "restricted", "allow": [{"type": "m.room_membership", "room_id": "!s:x"}],
                 "other": 1}},
    {"type": "m.room.power_levels", "state_key": "",
     "content": {"ban": 50, "events": {"m.room.name": 50}, "events_default": 0, "invite": 0, "kick": 50,
                 "redact": 50, "state_default": 50, "users": {"@alice:example.org": 100},
                 "users_default": 0, "notifications": {"room": 50}}},
    {"type": "m.room.aliases", "state_key": "example.org", "content": {"aliases": ["#a:example.org"]}},
    {"type": "m.room.history_visibility", "state_key": "", "content": {"history_visibility": "shared", "x": 1}},
    {"type": "m.room.redaction", "content": {"redacts": "$target", "reason": "spam"}},
    {"type": "m.room.message", "content": {"msgtype": "m.text", "body": "héllo 日本語 \U0001F600"}},
    {"type": "m.room.name", "state_key": "", "content": {"name": "Room"}},
    {"type": "org.example.custom", "state_key": "k", "content": {"ü": 1, "\U0001F600": 2, "\uFB01": 3}},
]

vectors = []
for i, e in enumerate(EVENTS):
    ev = dict(BASE); ev.update(e)
    ev["event_id"] = "$v1event%d:example.org" % i
    for version in [str(n) for n in range(1, 13)]:
        vectors.append({"version": version, "event": ev, "redacted": redact(ev, version),
                        "event_id": event_id(ev, version), "content_hash": content_hash(ev, version)})
print(json.dumps(vectors, ensure_ascii=False))
