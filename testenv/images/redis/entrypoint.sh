#!/bin/sh
# What redis-stack-server's entrypoint does with REDIS_ARGS: pass them to redis-server.
# shellcheck disable=SC2086
exec redis-server --bind 0.0.0.0 --protected-mode no $REDIS_ARGS
