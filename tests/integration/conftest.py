# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures: where the built binaries and the conformance corpus are.

scripts/test exports ECS_BUILD_DIR (build/ or build-asan/) and ECS_SOURCE_DIR;
running pytest by hand defaults to the normal build tree.
"""
import os
import pathlib
import subprocess

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("ECS_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD_DIR = pathlib.Path(os.environ.get("ECS_BUILD_DIR", SOURCE_DIR / "build"))
CONFORMANCE_DIR = SOURCE_DIR.parent / "shared" / "conformance" / "ecs-agent-functional"


def agent_binary() -> pathlib.Path:
    return BUILD_DIR / "agent" / "ecs-agent"


@pytest.fixture(scope="session")
def ecs_agent():
    binary = agent_binary()
    if not binary.exists():
        pytest.fail(f"{binary} is not built: run scripts/test")

    def run(*args, stdin=None, timeout=30):
        return subprocess.run([str(binary), *args], input=stdin, capture_output=True,
                              text=True, timeout=timeout)
    return run
