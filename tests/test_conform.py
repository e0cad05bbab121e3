"""rnncheck conform, on a small suite written here: what each cell of the matrix says, and the exit status."""

from __future__ import annotations

import json
import textwrap

import pytest

from rnncheck import cli, conform
from rnncheck.conformance.causes import CAUSES

FAKE_SUITE = """
import pytest

def test_agrees():
    assert 1 + 1 == 2

@pytest.mark.xfail(strict=True, reason="ave of a masked step differs (example: time=1)")
def test_recorded_divergence():
    assert 0.5 == 0.0

def test_library_missing():
    pytest.skip("torch not installed: pip install torch")
"""


RECORDED = "3.15.1"  # the release rnncheck.conformance.causes records its causes on


def write_suite(tmp_path, *extra: str):
    folder = tmp_path / "tests"
    folder.mkdir()
    (folder / "conftest.py").write_text("")
    (folder / "test_fake.py").write_text(textwrap.dedent(FAKE_SUITE + "".join(extra)))
    return folder


def isolate(patch: pytest.MonkeyPatch) -> None:
    """No version probe (a process importing each backend), and no pytest plugin in the fake suite's run."""
    # The fake suite needs no plugin, and loading Hypothesis's was most of that process's time: 0.8 s -> 0.2 s.
    patch.setattr(conform, "backend_versions", lambda env: {"backend": env["KERAS_BACKEND"], "keras": RECORDED})
    patch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture(autouse=True)
def isolated(monkeypatch):
    isolate(monkeypatch)


def run_fake(tmp_path, *extra: str, require_installed=False) -> conform.BackendRun:
    folder = write_suite(tmp_path, *extra)
    return conform.run_backend("tensorflow", tests=folder, pytest_args=[], require_installed=require_installed)


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory) -> conform.BackendRun:
    """FAKE_SUITE run once, for the tests that only read its outcome."""
    with pytest.MonkeyPatch.context() as patch:
        isolate(patch)
        return run_fake(tmp_path_factory.mktemp("fake"))


def test_each_test_is_passed_divergence_or_skipped(fake_run):
    statuses = {o.test.split("::")[-1]: o.status for o in fake_run.outcomes}
    assert statuses == {
        "test_agrees": "passed",
        "test_recorded_divergence": "divergence",
        "test_library_missing": "skipped",
    }
    assert fake_run.ok and conform.passed([fake_run])


def test_a_failure_fails_the_backend_and_is_listed(tmp_path):
    run = run_fake(tmp_path, "\ndef test_broken():\n    assert [1] == [2]\n")
    assert run.count("failed") == 1 and not conform.passed([run])
    text = conform.matrix([run])
    assert "FAILED (1)" in text and "tests/test_fake.py::test_broken" in text


def test_a_fixed_divergence_shows_as_a_failure(tmp_path):
    fixed = '\n@pytest.mark.xfail(strict=True, reason="fixed upstream")\ndef test_now_agrees():\n    assert True\n'
    run = run_fake(tmp_path, fixed)
    assert {o.test.split("::")[-1]: o.status for o in run.outcomes}["test_now_agrees"] == "failed"


def test_matrix_lists_divergences_with_their_reason(fake_run):
    text = conform.matrix([fake_run])
    assert "1 passed, 1 known, 1 skipped" in text
    assert "known divergences:" in text and "ave of a masked step differs (example: time=1)" in text


def test_a_missing_library_skip_fails_where_backends_are_required(fake_run):
    assert conform.passed([fake_run]) and not conform.passed([fake_run], require_installed=True)


def test_a_backend_not_installed_is_reported_with_its_pip_command(monkeypatch):
    monkeypatch.setattr(conform, "installed", lambda backend: backend != "jax")
    (run,) = conform.conform(["jax"], tests=conform.suite_folder())
    assert not run.installed and run.to_dict()["install"] == 'pip install "rnncheck[backends]"'
    assert 'jax: not installed (pip install "rnncheck[backends]")' in conform.matrix([run])
    assert conform.passed([run]) and not conform.passed([run], require_installed=True)


def test_cli_json_has_the_documented_shape_and_exits_1_on_failure(tmp_path, capsys):
    folder = write_suite(tmp_path, "\ndef test_broken():\n    assert False\n")
    code = cli.main(["conform", "--backends", "tensorflow", "--tests", str(folder), "--json"])
    report = json.loads(capsys.readouterr().out)["backends"]["tensorflow"]
    assert code == 1
    assert (report["passed"], report["failed"], report["skipped"]) == (1, 1, 1)
    assert report["divergences"] == [
        {
            "test": "tests/test_fake.py::test_recorded_divergence",
            "example": "",
            "reason": "ave of a masked step differs (example: time=1)",
        }
    ]
    assert report["versions"] == {"backend": "tensorflow", "keras": RECORDED} and report["seconds"] > 0
    tensorflow_causes = {c.id for c in CAUSES.values() if "tensorflow" in c.backends}
    assert report["recorded_release"] and report["causes"] == dict.fromkeys(tensorflow_causes, "not tested")


def test_cli_refuses_an_unknown_backend(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["conform", "--backends", "mxnet"])
    assert exit.value.code == 2 and "invalid choice: 'mxnet'" in capsys.readouterr().err


# A cause's releases: on a release it was observed on, a fixed divergence fails; elsewhere it is news.

FIXED_CAUSE = """

@pytest.mark.xfail(
    strict=True, reason="Keras zeroes t=0; reference does not. [tensorflow-unroll-reversed-mask-zeroing]"
)
def test_fixed_upstream():
    assert True
"""


def run_on_release(tmp_path, monkeypatch, release: str) -> conform.BackendRun:
    monkeypatch.setattr(conform, "backend_versions", lambda env: {"backend": "tensorflow", "keras": release})
    return run_fake(tmp_path, FIXED_CAUSE)


def test_a_cause_gone_on_a_recorded_release_fails(tmp_path, monkeypatch):
    run = run_on_release(tmp_path, monkeypatch, RECORDED)
    assert run.cause_status(conform.causes_of("tensorflow")[0]) == "gone"
    assert not conform.passed([run]) and "FAILED (1)" in conform.matrix([run])


def test_a_cause_gone_on_another_release_is_news_not_a_failure(tmp_path, monkeypatch):
    run = run_on_release(tmp_path, monkeypatch, "9.0.0")
    assert conform.passed([run])
    text = conform.matrix([run])
    assert "Keras 9.0.0 is not a release the causes were observed on" in text
    observed = ", ".join(CAUSES["tensorflow-unroll-reversed-mask-zeroing"].releases)
    gone = "tensorflow-unroll-reversed-mask-zeroing: gone (news: fixed in this release?)"
    assert f"{gone}; observed on {observed}" in text
    assert "1 gone" in text


def test_a_new_failure_on_another_release_still_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(conform, "backend_versions", lambda env: {"backend": "tensorflow", "keras": "9.0.0"})
    run = run_fake(tmp_path, "\ndef test_new():\n    assert False\n")
    assert not conform.passed([run]) and "FAILED (1)" in conform.matrix([run])
