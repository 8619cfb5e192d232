#!/bin/sh
# The distribution's kafka-console-consumer.sh: org.apache.kafka.tools.consumer.ConsoleConsumer.
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
