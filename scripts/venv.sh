# Sourced by ./dev and ./test: make sure .venv exists and matches pyproject.toml, then activate it.
# Reinstalls only when pyproject.toml changed since the last install (stamp holds its hash).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.tzurot-installed"
want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
py="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { echo "tzurot needs Python 3.11 or newer (found: $("$py" --version 2>&1))" >&2; exit 1; }
    echo "creating $venv" >&2
    "$py" -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "installing dependencies into $venv (first run or pyproject.toml changed)" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[dev,test]"
    echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
export VIRTUAL_ENV="$venv"
