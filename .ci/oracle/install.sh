#!/usr/bin/env bash
# Install the heavy dependencies of the oracle test tier (tests/oracle/) into
# a virtualenv: torch (the CPU build) and lightning.
#
#   bash .ci/oracle/install.sh /path/to/venv
#
# torch goes first and pinned, so that installing lightning afterwards finds
# its torch requirement already met and never pulls another (CUDA) build.
# torch==2.13.0 also matches the local-version wheel 2.13.0+cpu that these
# machines keep on disk (pip's find-links); the machine-wide pip constraints
# (/etc/xdg/pip) apply as usual.  Idempotent: a second run changes nothing.
set -euo pipefail

TORCH_VERSION=${SK_ORACLE_TORCH:-2.13.0}
# Lightning >= 2.1 raises the ValueError the tier checks for (devices against
# --ntasks-per-node); 2.x accepts torch 2.13.
LIGHTNING_SPEC=${SK_ORACLE_LIGHTNING:-lightning>=2.1,<3}

venv=${1:?usage: install.sh VENV}
py=$venv/bin/python
if [[ ! -x $py ]]; then
    echo "install.sh: no python at $py" >&2
    exit 2
fi

installed() { # installed DIST: print the installed version of DIST, or fail
    "$py" -c 'import sys; from importlib.metadata import version; print(version(sys.argv[1]))' \
        "$1" 2>/dev/null
}

pip() { "$py" -m pip install --quiet --no-input "$@"; }

torch_now=$(installed torch || true)
if [[ ${torch_now%%+*} == "$TORCH_VERSION" ]] &&
    "$py" -c 'import sys, torch; sys.exit(torch.version.cuda is not None)' 2>/dev/null; then
    echo "install.sh: torch $torch_now (CPU) already installed"
else
    echo "install.sh: installing torch==$TORCH_VERSION (CPU build)"
    pip "torch==$TORCH_VERSION"
fi

# Constrain torch to the build just installed: lightning must not replace it.
# pip leaves an already satisfying lightning alone.
constraint=$(mktemp)
trap 'rm -f "$constraint"' EXIT
echo "torch==$(installed torch)" >"$constraint"
echo "install.sh: installing $LIGHTNING_SPEC"
pip -c "$constraint" "$LIGHTNING_SPEC"

"$py" - <<'PY'
import lightning
import torch

assert torch.version.cuda is None, f"a CUDA build of torch is installed: {torch.__version__}"
assert torch.distributed.is_gloo_available(), "torch without the gloo backend"
print(f"install.sh: torch {torch.__version__} (CPU, gloo), lightning {lightning.__version__}")
PY
