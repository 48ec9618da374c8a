#!/usr/bin/env bash
# Runs a command and stops it when the process PARENT_PID goes away, so a test run that is killed
# (even with SIGKILL) leaves no server behind. Usage: watch-parent.sh PARENT_PID command [args...]
parent="$1"; shift
"$@" &
child=$!
stop() { kill -TERM "$child" 2>/dev/null; wait "$child"; exit $?; }
trap stop TERM INT HUP
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do
  sleep 0.5 & wait $!
done
if kill -0 "$child" 2>/dev/null; then stop; fi
wait "$child"
