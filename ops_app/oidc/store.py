"""One-time authorization codes (60 s), shared by every worker.

Redis when the app's rate-limit storage is Redis (production, tests): `GETDEL` takes a code exactly once,
even when two token requests race. The embedded default (`memory://`, one process) keeps them in a dict.
"""
from __future__ import annotations

import json
import threading
import time

CODE_TTL = 60


class MemoryStore:
    def __init__(self):
        self._data: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def put(self, key: str, value: dict, ttl: int = CODE_TTL) -> None:
        with self._lock:
            now = time.monotonic()
            self._data = {k: v for k, v in self._data.items() if v[0] > now}
            self._data[key] = (now + ttl, json.dumps(value))

    def take(self, key: str) -> dict | None:
        with self._lock:
            item = self._data.pop(key, None)
        if item is None or item[0] < time.monotonic():
            return None
        return json.loads(item[1])


class RedisStore:
    def __init__(self, url: str, prefix: str):
        import redis
        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def put(self, key: str, value: dict, ttl: int = CODE_TTL) -> None:
        self._redis.set(self._prefix + key, json.dumps(value), ex=ttl)

    def take(self, key: str) -> dict | None:
        raw = self._redis.getdel(self._prefix + key)
        return json.loads(raw) if raw else None


def store_for(config) -> MemoryStore | RedisStore:
    url = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if url.startswith(("redis://", "rediss://")):
        return RedisStore(url, f"{config.get('RATELIMIT_KEY_PREFIX') or 'gzda'}:oidc-code:")
    return MemoryStore()
