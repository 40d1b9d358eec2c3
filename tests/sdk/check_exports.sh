#!/usr/bin/env bash
# Fails when a plugin library exports any defined dynamic symbol besides the two entry
# points of the ABI.
set -euo pipefail
status=0
for lib in "$@"; do
  extra=$(nm -D --defined-only "$lib" | awk '{print $NF}' |
          grep -vxE 'sloth_plugin_descriptor|sloth_plugin_init_v1' || true)
  if [ -n "$extra" ]; then
    echo "FAIL $lib exports: $(echo "$extra" | tr '\n' ' ')"
    status=1
  else
    echo "ok   $lib: $(nm -D --defined-only "$lib" | awk '{print $NF}' | tr '\n' ' ')"
  fi
done
exit $status
