# Shared by scripts/demo and scripts/test: install what is missing, configure once, build what
# changed. Sourced, not run.

XCT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
XCT_BUILD="${XCT_BUILD:-$XCT_ROOT/build}"
XCT_JOBS="${XCT_JOBS:-$(nproc 2>/dev/null || echo 2)}"

# Debian 12 packages xct builds and tests with.
XCT_DEBIAN_PACKAGES=(
  build-essential cmake pkg-config git
  libhdf5-dev hdf5-tools libtiff-dev libpng-dev libfftw3-dev libinsighttoolkit5-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  libgtest-dev googletest libbenchmark-dev
  python3 python3-h5py python3-numpy python3-tifffile
  python3-scipy python3-numba python3-pywt python3-joblib python3-pil python3-pytest python3-pip
  clang libclang-rt-14-dev
)

# Algotom, the peer tests/reference cross-checks against and bench/ times; not in Debian, so
# from PyPI, without letting pip replace Debian's numpy, scipy or numba.
XCT_ALGOTOM_VERSION="1.7.0"

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

xct_install_algotom() {
  if /usr/bin/python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('algotom') != '$XCT_ALGOTOM_VERSION')" 2>/dev/null; then
    xct_log "algotom $XCT_ALGOTOM_VERSION present"
    return 0
  fi
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  xct_log "installing algotom $XCT_ALGOTOM_VERSION from PyPI"
  "${sudo[@]}" /usr/bin/python3 -m pip install -q --no-deps --break-system-packages \
    "algotom==$XCT_ALGOTOM_VERSION"
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
