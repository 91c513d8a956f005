"""The seeded defects of tests/mutants/ still apply to the engine, and their file is read
strictly: a defect that no longer applies would otherwise only show in `make mutants`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("mutants_run", REPO / "tests" / "mutants" / "run.py")
mutants = importlib.util.module_from_spec(_spec)
sys.modules["mutants_run"] = mutants  # dataclasses look their module up there
_spec.loader.exec_module(mutants)


def test_there_are_at_least_25_defects_and_5_fast_ones():
    defects = mutants.load_defects()
    assert len(defects) >= 25 and len([d for d in defects if d.fast]) >= 5


def test_every_defect_applies_once_and_compiles():
    assert mutants.main(["--check"]) == 0


def test_a_search_that_is_not_in_the_engine_is_reported(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "x.py").write_text("LIMIT = 1\n")
    gone = mutants.Defect("gone", "w", "1", "app/x.py", "LIMIT = 2", "LIMIT = 3", "@chat")
    assert mutants.apply(gone, tmp_path) == "its search text occurs 0 times in app/x.py, not once"
    broken = mutants.Defect("broken", "w", "1", "app/x.py", "LIMIT = 1", "LIMIT = (", "@chat")
    assert "is not valid Python" in mutants.apply(broken, tmp_path)


def test_an_unknown_field_is_refused_in_one_sentence(tmp_path):
    bad = tmp_path / "defects.toml"
    bad.write_text('[[defect]]\nname = "x"\nwhat = "w"\ncontract = "1"\nfile = "f"\n'
                   'search = "a"\nreplace = "b"\ntags = "@chat"\ntag = "@auth"\n')
    with pytest.raises(mutants.DefectError, match=r"unknown fields \['tag'\]"):
        mutants.load_defects(bad)


def test_failed_scenarios_are_read_from_junit(tmp_path):
    (tmp_path / "TESTS-chat.xml").write_text(
        '<testsuite><testcase classname="chat" name="A -- @1.2 Examples" status="failed">'
        '<failure message="boom"/></testcase>'
        '<testcase classname="chat" name="B" status="passed"/>'
        '<testcase classname="chat" name="C" status="skipped"><skipped/></testcase></testsuite>')
    assert mutants.scenario_results(tmp_path) == (["A", "B"], ["A"])


def defect(name="d", tags="@chat", names=(), load=False):
    return mutants.Defect(name, "w", "1", "app/x.py", "a", "b", tags, tuple(names), load=load)


def test_one_control_a_capability_choosing_the_union_of_its_defects_scenarios():
    groups = mutants.control_groups([defect("a", "@auth", ["expired"]), defect("b", "@auth", ["audience"]),
                                     defect("c", "@chat", ["pieces"]), defect("d", "@chat")])
    assert groups == {"@auth": ("expired", "audience"), "@chat": ()}


def test_a_defect_whose_scenarios_fail_in_the_control_is_void_not_caught():
    control = mutants.Run(ran=("An expired sign-in", "Another audience"), failed=("An expired sign-in",))
    assert mutants.judge_control(defect(names=["expired"]), control).verdict == "VOID"
    assert mutants.judge_control(defect(names=["audience"]), control) is None  # tried


def test_a_defect_none_of_whose_scenarios_ran_in_the_control_is_no_run():
    control = mutants.Run(ran=("Another audience",))
    assert mutants.judge_control(defect(names=["expired"]), control).verdict == "NO RUN"


def test_a_control_that_timed_out_voids_the_defects_it_ran():
    control = mutants.Run(ran=("An expired sign-in",), note="no result within 900 s")
    assert mutants.judge_control(defect(names=["expired"]), control).verdict == "VOID"


def test_load_scenarios_are_left_out_unless_asked_for(tmp_path):
    command = mutants.behave_command("@capacity", (), tmp_path, with_load=False)
    assert "--tags=not @load" in command
    assert "--tags=not @load" not in mutants.behave_command("@capacity", (), tmp_path, with_load=True)
