#!/usr/bin/env bash
# The packages as a user installs them: `npm pack` every workspace (prepack builds each), install
# the tarballs into a scratch TypeScript project outside the repository, type-check it (strict, the
# shipped .d.ts files included) and run one detection on the tiny fixture from it
# (scripts/pack-smoke/index.ts checks the map and score against the golden ones).
#
# Offline: nothing is downloaded outside the npm registry (and that only for what npm's cache
# lacks: --prefer-offline). onnxruntime-node's install script, which would download the CUDA
# provider, is skipped by ONNXRUNTIME_NODE_INSTALL=skip (honoured by the script itself whatever
# the npm version); the scratch project's allowScripts denial blocks it as well under npm 11.
#
# Usage: scripts/pack-smoke.sh            (../shared beside the repository, or AACLIP_SHARED)
#        KEEP_PACK_SMOKE=1 scripts/pack-smoke.sh   keeps the scratch folder for a look
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${AACLIP_SHARED:-$repo/../shared}"
shared="$(cd "$shared" && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/aaclip-pack-smoke.XXXXXX")"
if [ -z "${KEEP_PACK_SMOKE:-}" ]; then trap 'rm -rf "$scratch"' EXIT; else echo "scratch folder: $scratch"; fi
export ONNXRUNTIME_NODE_INSTALL=skip
npm_quiet=(--no-audit --no-fund --loglevel=warn)

echo "== pack (prepack builds each package)"
mkdir -p "$scratch/tarballs" "$scratch/app"
(cd "$repo" && npm pack --workspaces --pack-destination "$scratch/tarballs" "${npm_quiet[@]}" >/dev/null)
tarballs=("$scratch"/tarballs/*.tgz)
for tarball in "${tarballs[@]}"; do
  contents="$(tar -tzf "$tarball")"
  if grep -q 'tsbuildinfo$' <<<"$contents"; then echo "$(basename "$tarball") ships a tsbuildinfo" >&2; exit 1; fi
  if ! grep -qx 'package/LICENSE' <<<"$contents"; then echo "$(basename "$tarball") has no LICENSE" >&2; exit 1; fi
done
echo "${#tarballs[@]} tarballs: $(cd "$scratch/tarballs" && echo *.tgz)"

echo "== install the tarballs into a scratch project"
cp "$repo/scripts/pack-smoke/index.ts" "$repo/scripts/pack-smoke/tsconfig.json" "$scratch/app/"
# Every @aaclip tarball is a dependency (they depend on each other and are on no registry); the
# compiler and Node's types at the versions the repository uses, so npm's cache already has them.
node - "$repo" "$scratch" <<'NODE'
const fs = require('node:fs');
const path = require('node:path');
const [repo, scratch] = process.argv.slice(2);
const version = (name) => JSON.parse(fs.readFileSync(path.join(repo, 'node_modules', name, 'package.json'), 'utf8')).version;
const dependencies = {};
for (const file of fs.readdirSync(path.join(scratch, 'tarballs')).sort()) {
  const pkg = JSON.parse(require('node:child_process').execFileSync('tar', ['-xzOf', path.join(scratch, 'tarballs', file), 'package/package.json'], { encoding: 'utf8' }));
  dependencies[pkg.name] = `file:../tarballs/${file}`;
}
const app = {
  name: 'aaclip-pack-smoke',
  private: true,
  type: 'module',
  dependencies,
  devDependencies: { typescript: version('typescript'), '@types/node': version('@types/node') },
  allowScripts: { 'onnxruntime-node': false, protobufjs: false },
};
fs.writeFileSync(path.join(scratch, 'app', 'package.json'), JSON.stringify(app, null, 2) + '\n');
NODE
(cd "$scratch/app" && npm install --prefer-offline "${npm_quiet[@]}")
cuda_provider="$scratch/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so"
if [ -e "$cuda_provider" ]; then echo "onnxruntime-node's CUDA provider was downloaded" >&2; exit 1; fi

echo "== type-check (tsc, strict, the shipped .d.ts files included) and compile"
(cd "$scratch/app" && npx --no-install tsc -p .)

echo "== detect one image from the scratch project"
(cd "$scratch/app" && node dist/index.js "$shared")
