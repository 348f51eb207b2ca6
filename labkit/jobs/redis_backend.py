"""The distributed job-queue backend: Redis Streams consumer groups plus a few Lua scripts.

Why Streams and not Celery, RQ or Dramatiq: those engines each cover part of the contract
(RQ has no leases, so a SIGKILLed worker's job sits in a "started" registry until a janitor
guesses; Celery's ``acks_late`` redelivers via the broker's visibility timeout but has no
idempotency keys, per-job attempt history or DLQ replay; Dramatiq's Redis broker hides its
"unacked" bookkeeping) and we would still have to build idempotency, the effect ledger and
the status model around them — and the embedded backend could not share their semantics.
Streams consumer groups give exactly the primitive the contract needs: the pending-entries
list (PEL) is exactly the set of jobs handed out and not yet finished, and ``XCLAIM`` moves
an entry to another consumer atomically. Lease expiry scans the PEL (``XPENDING``) and
``XCLAIM``s entries whose job's ``lease_expires_at`` has passed. We do not use
``XAUTOCLAIM``'s idle-time threshold as the lease, because that threshold is the *claimer's*
choice, while the lease must be the *holder's* (set at claim, renewed by its heartbeat) — the
same rule as the SQLite backend; heartbeats still ``XCLAIM … JUSTID`` the entry so its idle
time stays meaningful to anyone inspecting the group. Every
state change is one Lua script, so a job's hash, its status index and its stream entry move
together or not at all.

Keys (all under one ``{ns}`` hash tag, so one Redis Cluster slot holds a namespace):

- ``{ns}:job:<id>``            hash: the job (payload/result/history as JSON strings)
- ``{ns}:s:<queue>:<prio>``    one stream per priority, consumer group ``g``; claim reads the
                               highest priority first
- ``{ns}:st:<queue>:<status>`` sorted set per status (counts, listings, oldest age, expiry)
- ``{ns}:delayed``             ids waiting for their backoff, scored by ``available_at``
- ``{ns}:idem``                idempotency key -> job id
- ``{ns}:effects`` / ``{ns}:effect_log``  the at-most-once effect guard and its ledger
- ``{ns}:effect_jobs``         job id -> the effect key it applied (how a dead job whose
                               effect was applied is found and reconciled by the sweep)

Durability is Redis's: run it with ``appendonly yes`` and ``appendfsync always`` (the
reliability test does) and an acknowledged write survives a Redis restart. The client retries
commands through a restart (redis-py ``Retry``); every script is safe to run twice, because
each checks the job's current status and attempt number before changing anything.

It does not replicate or fail over by itself; that is Redis Sentinel/Cluster's job.

Example:
    >>> q = RedisQueue("redis://127.0.0.1:6379/0", namespace="doc")   # doctest: +SKIP
    >>> q.submit("noop").status                                        # doctest: +SKIP
    'queued'
"""

from __future__ import annotations

import json
from typing import Any, cast

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from labkit.errors import ConfigError, InputError, JobNotFound
from labkit.jobs.base import JobQueue
from labkit.jobs.models import STATUSES, Job, QueueStats, WorkerInfo, new_job_id

_PRELUDE = r"""
local ns = ARGV[1]
local function k(...) return ns .. ':' .. table.concat({...}, ':') end
local function skey(queue, prio) return ns .. ':s:' .. queue .. ':' .. prio end
local function move(id, queue, old, new, score)
  if old and old ~= '' then redis.call('ZREM', k('st', queue, old), id) end
  redis.call('ZADD', k('st', queue, new), score, id)
  redis.call('HSET', k('job', id), 'status', new)
end
local function drop_entry(id)
  local jk = k('job', id)
  local s, e = redis.call('HGET', jk, 'stream'), redis.call('HGET', jk, 'entry')
  if s and e and e ~= '' then
    redis.call('XACK', s, 'g', e)
    redis.call('XDEL', s, e)
  end
  redis.call('HSET', jk, 'entry', '')
end
local function enqueue(id, queue, prio)
  local s = skey(queue, prio)
  if redis.call('ZADD', k('prios', queue), prio, prio) == 1 then
    redis.pcall('XGROUP', 'CREATE', s, 'g', '0', 'MKSTREAM')
  end
  local e = redis.call('XADD', s, '*', 'id', id)
  redis.call('HSET', k('job', id), 'stream', s, 'entry', e)
end
local function close_attempt(id, attempt, outcome, now, err)
  local jk = k('job', id)
  if tonumber(redis.call('HGET', jk, 'attempts')) ~= attempt then return end
  local h = cjson.decode(redis.call('HGET', jk, 'history'))
  local last = h[#h]
  if last then
    last['outcome'] = outcome
    last['ended_at'] = now
    if err then last['error'] = err end
    redis.call('HSET', jk, 'history', cjson.encode(h))
  end
end
"""

