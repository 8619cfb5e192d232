#!/bin/sh
# What the official mongo image's entry point does with the parts the platform uses, on FerretDB: the data
# folder (a fresh volume belongs to root) goes to the mongodb user, the server runs as that user, and
# MONGO_INITDB_ROOT_USERNAME/PASSWORD make the first user in `admin` (FerretDB's setup user, made only when the
# store is new) and switch authentication on. Extra arguments go to ferretdb.
set -eu
if [ "$(id -u)" = 0 ]; then
  chown -R mongodb:mongodb /data/db
  exec setpriv --reuid=mongodb --regid=mongodb --init-groups "$0" "$@"
fi
if [ -n "${MONGO_INITDB_ROOT_USERNAME:-}" ] || [ -n "${MONGO_INITDB_ROOT_PASSWORD:-}" ]; then
  : "${MONGO_INITDB_ROOT_USERNAME:?MONGO_INITDB_ROOT_PASSWORD is set without MONGO_INITDB_ROOT_USERNAME}"
  : "${MONGO_INITDB_ROOT_PASSWORD:?MONGO_INITDB_ROOT_USERNAME is set without MONGO_INITDB_ROOT_PASSWORD}"
  # Through the environment, not flags: a password on a command line is visible in ps.
  export FERRETDB_TEST_ENABLE_NEW_AUTH=true FERRETDB_SETUP_DATABASE=admin
  export FERRETDB_SETUP_USERNAME="$MONGO_INITDB_ROOT_USERNAME" FERRETDB_SETUP_PASSWORD="$MONGO_INITDB_ROOT_PASSWORD"
fi
exec ferretdb --handler=sqlite --sqlite-url=file:/data/db/ --listen-addr=:27017 \
  --state-dir=/var/lib/ferretdb --telemetry=disable "$@"
