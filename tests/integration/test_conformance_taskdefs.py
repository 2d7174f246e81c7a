# SPDX-License-Identifier: Apache-2.0
"""Walk every task definition of the reference ECS agent's functional tests.

Each file, with its placeholders filled in, must either be accepted by
`ecs-agent validate-task-definition` and survive a round trip with every
field intact, or be rejected with the named reason listed in REJECTED below.
Anything else (a crash, an unexpected rejection, a missing field after the
round trip, a file nobody looked at) fails.
"""
import json
import re

import pytest

from conftest import CONFORMANCE_DIR

TASKDEF_DIR = CONFORMANCE_DIR / "taskdefinitions"
EXPECTED_FILES = 82

# What the original test harness substituted before registering, mapped onto
# values that are valid in this setting.
PLACEHOLDERS = {
    "TEST_REGION": "us-east-1",
    "EXECUTION_ROLE": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    "TASK_ROLE": "arn:aws:iam::123456789012:role/ecsTaskRole",
    "NETWORK_MODE": "bridge",
    "IMAGE": "busybox:latest",
    "CPUSHARE": "1024",
    "SECRET_NAME": "SECRET_VALUE",
    "SECRET_VALUE_FROM": "arn:aws:ssm:us-east-1:123456789012:parameter/ecs-test",
    "SECRET_OPTION_KEY": "apikey",
    "SECRET_OPTION_PARAM": "arn:aws:ssm:us-east-1:123456789012:parameter/ecs-logger",
    "LOGGER_UUID": "2f1e5d0c-4e0b-4b7e-9a51-0d9a7c1f2e3b",
    "TEST_S3_BUCKET": "ecs-functional-tests",
    "TEST_SSM_ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/gmsa",
    "HAS_PUBLIC_IP": "false",
    "CHECK_TAGS": "true",
    "REPOSITORY_CREDENTIALS": "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry",
    "TEST_AWSLOGS_STREAM_PREFIX": "ecs-functional",
}
# Placeholders that stand for JSON members rather than values.
MEMBER_PLACEHOLDERS = {
    "START_PERIOD": '"startPeriod": 10,',
}

# Files that are rejected, and the reason each must be rejected with. These
# members exist in no version of the ECS API; the reference agent's Go test
# harness dropped them silently when decoding, and the aws CLI refuses them
# ("Unknown parameter"). We name them instead of ignoring them.
REJECTED = {
    "nginx.json": 'containerDefinitions[0].portBindings: unknown parameter, did you mean "portMappings"?',
    "nginx-awsvpc.json": 'containerDefinitions[0].portBindings: unknown parameter, did you mean "portMappings"?',
    "nginx-port-5180.json": 'containerDefinitions[0].portBindings: unknown parameter, did you mean "portMappings"?',
    "security-opt-nonewprivileges.json":
        'containerDefinitions[0].portBindings: unknown parameter, did you mean "portMappings"?',
    "task-elastic-inference.json": "containerDefinitions[0].inferenceDevices: unknown parameter",
}

PLACEHOLDER_RE = re.compile(r"\${3,4}([A-Z0-9_]+)\${3,4}")


def substitute(text: str) -> str:
    def repl(m):
        name = m.group(1)
        if name in MEMBER_PLACEHOLDERS:
            return MEMBER_PLACEHOLDERS[name]
        if name not in PLACEHOLDERS:
            raise AssertionError(f"unknown placeholder {m.group(0)}")
        return PLACEHOLDERS[name]
    return PLACEHOLDER_RE.sub(repl, text)


def all_files():
    return sorted(p.name for p in TASKDEF_DIR.glob("*.json"))


def test_corpus_is_complete():
    assert len(all_files()) == EXPECTED_FILES
    assert set(REJECTED) <= set(all_files())


def assert_subset(expected, actual, path="$"):
    """Every member present in `expected` is present, with the same value, in
    `actual` (the parser may add nothing but must drop nothing)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: object became {type(actual).__name__}"
        for key, value in expected.items():
            assert key in actual, f"{path}.{key}: dropped by the round trip"
            assert_subset(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: list changed"
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_subset(e, a, f"{path}[{i}]")
    else:
        assert expected == actual, f"{path}: {expected!r} became {actual!r}"


@pytest.mark.parametrize("name", all_files())
def test_taskdef(name, ecs_agent, tmp_path):
    text = substitute((TASKDEF_DIR / name).read_text())
    assert "$$$" not in text
    original = json.loads(text)
    path = tmp_path / name
    path.write_text(text)

    result = ecs_agent("validate-task-definition", "--print", str(path))
    assert result.returncode in (0, 1), f"crashed or unreadable: {result.stderr}"

    if name in REJECTED:
        assert result.returncode == 1, f"{name} was accepted, expected rejection: {REJECTED[name]}"
        assert REJECTED[name] in result.stdout, result.stdout
        return

    assert result.returncode == 0, f"{name} rejected:\n{result.stdout}{result.stderr}"
    first, _, printed = result.stdout.partition("\n")
    assert first == f"{path}: OK"
    assert_subset(original, json.loads(printed))