# ARGV: ns, id, queue, prio, idem, now, available_at, created_at, then field/value pairs
_SUBMIT = _PRELUDE + r"""
local id, queue, prio, idem, now, avail = ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
if idem ~= '' then
  local existing = redis.call('HGET', k('idem'), idem)
  if existing then return existing end
  redis.call('HSET', k('idem'), idem, id)
end
local fields = {}
for i = 9, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', k('job', id), unpack(fields))
redis.call('SADD', k('queues'), queue)
move(id, queue, nil, 'queued', tonumber(ARGV[8]))
if avail > now then
  redis.call('ZADD', k('delayed'), avail, id)
else
  enqueue(id, queue, prio)
end
local exp = redis.call('HGET', k('job', id), 'expires_at')
if exp and exp ~= '' then redis.call('ZADD', k('expiring'), exp, id) end
return id
"""

# ARGV: ns, queue, worker, now, lease_s, reap(0/1), min_idle_ms
_CLAIM = _PRELUDE + r"""
local queue, w, now, lease, reap, idle = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1', ARGV[7]
local function start(s, entry_id, fields)
  if not fields or not fields[2] then
    redis.call('XACK', s, 'g', entry_id)
    return nil
  end
  local id = fields[2]
  local jk = k('job', id)
  local st = redis.call('HMGET', jk, 'status', 'entry', 'attempts', 'max_attempts', 'expires_at', 'worker_id')
  local status = st[1]
  if (not status) or st[2] ~= entry_id or status == 'succeeded' or status == 'dead'
     or status == 'expired' or status == 'failed' then
    -- a stale entry (finished, replayed or re-queued under a newer entry): discard it
    redis.call('XACK', s, 'g', entry_id)
    redis.call('XDEL', s, entry_id)
    return nil
  end
  local attempts, maxa = tonumber(st[3]), tonumber(st[4])
  if status == 'running' then
    close_attempt(id, attempts, 'lease_expired', now, nil)
    redis.call('HSET', jk, 'last_error', 'lease expired: worker ' .. (st[6] or '?') .. ' stopped heartbeating')
    if attempts >= maxa then
      redis.call('HSET', jk, 'dead_reason', 'lease_expired', 'finished_at', now, 'worker_id', '', 'lease_expires_at', '')
      move(id, queue, 'running', 'dead', now)
      drop_entry(id)
      return nil
    end
  end
  if st[5] and st[5] ~= '' and tonumber(st[5]) <= now then
    redis.call('HSET', jk, 'finished_at', now, 'last_error', 'expired before it ran')
    move(id, queue, status, 'expired', now)
    drop_entry(id)
    return nil
  end
  attempts = attempts + 1
  local h = cjson.decode(redis.call('HGET', jk, 'history'))
  h[#h + 1] = {attempt = attempts, worker_id = w, started_at = now}
  redis.call('HSET', jk, 'attempts', attempts, 'worker_id', w, 'started_at', now,
             'lease_expires_at', now + lease, 'history', cjson.encode(h))
  move(id, queue, status, 'running', now)
  return redis.call('HGETALL', jk)
end
local prios = redis.call('ZREVRANGE', k('prios', queue), 0, -1)
if reap then
  -- the pending-entries list holds exactly the jobs handed out and not finished; an entry
  -- whose job's lease (set by its holder, renewed by its heartbeat) has run out is taken over
  for _, p in ipairs(prios) do
    local s = skey(queue, p)
    local cursor = redis.call('HGET', k('cursor'), s) or '-'
    local rows = redis.call('XPENDING', s, 'g', cursor, '+', 100)
    if #rows < 100 then cursor = '-' else cursor = '(' .. rows[#rows][1] end
    redis.call('HSET', k('cursor'), s, cursor)
    for _, row in ipairs(rows) do
      local eid = row[1]
      local owner_id = redis.call('XRANGE', s, eid, eid)
      local jid = owner_id[1] and owner_id[1][2][2]
      local lease_at = jid and redis.call('HGET', k('job', jid), 'lease_expires_at')
      if (not jid) or (not lease_at) or lease_at == '' or tonumber(lease_at) < now then
        local claimed = redis.call('XCLAIM', s, 'g', w, 0, eid)
        local entry = claimed[1]
        if entry then
          local got = start(s, entry[1], entry[2])
          if got then return got end
        else
          redis.call('XACK', s, 'g', eid)   -- the entry was deleted: drop it from the PEL
        end
      end
    end
  end
end
for _, p in ipairs(prios) do
  local s = skey(queue, p)
  for _ = 1, 50 do
    local r = redis.call('XREADGROUP', 'GROUP', 'g', w, 'COUNT', 1, 'STREAMS', s, '>')
    if not r then break end
    local entry = r[1][2][1]
    if not entry then break end
    local got = start(s, entry[1], entry[2])
    if got then return got end
  end
end
return nil
"""

