#!/usr/bin/env bash
# Mesa's software Vulkan driver (lavapipe) recent enough for Dawn, so the webgpu backend can be
# tested on a machine without a GPU. Debian 12's own Mesa 22.3 is rejected by Dawn
# ("shaderUniform*ArrayDynamicIndexing required"); the Mesa 25 build from bookworm-backports works.
# The package is fetched with apt from a private source list and unpacked under DIR (default
# .cache/lavapipe); nothing in the system's apt configuration changes. Prints the environment to
# export: eval "$(scripts/webgpu/lavapipe.sh)".
set -euo pipefail
dir="$(realpath -m "${1:-.cache/lavapipe}")"
icd="$dir/lvp_icd.json"
if [[ ! -f "$icd" ]]; then
  # The Vulkan loader and the libraries the driver links against (LLVM 15, libdrm) come from
  # Debian 12 itself, through its stock Mesa package.
  if ! dpkg -s libvulkan1 mesa-vulkan-drivers >/dev/null 2>&1; then
    apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends libvulkan1 mesa-vulkan-drivers >&2
  fi
  state="$dir/apt"
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/sources"
  cat >"$state/sources/backports.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$state/sources"
        -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" -o "Debug::NoLocking=1")
  apt-get "${opts[@]}" update -qq >&2
  version="$(apt-cache "${opts[@]}" madison mesa-vulkan-drivers | awk '/bookworm-backports/ {print $3; exit}')"
  [[ -n "$version" ]] || { echo "lavapipe.sh: bookworm-backports has no mesa-vulkan-drivers" >&2; exit 1; }
  (cd "$state" && apt-get "${opts[@]}" download "mesa-vulkan-drivers=$version" >&2)
  dpkg-deb -x "$state"/mesa-vulkan-drivers_*.deb "$dir/root"
  lib="$(find "$dir/root" -name 'libvulkan_lvp.so' | head -n1)"
  [[ -n "$lib" ]] || { echo "lavapipe.sh: no libvulkan_lvp.so in the package" >&2; exit 1; }
  cat >"$icd" <<JSON
{ "file_format_version": "1.0.0", "ICD": { "library_path": "$lib", "api_version": "1.3.0" } }
JSON
  rm -rf "$state"
fi
mkdir -p "$dir/xdg" "$dir/shader-cache" && chmod 700 "$dir/xdg"
echo "export VK_DRIVER_FILES='$icd' XDG_RUNTIME_DIR='$dir/xdg' MESA_SHADER_CACHE_DIR='$dir/shader-cache'"
