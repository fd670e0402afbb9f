# Sourced by the .ci/install-*.sh scripts: which Debian packages are missing, and installing them
# where this machine allows (root and apt-get). The scripts always exit 0: without the packages the
# tests that need them skip with a reason that names the script.

# missing_packages PACKAGE...: prints, one per line, those that dpkg does not have installed.
missing_packages() {
  local p
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || printf '%s\n' "$p"
  done
}

# apt_install LABEL WITHOUT [APT-GET OPTION...] -- PACKAGE...: installs the packages and says so,
# each line starting with "LABEL:". Where the user is not root, apt-get is missing or it fails, it
# says so and what happens WITHOUT them (e.g. "the MPI tests will skip"), changes nothing more,
# and returns 1.
apt_install() {
  local label="$1" without="$2" options=()
  shift 2
  while [[ $# -gt 0 && $1 != -- ]]; do options+=("$1"); shift; done
  shift
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "$label: not installing $* (needs root and apt-get); $without."
    return 1
  fi

  echo "$label: installing $* ..."
  # A dpkg run interrupted earlier leaves packages unconfigured and makes every install fail: finish it first.
  DEBIAN_FRONTEND=noninteractive dpkg --configure -a >/dev/null 2>&1 || true
  if [[ -z ${CNNGEN_APT_UPDATED:-} ]]; then
    apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -f >/dev/null 2>&1 && CNNGEN_APT_UPDATED=1
  fi
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${options[@]}" "$@" >/dev/null 2>&1; then
    return 0
  fi

  echo "$label: apt-get could not install $*; $without."
  return 1
}