# ARGV: ns, id, worker, attempt, now, lease_s
_HEARTBEAT = _PRELUDE + r"""
local id, w, attempt, now, lease = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local jk = k('job', id)
local st = redis.call('HMGET', jk, 'status', 'worker_id', 'attempts', 'stream', 'entry')
if st[1] ~= 'running' or st[2] ~= w or tonumber(st[3]) ~= attempt then return 0 end
redis.call('HSET', jk, 'lease_expires_at', now + lease)
if st[5] and st[5] ~= '' then
  -- resetting the entry's idle time is what keeps XAUTOCLAIM away: the lease renewal
  redis.call('XCLAIM', st[4], 'g', w, 0, st[5], 'JUSTID')
end
return 1
"""

# ARGV: ns, id, worker, attempt, now, result_json
_COMPLETE = _PRELUDE + r"""
local id, w, attempt, now = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local jk = k('job', id)
local st = redis.call('HMGET', jk, 'status', 'queue', 'result_ttl_s')
if not st[1] then return -1 end
if st[1] == 'succeeded' or st[1] == 'dead' or st[1] == 'expired' then return 0 end
close_attempt(id, attempt, 'succeeded', now, nil)
local expires = now + tonumber(st[3])
redis.call('HSET', jk, 'result', ARGV[6], 'finished_at', now, 'result_expires_at', expires,
           'lease_expires_at', '')
redis.call('ZREM', k('delayed'), id)
move(id, st[2], st[1], 'succeeded', expires)
drop_entry(id)
return 1
"""

# ARGV: ns, id, worker, attempt, now, error, retryable(0/1), delay_s
_FAIL = _PRELUDE + r"""
local id, w, attempt, now, err = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local retryable, delay = ARGV[7] == '1', tonumber(ARGV[8])
local jk = k('job', id)
local st = redis.call('HMGET', jk, 'status', 'queue', 'attempts', 'max_attempts', 'created_at')
if not st[1] then return '' end
if st[1] ~= 'running' or tonumber(st[3]) ~= attempt then return st[1] end
local attempts, maxa = tonumber(st[3]), tonumber(st[4])
if (not retryable) or attempts >= maxa then
  close_attempt(id, attempt, 'dead', now, err)
  local reason = 'max_attempts'
  if not retryable then reason = 'non_retryable' end
  redis.call('HSET', jk, 'dead_reason', reason, 'last_error', err, 'finished_at', now,
             'worker_id', '', 'lease_expires_at', '', 'available_at', now)
  move(id, st[2], 'running', 'dead', now)
  drop_entry(id)
  return 'dead'
end
close_attempt(id, attempt, 'failed', now, err)
redis.call('HSET', jk, 'last_error', err, 'available_at', now + delay, 'worker_id', '',
           'lease_expires_at', '')
move(id, st[2], 'running', 'failed', tonumber(st[5]))
drop_entry(id)
redis.call('ZADD', k('delayed'), now + delay, id)
return 'failed'
"""

