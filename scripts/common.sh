# Shared by scripts/demo and scripts/test: install what is missing, configure once, build what
# changed. Sourced, not run.

XCT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
XCT_BUILD="${XCT_BUILD:-$XCT_ROOT/build}"
XCT_JOBS="${XCT_JOBS:-$(nproc 2>/dev/null || echo 2)}"

# Debian 12 packages xct builds and tests with.
XCT_DEBIAN_PACKAGES=(
  build-essential cmake pkg-config git
  libhdf5-dev hdf5-tools libtiff-dev libpng-dev libfftw3-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  libgtest-dev googletest libbenchmark-dev
  python3 python3-h5py python3-numpy python3-tifffile
)

xct_log() { printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

xct_install_packages() {
  local missing=() pkg
  for pkg in "${XCT_DEBIAN_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    xct_log "all Debian packages present"
    return 0
  fi
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  xct_log "installing: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

xct_configure() {
  if [ ! -f "$XCT_BUILD/CMakeCache.txt" ]; then
    xct_log "configuring in $XCT_BUILD"
    cmake -S "$XCT_ROOT" -B "$XCT_BUILD" -DCMAKE_BUILD_TYPE=Release "$@"
  fi
}

xct_build() {
  xct_log "building with $XCT_JOBS jobs"
  cmake --build "$XCT_BUILD" -j "$XCT_JOBS"
}
