"""Section 1 as far as the Dockerfile text shows it (the built image is checked by rtcheck):
IMG-USER, IMG-VOLUME, IMG-RUNTIME, IMG-SIGNALS, IMG-PORT-EXPOSE, and LOAD-DEPS ordering."""

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
