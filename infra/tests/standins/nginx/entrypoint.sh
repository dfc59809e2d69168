#!/bin/sh
# What the official image's 20-envsubst-on-templates.sh does: substitute only the defined
# environment variables, so nginx's own $variables pass through.
set -eu
defined=$(env | cut -d= -f1 | sed 's/^/$/' | tr '\n' ' ')
for template in /etc/nginx/templates/*.template; do
  [ -f "$template" ] || continue
  name=$(basename "$template" .template)
  envsubst "$defined" < "$template" > "/etc/nginx/conf.d/$name"
done
exec nginx -g 'daemon off;'
