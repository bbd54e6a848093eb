#!/usr/bin/env bash
# Install what tools/run-notebooks.ts needs to execute the notebooks headlessly:
# Debian's Jupyter (nbconvert, nbclient, jupyter-client) and the Deno kernelspec.
# Idempotent: apt is skipped when Debian's python already has nbconvert and nbclient.
#
# Usage (as root on Debian): bash tools/install-jupyter.sh
#
# Debian's /usr/bin/python3 and /usr/bin/jupyter are used explicitly, because the python3 on PATH may be
# another interpreter (pyenv, venv) that does not see Debian's packages.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py=/usr/bin/python3
jupyter=/usr/bin/jupyter
packages=(jupyter-nbconvert python3-nbclient python3-ipykernel jupyter-client)

have_jupyter() {
  [ -x "$jupyter" ] && [ -x "$py" ] && "$py" -c "import nbconvert, nbclient, jupyter_client" 2>/dev/null
}

if have_jupyter; then
  echo "jupyter: already installed ($("$py" -c 'import nbconvert, nbclient; print("nbconvert", nbconvert.__version__, "nbclient", nbclient.__version__)'))"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-jupyter: need root to apt-get install ${packages[*]}" >&2
    exit 1
  fi
  echo "jupyter: installing ${packages[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${packages[@]}"
  have_jupyter || { echo "install-jupyter: nbconvert/nbclient still not importable by $py" >&2; exit 1; }
  echo "jupyter: installed ($("$py" -c 'import nbconvert, nbclient; print("nbconvert", nbconvert.__version__, "nbclient", nbclient.__version__)'))"
fi

# The kernelspec records deno's absolute path, so the repo's deno must come first on PATH.
export PATH="$repo/node_modules/.bin:$PATH"
if ! command -v deno >/dev/null; then
  echo "install-jupyter: no deno in $repo/node_modules/.bin (run npm install first)" >&2
  exit 1
fi
deno="$(command -v deno)"
echo "deno: $deno ($("$deno" --version | head -n 1))"
# --force rewrites an existing spec, so a moved checkout or a new deno gets a correct path.
NO_COLOR=1 "$deno" jupyter --install --force
# Ask jupyter_client itself, so this also proves Jupyter finds the spec where deno wrote it.
"$py" -c 'from jupyter_client.kernelspec import KernelSpecManager as M; s = M().get_kernel_spec("deno"); print("kernelspec: deno ->", " ".join(s.argv), "in", s.resource_dir)'
