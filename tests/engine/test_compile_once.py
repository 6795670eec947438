"""The training loop hands each kernel one array layout, whichever layer it works on, so a first
start on a new machine compiles each kernel once per dtype (compiling is most of that start)."""
import json
import os
import subprocess
import sys

# in a new process with an empty compile cache: with a warm cache the loop is loaded whole and its
# kernels report no compiled versions at all
SCRIPT = """
import json
import numpy as np
from engine import Network, Trainer, kernels
X = np.random.default_rng(0).normal(size=(2, 40))
Trainer(Network([2, 3, 1]), (X, (X[:1] > 0) * 1.0), batch_size=8).train(steps=1)
names = ["_affine_activate_blocks", "_weight_grads_blocks", "_error_and_grads_below_blocks", "_hidden_error",
         "_gather_columns_blocks", "output_error", "cost", "_update_blocks"]
print(json.dumps({name: len(getattr(kernels, name).signatures) for name in names}))
"""


def test_the_training_loop_compiles_each_kernel_once(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    versions = json.loads(out.stdout.strip().splitlines()[-1])
    assert versions == {name: 1 for name in versions}
