"""Sections 1 and 11 as far as the Dockerfile text shows them (the built image is checked by
rtcheck): IMG-USER, IMG-VOLUME, IMG-RUNTIME, IMG-SIGNALS, IMG-PORT-EXPOSE, LOAD-DEPS ordering, and
the files KB-LAUNCH, KB-DEPS and KB-TERM need in the image."""

import importlib.util
import json
import os
import re

from conftest import ROOT

with open(os.path.join(ROOT, "Dockerfile")) as handle:
    DOCKERFILE = handle.read()


LOGICAL_LINES = re.sub(r"\\\n\s*", " ", DOCKERFILE).splitlines()


def _instructions(name):
    return [line.split(None, 1)[1] for line in LOGICAL_LINES
            if line.strip().upper().startswith(name + " ")]


def test_IMG_USER_default_user_is_numeric_and_not_root():
    (user,) = _instructions("USER")
    assert re.fullmatch(r"\d+(:\d+)?", user.strip()) and not user.strip().startswith("0")


def test_IMG_VOLUME_and_IMG_RUNTIME_are_set_in_the_image_config():
    env = " ".join(_instructions("ENV"))
    assert "KUBELESS_INSTALL_VOLUME=/kubeless" in env
    assert "FUNC_RUNTIME=python312" in env


def test_IMG_SIGNALS_cmd_is_exec_form_python_module():
    (cmd,) = _instructions("CMD")
    assert json.loads(cmd) == ["python", "-m", "fnruntime"]
    assert not _instructions("ENTRYPOINT")


def test_IMG_PORT_EXPOSE_8080():
    assert _instructions("EXPOSE") == ["8080"]


def test_LOAD_DEPS_runtime_libraries_come_first_on_PYTHONPATH():
    env = " ".join(_instructions("ENV"))
    assert "PYTHONPATH=/opt/runtime:/opt/runtime/lib" in env
    assert "--target /opt/runtime/lib" in DOCKERFILE


def _run_step_with(text):
    (step,) = [run for run in _instructions("RUN") if text in run]
    return step


def test_KB_LAUNCH_server_py_is_at_the_root_owned_by_root_mode_0644():
    # SCRIPT ends in `cd ..; python server.py` from /kubeless
    step = _run_step_with("/server.py")
    assert "cp /tmp/launch/server.py /server.py" in step
    assert re.search(r"chown 0:0 [^;]*/server\.py", step) and "chmod 0644 /server.py" in step


def test_KB_DEPS_server_py_puts_back_exactly_the_images_PYTHONPATH():
    spec = importlib.util.spec_from_file_location("kyma_launch_server",
                                                  os.path.join(ROOT, "launch", "server.py"))
    launch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launch)
    (pythonpath,) = re.findall(r"PYTHONPATH=(\S+)", " ".join(_instructions("ENV")))
    assert tuple(pythonpath.split(":")) == launch.RUNTIME_ENTRIES


def test_KB_TERM_pid1_sh_replaces_the_sh_symlink_and_dash_stays():
    # copying onto the /bin/sh symlink would overwrite /bin/dash, which pid1-sh runs
    step = _run_step_with("pid1-sh")
    assert step.index("rm /bin/sh") < step.index("cp /tmp/launch/pid1-sh /bin/sh")
    assert "chmod 0755 /bin/sh" in step
    with open(os.path.join(ROOT, "scripts", "image-context.sh")) as handle:
        assert "cp ../shared/pid1-sh pid1-sh" in handle.read()
