#!/bin/sh
# As the official image's entry point: the data folder (a fresh volume belongs to root) goes to the rabbitmq
# user, and the server runs as that user in the foreground. RABBITMQ_DEFAULT_USER and RABBITMQ_DEFAULT_PASS
# pass through to the server, which creates that user on the first boot of an empty node.
set -eu
if [ "$(id -u)" = 0 ]; then
  chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq "$0" "$@"
fi
exec /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