# ARGV: ns, id, worker, attempt, now
_RELEASE = _PRELUDE + r"""
local id, w, attempt, now = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local jk = k('job', id)
local st = redis.call('HMGET', jk, 'status', 'queue', 'attempts', 'worker_id', 'priority', 'created_at')
if st[1] ~= 'running' or st[4] ~= w or tonumber(st[3]) ~= attempt then return 0 end
close_attempt(id, attempt, 'released', now, nil)
redis.call('HSET', jk, 'attempts', attempt - 1, 'worker_id', '', 'lease_expires_at', '', 'available_at', now)
move(id, st[2], 'running', 'queued', tonumber(st[6]))
drop_entry(id)
enqueue(id, st[2], st[5])
return 1
"""

# ARGV: ns, id, worker, attempt, now, delay_s, reason — "not now": back unrun, attempt not counted
_DEFER = _PRELUDE + r"""
local id, w, attempt, now, delay = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local jk = k('job', id)
local st = redis.call('HMGET', jk, 'status', 'queue', 'attempts', 'worker_id', 'created_at')
if st[1] ~= 'running' or st[4] ~= w or tonumber(st[3]) ~= attempt then return 0 end
close_attempt(id, attempt, 'deferred', now, nil)
redis.call('HSET', jk, 'attempts', attempt - 1, 'worker_id', '', 'lease_expires_at', '',
           'available_at', now + delay, 'last_error', ARGV[7])
redis.call('HINCRBY', jk, 'deferrals', 1)
move(id, st[2], 'running', 'queued', tonumber(st[5]))
drop_entry(id)
redis.call('ZADD', k('delayed'), now + delay, id)
return 1
"""

# ARGV: ns, now, limit — moves jobs whose backoff is over back into their stream
_PROMOTE = _PRELUDE + r"""
local now = tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', k('delayed'), '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('ZREM', k('delayed'), id)
  local st = redis.call('HMGET', k('job', id), 'status', 'queue', 'priority', 'created_at')
  if st[1] == 'failed' or st[1] == 'queued' then
    move(id, st[2], st[1], 'queued', tonumber(st[4]))
    enqueue(id, st[2], st[3])
  end
end
return #ids
"""

# ARGV: ns, id, now
_REPLAY = _PRELUDE + r"""
local id, now = ARGV[2], tonumber(ARGV[3])
local st = redis.call('HMGET', k('job', id), 'status', 'queue', 'priority', 'created_at')
if st[1] ~= 'dead' then return 0 end
redis.call('HSET', k('job', id), 'attempts', 0, 'deferrals', 0, 'available_at', now, 'dead_reason', '',
           'finished_at', '', 'worker_id', '')
move(id, st[2], 'dead', 'queued', tonumber(st[4]))
enqueue(id, st[2], st[3])
return 1
"""

