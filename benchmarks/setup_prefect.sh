#!/usr/bin/env bash
# Create the separate virtualenv holding Prefect 3.8.8, the baseline Baton is compared with.
# Kept outside the repository so that Prefect's dependencies never leak into Baton's.
#
# Usage: benchmarks/setup_prefect.sh [VENV_DIR]   (PYTHON selects the interpreter, >= 3.10)
set -euo pipefail

venv="${1:-$HOME/.cache/baton-bench/prefect-3.8.8}"
python="${PYTHON:-python3}"

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
# FastAPI 0.155 dropped the extra keyword arguments of Body() that Prefect 3.8.8's server
# still passes (min_items), so its temporary API server would not start with a newer one.
"$venv/bin/python" -m pip install --quiet "prefect==3.8.8" "fastapi<0.155"
"$venv/bin/python" -c "import prefect; print('prefect', prefect.__version__, 'in', '$venv')"
