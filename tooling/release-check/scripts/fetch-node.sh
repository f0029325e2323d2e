#!/usr/bin/env bash
# Prints the path of the newest Node <line>.x for this machine, fetched on first use from the
# npm registry (node-linux-<arch> holds the official binary as package/bin/node) and kept in
# <cache>/node-<version>. Without the registry, the newest cached binary of that line is used.
# Usage: fetch-node.sh <major> <cache folder>
set -euo pipefail
line=$1
cache=$2
package="node-linux-$(node -p process.arch)"

# The highest x.y.z of a JSON string or array on stdin; npm prints an error object on failure.
newest() { node -e 'const all = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8") || "[]"))
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const key = (v) => v.split(".").map(Number);
  all.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
  console.log(all.at(-1) ?? "");'; }

version=$(npm view "$package@$line" version --json 2>/dev/null | newest || true)
if [ -z "$version" ]; then
  version=$(find "$cache" -maxdepth 1 -name "node-$line.*" -printf '%f\n' 2>/dev/null | sed 's/^node-//' |
    node -e 'console.log(JSON.stringify(require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean)))' | newest)
fi
if [ -z "$version" ]; then
  echo "fetch-node: no Node $line: the registry did not answer and $cache holds none" >&2
  exit 1
fi

dir="$cache/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack "$package@$version" --silent >/dev/null && tar xzf "$package-$version.tgz" package/bin/node)
  mkdir -p "$dir/bin"
  # Renamed into place so that an interrupted fetch never leaves a half-written binary behind.
  mv "$work/package/bin/node" "$dir/bin/node.part" && mv "$dir/bin/node.part" "$dir/bin/node"
fi
echo "$dir/bin/node"
