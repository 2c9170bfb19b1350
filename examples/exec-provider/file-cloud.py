#!/usr/bin/env python3
"""A toy cloud for dynserv's exec provider: servers live in a JSON file.

dynserv runs this script once per provider call, writes one JSON request to
its stdin and reads one JSON answer from its stdout (protocol: see
docs/providers.md, "The exec provider"). Servers move through the states of
a real cloud on timestamps, so nothing runs in the background:

    create -> provisioning -(create time)-> running
    stop   -> stopping     -(stop time)---> stopped
    start  -> provisioning -(start time)--> running
    reboot -> rebooting    -(reboot time)-> running
    delete -> deleting     -(delete time)-> gone

Environment:
  FILE_CLOUD_DIR          directory of the inventory (required; created)
  FILE_CLOUD_CREATE_S     seconds from create to running (default 3)
  FILE_CLOUD_START_S      seconds from start to running (default 2)
  FILE_CLOUD_STOP_S       seconds from stop to stopped (default 1)
  FILE_CLOUD_REBOOT_S     seconds from reboot to running (default 2)
  FILE_CLOUD_DELETE_S     seconds from delete to gone (default 1)
  FILE_CLOUD_NOW_MS_FILE  optional file holding the current time in ms since
                          the epoch (tests use it to control the clock)

The inventory is `servers.json` in FILE_CLOUD_DIR, guarded by a lock file so
that concurrent runs do not lose updates, and replaced atomically.
"""

import fcntl
import json
import os
import sys
import time
import uuid

STATES = ("provisioning", "running", "stopping", "stopped", "rebooting",
          "deleting", "error", "unknown")


def now_ms():
    clock = os.environ.get("FILE_CLOUD_NOW_MS_FILE")
    if clock:
        with open(clock, encoding="utf-8") as f:
            return int(f.read().strip())
    return int(time.time() * 1000)


def duration_ms(name, default):
    return int(float(os.environ.get(name, default)) * 1000)


# operation -> (state while it runs, state once done, duration variable)
OPS = {
    "create": ("provisioning", "running", ("FILE_CLOUD_CREATE_S", 3)),
    "start": ("provisioning", "running", ("FILE_CLOUD_START_S", 2)),
    "stop": ("stopping", "stopped", ("FILE_CLOUD_STOP_S", 1)),
    "reboot": ("rebooting", "running", ("FILE_CLOUD_REBOOT_S", 2)),
    "delete": ("deleting", None, ("FILE_CLOUD_DELETE_S", 1)),
}


def state_of(server, now):
    """Returns the state of a server at `now`, None once it is gone."""
    during, after, _ = OPS[server["op"]]
    return during if now < server["op_until_ms"] else after


def begin(server, op, now):
    server["op"] = op
    server["op_until_ms"] = now + duration_ms(*OPS[op][2])


def view(server, now):
    state = state_of(server, now)
    return {
        "provider_id": server["id"],
        "name": server["name"],
        "labels": server["labels"],
        "state": state,
        "raw_state": state,
        "created_at_ms": server["created_at_ms"],
    }


def error(kind, code, message):
    return {"error": {"kind": kind, "code": code, "message": message}}


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return {"servers": {}}


def save(path, inventory):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(inventory, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def handle(req, inventory, now):
    op = req.get("op")
    servers = inventory["servers"]
    # Forget servers that are gone.
    for sid in [s for s, x in servers.items() if state_of(x, now) is None]:
        del servers[sid]
    if op == "create":
        r = req["request"]
        sid = "fc-" + uuid.uuid4().hex[:12]
        server = {"id": sid, "name": r["name"], "labels": r.get("labels", {}),
                  "spec": r.get("spec", {}), "created_at_ms": now}
        begin(server, "create", now)
        servers[sid] = server
        return {"servers": [view(server, now)]}
    if op == "list":
        selector = req.get("selector", {})
        found = [view(x, now) for x in servers.values()
                 if all(x["labels"].get(k) == v for k, v in selector.items())]
        return {"servers": sorted(found, key=lambda s: s["created_at_ms"])}
    if op not in ("get", "stop", "start", "reboot", "delete"):
        return error("permanent", "unknown_op", "unknown op %r" % (op,))
    sid = req.get("provider_id")
    server = servers.get(sid)
    if server is None:
        return error("not_found", "not_found", "no server %s" % (sid,))
    state = state_of(server, now)
    if op == "get":
        return {"servers": [view(server, now)]}
    allowed = {"stop": ("running",), "start": ("stopped",),
               "reboot": ("running",), "delete": ("stopped", "deleting")}[op]
    if state not in allowed:
        return error("conflict", "state_illegal",
                     "cannot %s server %s while it is %s" % (op, sid, state))
    if not (op == "delete" and state == "deleting"):
        begin(server, op, now)
    return {"servers": [view(server, now)]}


def main():
    directory = os.environ.get("FILE_CLOUD_DIR")
    if not directory:
        print("file-cloud: set FILE_CLOUD_DIR", file=sys.stderr)
        return 2
    try:
        req = json.load(sys.stdin)
    except ValueError as e:
        print("file-cloud: bad request: %s" % e, file=sys.stderr)
        return 2
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "servers.json")
    with open(os.path.join(directory, "lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        inventory = load(path)
        answer = handle(req, inventory, now_ms())
        save(path, inventory)
    json.dump(answer, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
