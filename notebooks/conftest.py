"""nbval runs of the roadmap notebooks: give the kernels a throwaway ``LABKIT_VAR``.

nbval starts each notebook's kernel from this process's environment, and the autouse
``lab_var`` fixture of ``tests/conftest.py`` does not reach notebook items, so without this
the kernels would write into the repository's ``var/``.
"""

import os
import tempfile

if not os.environ.get("LABKIT_NBVAL_KEEP_VAR"):
    os.environ["LABKIT_VAR"] = tempfile.mkdtemp(prefix="labkit-nbval-")
