#!/usr/bin/env bash
# Start the backend, wait until its default models are ready, then the frontend.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
BACKEND_PORT=${BACKEND_PORT:-8000}
FRONTEND_PORT=${FRONTEND_PORT:-8501}

# another server on a port would answer for ours ("backend ready" from someone else's)
port_free() {
  $PY -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[1])))' "$1" 2>/dev/null
}
for port in "$BACKEND_PORT" "$FRONTEND_PORT"; do
  port_free "$port" || {
    echo "port $port is taken (the product running already, or another server): stop it,"
    echo "or start on other ports: BACKEND_PORT=... FRONTEND_PORT=... make run"
    exit 1
  }
done

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

BACKEND_PORT=$BACKEND_PORT $PY -m app &
pids+=($!)
echo "waiting for the backend on port $BACKEND_PORT (first start trains the default models)..."
for _ in $(seq 1 600); do
  if curl -fsS "http://127.0.0.1:$BACKEND_PORT/readyz" >/dev/null 2>&1; then break; fi
  kill -0 "${pids[0]}" 2>/dev/null || { echo "the backend stopped; see logs/backend/"; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$BACKEND_PORT/readyz" >/dev/null || { echo "backend not ready"; exit 1; }
echo "backend ready: http://127.0.0.1:$BACKEND_PORT/docs"

if [ -f frontend/streamlit_app.py ]; then
  BACKEND_URL=${BACKEND_URL:-http://127.0.0.1:$BACKEND_PORT} FRONTEND_PORT=$FRONTEND_PORT $PY -m ui &
  pids+=($!)
  echo "frontend: http://127.0.0.1:$FRONTEND_PORT"
fi
wait -n "${pids[@]}"
