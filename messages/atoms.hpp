// Atoms naming the operations of dynserv's actor interfaces (<= 10 chars).
#pragma once

#include "caf/atom.hpp"
#include "caf/type_id.hpp"

// CAF 0.17.6's CAF_ADD_ATOM only declares the alias and its `_v` constant;
// atoms need no entry in the type-ID block.
CAF_ADD_ATOM(dynserv, dynserv::atom, put, "put")
CAF_ADD_ATOM(dynserv, dynserv::atom, get, "get")
CAF_ADD_ATOM(dynserv, dynserv::atom, events, "events")
CAF_ADD_ATOM(dynserv, dynserv::atom, flush, "flush")
CAF_ADD_ATOM(dynserv, dynserv::atom, create, "create")
CAF_ADD_ATOM(dynserv, dynserv::atom, lookup, "lookup")
CAF_ADD_ATOM(dynserv, dynserv::atom, observe, "observe")
CAF_ADD_ATOM(dynserv, dynserv::atom, list, "list")
CAF_ADD_ATOM(dynserv, dynserv::atom, start, "start")
CAF_ADD_ATOM(dynserv, dynserv::atom, stop, "stop")
CAF_ADD_ATOM(dynserv, dynserv::atom, reboot, "reboot")
CAF_ADD_ATOM(dynserv, dynserv::atom, destroy, "destroy")
CAF_ADD_ATOM(dynserv, dynserv::atom, tick, "tick")
CAF_ADD_ATOM(dynserv, dynserv::atom, drain, "drain")
CAF_ADD_ATOM(dynserv, dynserv::atom, deadline, "deadline")
CAF_ADD_ATOM(dynserv, dynserv::atom, retry, "retry")
CAF_ADD_ATOM(dynserv, dynserv::atom, ensure, "ensure")
CAF_ADD_ATOM(dynserv, dynserv::atom, increase, "increase")
CAF_ADD_ATOM(dynserv, dynserv::atom, decrease, "decrease")
CAF_ADD_ATOM(dynserv, dynserv::atom, record, "record")
CAF_ADD_ATOM(dynserv, dynserv::atom, reserve, "reserve")
CAF_ADD_ATOM(dynserv, dynserv::atom, release, "release")
CAF_ADD_ATOM(dynserv, dynserv::atom, status, "status")
CAF_ADD_ATOM(dynserv, dynserv::atom, reload, "reload")
CAF_ADD_ATOM(dynserv, dynserv::atom, reconcile, "reconcile")
CAF_ADD_ATOM(dynserv, dynserv::atom, prune, "prune")
CAF_ADD_ATOM(dynserv, dynserv::atom, login, "login")
CAF_ADD_ATOM(dynserv, dynserv::atom, limits, "limits")
CAF_ADD_ATOM(dynserv, dynserv::atom, server, "server")
CAF_ADD_ATOM(dynserv, dynserv::atom, pause, "pause")
CAF_ADD_ATOM(dynserv, dynserv::atom, resume, "resume")
CAF_ADD_ATOM(dynserv, dynserv::atom, decisions, "decisions")
CAF_ADD_ATOM(dynserv, dynserv::atom, evaluate, "evaluate")
CAF_ADD_ATOM(dynserv, dynserv::atom, adopt, "adopt")
CAF_ADD_ATOM(dynserv, dynserv::atom, sweep, "sweep")
CAF_ADD_ATOM(dynserv, dynserv::atom, cursor, "cursor")
