"""/server.py: the runtime under Kyma's buildless launch (contract KB-LAUNCH, KB-DEPS).

Kyma's controller replaces the image's command with `sh -c SCRIPT`; SCRIPT writes the sources into
/kubeless, exports `PYTHONPATH="/kubeless/.local:${PYTHONPATH}"`, installs the Function's
dependencies there with `pip install --target`, then runs `cd ..; python server.py`, i.e. this
file. It starts the same server as the image's own `CMD ["python", "-m", "fnruntime"]`.

That PYTHONPATH puts the user's packages before the runtime's own libraries and before the standard
library, so a user pin of another OpenTelemetry, or a PyPI backport such as `contextvars` or
`asyncio`, would replace what the runtime imports and break it. LOAD-DEPS / KB-DEPS say the
runtime's libraries win: before importing anything of the runtime this file orders sys.path as the
image's own entrypoint has it: the runtime's entries, then the interpreter's (standard library,
site-packages), then the user's entries from PYTHONPATH, in their order (load.py appends the
source directory and its lib/ after them). So the user's packages still resolve for user code.
Only the standard library is used before that.
"""

import os
import sys

#: The runtime's own sys.path entries, in order: the image's PYTHONPATH (Dockerfile ENV;
#: tests/test_image.py checks that the two agree).
RUNTIME_ENTRIES = ("/opt/runtime", "/opt/runtime/lib")


def runtime_first(path, pythonpath, runtime_entries=RUNTIME_ENTRIES):
    """`path` (sys.path) reordered: `runtime_entries`, then the entries that did not come from
    `pythonpath` (the PYTHONPATH value), then those that did; each group keeps its order.

    The runtime's entries are put in even when the Function's own PYTHONPATH dropped them. An empty
    PYTHONPATH component means the working directory, as it does to Python.
    """
    own = [os.path.abspath(entry) for entry in runtime_entries]
    from_env = {os.path.abspath(entry) for entry in pythonpath.split(os.pathsep)} if pythonpath \
        else set()
    rest = [entry for entry in path if os.path.abspath(entry) not in own]
    interpreter = [entry for entry in rest if os.path.abspath(entry) not in from_env]
    user = [entry for entry in rest if os.path.abspath(entry) in from_env]
    return own + interpreter + user


def main(runtime_entries=RUNTIME_ENTRIES):
    sys.path[:] = runtime_first(sys.path, os.environ.get("PYTHONPATH", ""), runtime_entries)
    from fnruntime.__main__ import main as serve  # pylint: disable=import-outside-toplevel

    return serve()


if __name__ == "__main__":
    sys.exit(main())
