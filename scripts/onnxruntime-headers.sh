#!/usr/bin/env bash
# Fetches ONNX Runtime's C API headers for the onnxruntime backend into .ort-headers/include (ignored by
# git; never committed): Debian 12 packages none, Debian 13 (trixie) has libonnxruntime-dev 1.21, whose
# headers alone are extracted (the runtime comes at run time: onnxruntime-node's library, a pip wheel's,
# EDGE_ONNXRUNTIME_LIB). A newer runtime serves this older C API version. CMake picks the folder up.
# Usage: scripts/onnxruntime-headers.sh   (needs apt-get and Debian's mirror; no root)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.ort-headers
if [ -f "$dest/include/onnxruntime/onnxruntime_c_api.h" ]; then
  echo "onnxruntime-headers: $dest/include/onnxruntime already holds them"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" > "$work/sources.list"
apt=(-q -o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$work/lists"
     -o Dir::Cache="$work/cache" -o APT::Sandbox::User=root)
apt-get "${apt[@]}" update > "$work/update.log" 2>&1 || { cat "$work/update.log" >&2; exit 1; }
(cd "$work" && apt-get "${apt[@]}" download libonnxruntime-dev > download.log 2>&1) || { cat "$work/download.log" >&2; exit 1; }
deb=$(ls "$work"/libonnxruntime-dev_*.deb)
dpkg-deb -x "$deb" "$work/root"
rm -rf "$dest"
mkdir -p "$dest/include"
cp -r "$work/root/usr/include/onnxruntime" "$dest/include/"
echo "onnxruntime-headers: $(basename "$deb") -> $dest/include/onnxruntime"
