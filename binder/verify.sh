#!/bin/bash
# Checks the Binder set-up as far as this machine can: the steps repo2docker takes, in a clean
# virtual environment and a clean HOME, then the running server. `make test` runs it.
#
#   1. copy the repository's files (tracked and new, not ignored) to a scratch folder
#   2. a new venv with the Python of binder/runtime.txt; pip install -r binder/requirements.txt
#      from the copy's root (this builds the wheel, the JupyterLab extension included)
#   3. binder/postBuild, then binder/start with a JupyterLab command
#   4. the server answers; NeuroLake is the default kernel; the extension is listed and in the page;
#      the first page is the tour; the demo tables are in the workspace; every demo notebook
#      executes with nbclient with no error output
#   5. when a container engine answers (`docker info`), also build the image with repo2docker
#
# Pip's and npm's download caches are reused (they are not configuration); nothing else of the
# caller's HOME is. Exit status 0 only when every check passed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python_version="$(sed -n 's/^python-//p' "$repo/binder/runtime.txt")"
python="$(command -v "python$python_version" || command -v python3)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/neurolake-binder.XXXXXX")"
server_pid=""
pip_cache="$(python3 -m pip cache dir 2>/dev/null || echo "$HOME/.cache/pip")"
npm_cache="$(npm config get cache 2>/dev/null || echo "$HOME/.npm")"

cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT
step() { printf '\n== binder/verify: %s\n' "$*"; }

step "copy the repository to $scratch/repo"
mkdir -p "$scratch/repo" "$scratch/home"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 -I{} find {} -maxdepth 0 -type f -print0 | xargs -0 cp --parents -t "$scratch/repo")

step "clean venv ($("$python" --version)) and clean HOME"
"$python" -m venv "$scratch/env"
export HOME="$scratch/home" PATH="$scratch/env/bin:$PATH"
export PIP_CACHE_DIR="$pip_cache" npm_config_cache="$npm_cache"
unset NEUROLAKE_WORKSPACE JUPYTER_CONFIG_DIR JUPYTER_DATA_DIR JUPYTER_RUNTIME_DIR VIRTUAL_ENV
if ! python -c "import sys; assert sys.version.startswith('$python_version')" 2>/dev/null; then
    # a machine without that Python still checks everything else; Binder itself uses runtime.txt's
    echo "note: no python$python_version here; checking with $(python --version) instead"
fi
python -m pip install --quiet --upgrade pip

step "pip install -r binder/requirements.txt"
(cd "$scratch/repo" && python -m pip install --quiet -r binder/requirements.txt)

step "binder/postBuild"
(cd "$HOME" && bash "$scratch/repo/binder/postBuild")

step "binder/start jupyter lab"
port="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
token="binder-verify"
root_flag=()
[ "$(id -u)" = 0 ] && root_flag=(--allow-root)
(cd "$HOME" && exec "$scratch/repo/binder/start" jupyter lab --no-browser --ip=127.0.0.1 \
    --port="$port" --IdentityProvider.token="$token" "${root_flag[@]}" \
    >"$scratch/server.log" 2>&1) &
server_pid=$!

step "checks"
if ! python "$repo/binder/verify_checks.py" "http://127.0.0.1:$port" "$token" "$HOME"; then
    echo "--- server log"; tail -n 40 "$scratch/server.log"; exit 1
fi

if docker info >/dev/null 2>&1; then
    step "a container engine answers: build the image with repo2docker"
    python -m pip install --quiet jupyter-repo2docker
    (cd "$scratch/repo" && repo2docker --no-run --image-name neurolake-lab-binder-verify .)
    echo "repo2docker built the image neurolake-lab-binder-verify"
else
    step "no container engine answers (docker info failed): the repo2docker image build was not run"
fi
echo "binder/verify: all checks passed"