# ARGV: ns, now, retention_s, reconcile_only(0/1) — at most 5000 jobs per set per call, so the
# script never blocks Redis for long; workers sweep every few seconds and catch up
_SWEEP = _PRELUDE + r"""
local now, retention = tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {0, 0, 0, {}}
for _, queue in ipairs(redis.call('SMEMBERS', k('queues'))) do
  -- reconcile first: a dead job whose effect was applied is done, not a dead letter
  for _, id in ipairs(redis.call('ZRANGE', k('st', queue, 'dead'), 0, 4999)) do
    local jk = k('job', id)
    local st = redis.call('HMGET', jk, 'dead_reason', 'attempts', 'last_error', 'history', 'result_ttl_s')
    local ekey = redis.call('HGET', k('effect_jobs'), id)
    if ekey and (st[1] == 'max_attempts' or st[1] == 'lease_expired') then
      local value = redis.call('HGET', k('effects'), ekey) or 'null'
      local h = cjson.decode(st[4])
      if type(h) ~= 'table' then h = {} end
      h[#h + 1] = {attempt = tonumber(st[2]), worker_id = 'reconciler', started_at = now, ended_at = now,
                   outcome = 'reconciled',
                   error = 'effect applied before the job went dead (' .. st[1] .. '); last error: ' .. (st[3] or '-')}
      local expires = now + tonumber(st[5])
      redis.call('HSET', jk, 'result', '{"reconciled": true, "was": ' .. cjson.encode(st[1]) .. ', "effect": ' .. value .. '}',
                 'finished_at', now, 'result_expires_at', expires, 'dead_reason', '', 'history', cjson.encode(h))
      move(id, queue, 'dead', 'succeeded', expires)
      out[4][#out[4] + 1] = id
    end
  end
end
if ARGV[4] == '1' then return out end
for _, queue in ipairs(redis.call('SMEMBERS', k('queues'))) do
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', k('st', queue, 'succeeded'), '-inf', now, 'LIMIT', 0, 5000)) do
    redis.call('HDEL', k('job', id), 'result')
    move(id, queue, 'succeeded', 'expired', now)
    out[1] = out[1] + 1
  end
  for _, status in ipairs({'dead', 'expired'}) do
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', k('st', queue, status), '-inf', now - retention, 'LIMIT', 0, 5000)) do
      local idem = redis.call('HGET', k('job', id), 'idempotency_key')
      if idem and idem ~= '' then redis.call('HDEL', k('idem'), idem) end
      redis.call('ZREM', k('st', queue, status), id)
      redis.call('ZREM', k('expiring'), id)
      redis.call('HDEL', k('effect_jobs'), id)
      redis.call('DEL', k('job', id))
      out[3] = out[3] + 1
    end
  end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', k('expiring'), '-inf', now, 'LIMIT', 0, 5000)) do
  redis.call('ZREM', k('expiring'), id)
  local st = redis.call('HMGET', k('job', id), 'status', 'queue')
  if st[1] == 'queued' or st[1] == 'failed' then
    redis.call('HSET', k('job', id), 'finished_at', now, 'last_error', 'expired before it ran')
    redis.call('ZREM', k('delayed'), id)
    move(id, st[2], st[1], 'expired', now)
    drop_entry(id)
    out[2] = out[2] + 1
  end
end
return out
"""

# ARGV: ns, key, job_id, value, now
_EFFECT = _PRELUDE + r"""
if redis.call('HSETNX', k('effects'), ARGV[2], ARGV[4]) == 1 then
  redis.call('RPUSH', k('effect_log'), ARGV[2])
  redis.call('HSET', k('effect_jobs'), ARGV[3], ARGV[2])   -- which job applied it (reconcile)
  return 1
end
return 0
"""

_FLOATS = ("created_at", "available_at", "started_at", "finished_at", "lease_expires_at",
           "result_ttl_s", "result_expires_at", "expires_at")
_INTS = ("priority", "attempts", "max_attempts", "deferrals")


