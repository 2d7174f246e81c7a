# SPDX-License-Identifier: Apache-2.0
"""The operator command `ecs-agent validate-task-definition`."""
import json

GOOD = {
    "family": "web",
    "containerDefinitions": [
        {"name": "app", "image": "busybox:latest", "memory": 64, "essential": True,
         "command": ["sleep", "60"]},
    ],
}


def write(tmp_path, name, doc):
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(p)


def test_valid_file_prints_ok(ecs_agent, tmp_path):
    f = write(tmp_path, "good.json", GOOD)
    r = ecs_agent("validate-task-definition", f)
    assert r.returncode == 0
    assert r.stdout == f"{f}: OK\n"


def test_every_error_is_printed_with_its_path(ecs_agent, tmp_path):
    bad = json.loads(json.dumps(GOOD))
    bad["containerDefinitions"].append({"name": "app", "image": "x", "memory": 64,
                                        "portMappings": [{"containerPort": 80, "hostPort": 70000}]})
    bad["networkMode"] = "overlay"
    f = write(tmp_path, "bad.json", bad)
    r = ecs_agent("validate-task-definition", f)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert len(lines) >= 3, r.stdout
    assert all(line.startswith(f"{f}: ") for line in lines)
    assert any("containerDefinitions[1].portMappings[0].hostPort" in l for l in lines), r.stdout
    assert any("networkMode" in l for l in lines), r.stdout
    assert any("containerDefinitions[1].name" in l for l in lines), r.stdout


def test_malformed_json_is_named(ecs_agent, tmp_path):
    f = write(tmp_path, "broken.json", '{"family": "x", "containerDefinitions": [')
    r = ecs_agent("validate-task-definition", f)
    assert r.returncode == 1
    assert "invalid JSON" in r.stdout


def test_mixed_files_exit_nonzero(ecs_agent, tmp_path):
    good = write(tmp_path, "good.json", GOOD)
    bad = write(tmp_path, "bad.json", {"family": "x"})
    r = ecs_agent("validate-task-definition", good, bad)
    assert r.returncode == 1
    assert f"{good}: OK" in r.stdout
    assert f"{bad}: containerDefinitions" in r.stdout


def test_missing_file_and_usage(ecs_agent, tmp_path):
    r = ecs_agent("validate-task-definition", str(tmp_path / "nope.json"))
    assert r.returncode == 2
    assert "No such file or directory" in r.stderr
    r = ecs_agent("validate-task-definition")
    assert r.returncode == 2
    assert "Usage" in r.stderr


def test_stdin(ecs_agent):
    r = ecs_agent("validate-task-definition", "-", stdin=json.dumps(GOOD))
    assert r.returncode == 0
    assert r.stdout == "-: OK\n"


def test_version_and_unknown_command(ecs_agent):
    r = ecs_agent("--version")
    assert r.returncode == 0 and r.stdout.startswith("ecs-agent ")
    r = ecs_agent("frobnicate")
    assert r.returncode == 2 and "unknown command" in r.stderr


def test_hostile_nesting_is_an_error_not_a_crash(ecs_agent, tmp_path):
    # A quote inside a comment used to hide the brackets after it from the
    # depth check; yajl's recursive free then overflowed the stack.
    depth = 300000
    f = write(tmp_path, "deep.json", '/* " */' + "[" * depth + "]" * depth)
    r = ecs_agent("validate-task-definition", f)
    assert r.returncode == 1, r.stderr
    assert "nesting deeper than 64" in r.stdout