class RedisQueue(JobQueue):
    """The distributed backend (see module docstring)."""

    def __init__(self, redis_url: str, namespace: str = "labkit", url: str | None = None,
                 reap_interval_s: float = 0.25, promote_interval_s: float = 0.05,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not namespace or any(c in namespace for c in "{}:"):
            raise ConfigError(f"bad Redis namespace {namespace!r}")
        self.url = url or redis_url
        self.ns = "{" + namespace + "}"
        self.reap_interval_s = reap_interval_s
        self.promote_interval_s = promote_interval_s
        self._last_reap = 0.0
        self._last_promote = 0.0
        # retried through a Redis restart (connection refused, then LOADING while it reads
        # its append-only file); every script below is safe to run twice
        self.r = redis.Redis.from_url(
            redis_url, decode_responses=True, socket_timeout=30, socket_connect_timeout=5,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 60),
            retry_on_error=[RedisConnectionError, RedisTimeoutError, BusyLoadingError])
        self._scripts = {name: self.r.register_script(src) for name, src in {
            "submit": _SUBMIT, "claim": _CLAIM, "heartbeat": _HEARTBEAT, "complete": _COMPLETE,
            "fail": _FAIL, "release": _RELEASE, "defer": _DEFER, "promote": _PROMOTE, "replay": _REPLAY,
            "sweep": _SWEEP, "effect": _EFFECT}.items()}
        try:
            self.r.ping()
        except RedisConnectionError as exc:
            raise ConfigError(f"cannot reach Redis at {redis_url}: {exc}") from None

    # Typing at the redis-py boundary: a Lua script's reply is whatever the script returns
    # (redis-py types it Any), and redis-py types every reply as bytes | str whatever
    # decode_responses says; this client decodes, so the casts below say str.
    def _run(self, name: str, *args: Any) -> Any:
        return self._scripts[name](keys=[], args=[self.ns, *args])

    def _run_int(self, name: str, *args: Any) -> int:
        """A script whose reply is an integer (1 done, 0 stale, -1 no such job)."""
        return cast(int, self._run(name, *args))

    def _k(self, *parts: str) -> str:
        return ":".join((self.ns, *parts))

    def close(self) -> None:
        self.r.close()

    # --- conversion ------------------------------------------------------------------------
    @staticmethod
    def _job(data: dict[str, str]) -> Job:
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("stream", "entry"):
                continue
            if value == "":
                out[key] = None
            elif key in _FLOATS:
                out[key] = float(value)
            elif key in _INTS:
                out[key] = int(value)
            elif key in ("payload", "history") or key == "result":
                out[key] = json.loads(value)
            else:
                out[key] = value
        if isinstance(out.get("history"), dict):   # Lua's cjson encodes an empty list as {}
            out["history"] = []
        return Job(**out)

    # --- producers ---------------------------------------------------------------------------
    def submit(self, kind: str, payload: dict[str, Any] | None = None, *, queue: str = "default",
               priority: int = 0, idempotency_key: str | None = None,
               max_attempts: int | None = None, result_ttl_s: float | None = None,
               expires_in_s: float | None = None, delay_s: float = 0.0) -> Job:
        job_id = self._submit(kind, payload, queue, priority, idempotency_key, max_attempts,
                              result_ttl_s, expires_in_s, delay_s)
        return self.get(job_id)

    def _submit(self, kind: str, payload: dict[str, Any] | None, queue: str, priority: int,
                idempotency_key: str | None, max_attempts: int | None,
                result_ttl_s: float | None, expires_in_s: float | None, delay_s: float,
                client: Any = None) -> str:
        body, attempts, ttl = self._checked(kind, payload, queue, max_attempts, result_ttl_s)
        now = self.now()
        job_id = new_job_id()
        avail = now + max(0.0, delay_s)
        fields = {
            "id": job_id, "queue": queue, "kind": kind, "payload": body, "priority": int(priority),
            "idempotency_key": idempotency_key or "", "attempts": 0, "max_attempts": attempts,
            "created_at": repr(now), "available_at": repr(avail), "result_ttl_s": ttl,
            "expires_at": repr(now + expires_in_s) if expires_in_s else "", "history": "[]",
            "status": "queued",
        }
        flat = [str(x) for kv in fields.items() for x in kv]
        args: list[str | int] = [self.ns, job_id, queue, int(priority), idempotency_key or "",
                                 repr(now), repr(avail), repr(now), *flat]
        return cast(str, self._scripts["submit"](keys=[], args=args, client=client))

    def submit_many(self, specs: list[dict[str, Any]]) -> list[str]:
        pipe = self.r.pipeline(transaction=False)
        for spec in specs:
            spec = dict(spec)
            self._submit(spec.pop("kind"), spec.pop("payload", None), spec.pop("queue", "default"),
                         spec.pop("priority", 0), spec.pop("idempotency_key", None),
                         spec.pop("max_attempts", None), spec.pop("result_ttl_s", None),
                         spec.pop("expires_in_s", None), spec.pop("delay_s", 0.0), client=pipe)
            if spec:
                raise InputError(f"unknown job fields: {sorted(spec)}")
        return list(pipe.execute())

    # --- workers ----------------------------------------------------------------------------
    def _promote(self, now: float, force: bool = False) -> None:
        if force or now - self._last_promote >= self.promote_interval_s:
            self._last_promote = now
            self._run("promote", repr(now), 500)

    def claim(self, queue: str, worker_id: str, lease_s: float) -> Job | None:
        now = self.now()
        self._promote(now)
        reap = now - self._last_reap >= self.reap_interval_s
        if reap:
            self._last_reap = now
        flat = self._run("claim", queue, worker_id, repr(now), repr(lease_s), "1" if reap else "0",
                         str(int(lease_s * 1000)))
        if not flat:
            return None
        return self._job(dict(zip(flat[::2], flat[1::2])))

    def heartbeat(self, job_id: str, worker_id: str, attempt: int, lease_s: float) -> bool:
        return self._run_int("heartbeat", job_id, worker_id, attempt, repr(self.now()), repr(lease_s)) == 1

    def complete(self, job_id: str, worker_id: str, attempt: int, result: Any) -> bool:
        try:
            body = json.dumps(result)
        except (TypeError, ValueError) as exc:
            raise InputError(f"job result is not JSON-serialisable: {exc}") from None
        out = self._run_int("complete", job_id, worker_id, attempt, repr(self.now()), body)
        if out == -1:
            raise JobNotFound(f"no job {job_id}")
        return out == 1

    def fail(self, job_id: str, worker_id: str, attempt: int, error: str,
             retryable: bool = True) -> str:
        out = cast(str, self._run("fail", job_id, worker_id, attempt, repr(self.now()), error[:2000],
                                  "1" if retryable else "0", repr(self.retry.delay(attempt))))
        if out == "":
            raise JobNotFound(f"no job {job_id}")
        return out

    def release(self, job_id: str, worker_id: str, attempt: int) -> bool:
        return self._run_int("release", job_id, worker_id, attempt, repr(self.now())) == 1

    def defer(self, job_id: str, worker_id: str, attempt: int, delay_s: float,
              reason: str = "") -> bool:
        return self._run_int("defer", job_id, worker_id, attempt, repr(self.now()),
                             repr(max(0.0, delay_s)), reason[:2000]) == 1

    # --- inspection and operations ----------------------------------------------------------
    def get(self, job_id: str) -> Job:
        data = cast(dict[str, str], self.r.hgetall(self._k("job", job_id)))
        if not data:
            raise JobNotFound(f"no job {job_id}")
        return self._job(data)

    def _get_many(self, ids: list[str]) -> list[Job]:
        pipe = self.r.pipeline(transaction=False)
        for job_id in ids:
            pipe.hgetall(self._k("job", job_id))
        return [self._job(d) for d in pipe.execute() if d]

    def list_jobs(self, queue: str | None = None, status: str | None = None,
                  limit: int = 100) -> list[Job]:
        if status is not None and status not in STATUSES:
            raise InputError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
        ids: list[str] = []
        for q in ([queue] if queue else self.queues()):
            for st in ([status] if status else STATUSES):
                ids += cast(list[str], self.r.zrevrange(self._k("st", q, st), 0, limit - 1))
        jobs = sorted(self._get_many(ids), key=lambda j: j.id, reverse=True)
        return jobs[:limit]

    def replay(self, job_ids: list[str] | None = None, queue: str | None = None) -> int:
        if not job_ids:
            if not queue:
                raise InputError("replay needs job ids or a queue name")
            job_ids = cast(list[str], self.r.zrange(self._k("st", queue, "dead"), 0, -1))
        now = repr(self.now())
        return sum(self._run_int("replay", job_id, now) for job_id in job_ids)

    def stats(self, queue: str = "default") -> QueueStats:
        pipe = self.r.pipeline(transaction=False)
        for st in STATUSES:
            pipe.zcard(self._k("st", queue, st))
        pipe.zrange(self._k("st", queue, "queued"), 0, 0, withscores=True)
        pipe.zrange(self._k("st", queue, "failed"), 0, 0, withscores=True)
        out = pipe.execute()
        counts = dict(zip(STATUSES, out[: len(STATUSES)]))
        firsts = [rows[0][1] for rows in out[len(STATUSES):] if rows]
        now = self.now()
        alive = sum(1 for w in self.workers(queue) if w.stopped_at is None and w.last_heartbeat > now - 30)
        return QueueStats(queue=queue, depth=counts["queued"] + counts["failed"],
                          oldest_age_s=max(0.0, now - min(firsts)) if firsts else 0.0,
                          workers_alive=alive, **counts)

    def queues(self) -> list[str]:
        return sorted(cast(set[str], self.r.smembers(self._k("queues"))))

    def counts(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for q in self.queues():
            for st in STATUSES:
                n = self.r.zcard(self._k("st", q, st))
                if n:
                    totals[st] = totals.get(st, 0) + n
        return totals

    def sweep(self, now: float | None = None) -> dict[str, int]:
        now = self.now() if now is None else now
        results, stale, purged, reconciled = self._run("sweep", repr(now), repr(self.failure_retention_s), "0")
        return {"results_expired": results, "stale_expired": stale, "purged": purged,
                "reconciled": len(reconciled)}

    def reconcile(self, now: float | None = None) -> list[str]:
        now = self.now() if now is None else now
        return list(self._run("sweep", repr(now), repr(self.failure_retention_s), "1")[3])

    # --- side effects --------------------------------------------------------------------------
    def apply_effect(self, effect_key: str, job_id: str, value: Any) -> bool:
        return self._run_int("effect", effect_key, job_id, json.dumps(value), repr(self.now())) == 1

    def effect_counts(self) -> dict[str, int]:
        applied = self.r.hlen(self._k("effects"))
        ledger = cast(list[str], self.r.lrange(self._k("effect_log"), 0, -1))
        seen: dict[str, int] = {}
        for key in ledger:
            seen[key] = seen.get(key, 0) + 1
        return {"applied": applied, "ledger": len(ledger),
                "duplicates": sum(1 for n in seen.values() if n > 1)}

    def execution_counts(self) -> dict[str, int]:
        ids: list[str] = []
        for q in self.queues():
            for st in STATUSES:
                ids += cast(list[str], self.r.zrange(self._k("st", q, st), 0, -1))
        pipe = self.r.pipeline(transaction=False)
        for job_id in ids:
            pipe.hget(self._k("job", job_id), "history")
        more, total = 0, 0
        for raw in pipe.execute():
            history = json.loads(raw) if raw else []
            n = sum(1 for a in (history if isinstance(history, list) else [])
                    if a.get("outcome") not in ("released", "deferred", "reconciled"))
            total += n
            more += n > 1
        return {"executed_more_than_once": more, "executions": total}

    # --- worker registry -------------------------------------------------------------------------
    def register_worker(self, info: WorkerInfo) -> None:
        self.r.hset(self._k("workers"), info.worker_id, info.model_dump_json())

    def _update_worker(self, worker_id: str, **changes: Any) -> None:
        raw = self.r.hget(self._k("workers"), worker_id)
        if raw:
            info = WorkerInfo.model_validate_json(raw).model_copy(update=changes)
            self.r.hset(self._k("workers"), worker_id, info.model_dump_json())

    def worker_heartbeat(self, worker_id: str, in_flight: int) -> None:
        self._update_worker(worker_id, last_heartbeat=self.now(), in_flight=in_flight)

    def worker_stopped(self, worker_id: str) -> None:
        self._update_worker(worker_id, stopped_at=self.now(), in_flight=0)

    def workers(self, queue: str | None = None) -> list[WorkerInfo]:
        infos = [WorkerInfo.model_validate_json(v) for v in self.r.hvals(self._k("workers"))]
        return sorted((w for w in infos if queue is None or w.queue == queue), key=lambda w: w.started_at)

