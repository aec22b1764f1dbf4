"""The pure online model: direction of updates, and adaptive selection on a simulated learner."""

from __future__ import annotations

import math
import random

import pytest

from personalization import knowledge
from personalization.selectors.knowledge import TARGET_BAND


def test_ability_rises_after_correct_hard_answers() -> None:
    learner, skill = knowledge.Learner(), knowledge.SkillState()
    before = knowledge.ability_logit(learner, [skill])
    for _ in range(5):
        knowledge.update(learner, [skill], knowledge.Item(2.0, 100), correct=True)
    assert knowledge.ability_logit(learner, [skill]) > before + 0.5
    assert skill.ability > 0
    assert skill.n == 5


def test_ability_falls_after_wrong_easy_answers() -> None:
    learner, skill = knowledge.Learner(), knowledge.SkillState()
    for _ in range(5):
        knowledge.update(learner, [skill], knowledge.Item(-2.0, 100), correct=False)
    assert knowledge.ability_logit(learner, [skill]) < -0.5
    assert learner.ability < 0


def test_a_surprising_answer_moves_ability_more_than_an_expected_one() -> None:
    hard, easy = knowledge.Learner(), knowledge.Learner()
    knowledge.update(hard, [], knowledge.Item(2.0, 100), correct=True)
    knowledge.update(easy, [], knowledge.Item(-2.0, 100), correct=True)
    assert hard.ability > easy.ability > 0


def test_item_difficulty_is_learned_from_many_learners() -> None:
    rng = random.Random(1)
    hard, easy = knowledge.Item(), knowledge.Item()
    for _ in range(400):
        true_ability = rng.gauss(0.0, 1.0)
        for item, true_difficulty in ((hard, 1.5), (easy, -1.5)):
            p = 1 / (1 + math.exp(-(true_ability - true_difficulty)))
            knowledge.update(knowledge.Learner(), [], item, rng.random() < p)
    assert hard.difficulty > 0.7
    assert easy.difficulty < -0.7
    assert hard.n == easy.n == 400


def test_item_learns_that_practice_helps() -> None:
    """On an item where learners improve with practice, the practice gain becomes positive."""
    rng = random.Random(2)
    item = knowledge.Item()
    for _ in range(300):
        learner, skill = knowledge.Learner(), knowledge.SkillState()
        for attempt in range(8):
            correct = rng.random() < 1 / (1 + math.exp(-(attempt - 3.0)))
            knowledge.update(learner, [skill], item, correct)
    assert item.gains[0] > 0.2


def test_learning_rate_settles_with_observations() -> None:
    fresh, seasoned = knowledge.Learner(0.0, 0), knowledge.Learner(0.0, 500)
    knowledge.update(fresh, [], knowledge.Item(), correct=True)
    knowledge.update(seasoned, [], knowledge.Item(), correct=True)
    assert fresh.ability > 5 * seasoned.ability > 0


def test_topic_success_reads_the_momentum_on_the_topic() -> None:
    """Two topics with the same ability: the one failed lately is predicted lower, although the
    learner's own momentum (their latest answers, on the other topic) is good: `predict` on a
    medium question with the topic's momentum in place of the learner's."""
    learner = knowledge.Learner(0.5, 20, recent=0.9, last=1.0)
    failed, passed = knowledge.SkillState(0.1, 6, -0.8), knowledge.SkillState(0.1, 6, 0.8)
    medium = knowledge.Item()
    assert knowledge.topic_success(learner, failed) < knowledge.predict(learner, [failed], medium)
    assert knowledge.topic_success(learner, failed) < knowledge.topic_success(learner, passed)
    for topic in (failed, passed, knowledge.SkillState(-0.4, 2, 0.0)):
        on_topic = knowledge.Learner(learner.ability, learner.n, topic.recent, learner.last)
        expected = knowledge.predict(on_topic, [topic], medium)
        assert math.isclose(knowledge.topic_success(learner, topic), expected, rel_tol=1e-12)


def test_practice_counts_fade_with_later_answers() -> None:
    """Wins and fails count the latest answers most: each answer multiplies the earlier counts
    by 0.5 ** (1 / half-life), so a half-life of answers later an old count weighs half."""
    learner, skill = knowledge.Learner(), knowledge.SkillState()
    knowledge.update(learner, [skill], knowledge.Item(), correct=False)
    for _ in range(int(knowledge.COUNT_HALF_LIFE)):
        knowledge.update(learner, [], knowledge.Item(), correct=True)
    assert learner.fails == pytest.approx(0.5)
    assert skill.fails == 1.0  # answers on other skills leave a skill's counts alone


def test_forgetting_is_neutral_without_times_and_halves_evidence_per_half_life() -> None:
    timeless, timed = knowledge.SkillState(), knowledge.SkillState()
    learner_a, learner_b = knowledge.Learner(), knowledge.Learner()
    for _ in range(5):  # a session: every answer at once
        knowledge.update(learner_a, [timeless], knowledge.Item(), correct=False)
        knowledge.update(learner_b, [timed], knowledge.Item(), correct=False, now=4.0)
    assert (timed.ability, timed.fails) == (timeless.ability, timeless.fails)
    later = 4.0 + knowledge.FORGETTING_HALF_LIFE_DAYS
    assert knowledge.retention(timed, later) == pytest.approx(0.5)
    assert knowledge.retention(timeless, later) == 1.0
    faded = knowledge.topic_success(learner_b, timed, later)
    # The weak topic looks less weak after a month away: its evidence shrank toward the prior.
    unpractised = knowledge.topic_success(learner_b, knowledge.SkillState(), later)
    assert knowledge.topic_success(learner_b, timed, 4.0) < faded < unpractised


def test_simulated_learner_stays_in_the_target_band() -> None:
    """A learner of known ability answers items the model picks; the success rate they see is
    inside the band although the model starts knowing nothing about them."""
    rng = random.Random(7)
    pool = [knowledge.Item(d / 10, 10_000) for d in range(-40, 41)]  # well-learned items
    for true_ability in (-1.5, 0.0, 2.0):
        learner, skill = knowledge.Learner(), knowledge.SkillState()
        outcomes = []
        for _ in range(600):
            item = pool[knowledge.success_band_pick(learner, [skill], pool, TARGET_BAND)]
            p_true = 1 / (1 + math.exp(-(true_ability - item.difficulty)))
            correct = rng.random() < p_true
            knowledge.update(learner, [skill], item, correct)
            outcomes.append(correct)
        rate = sum(outcomes[100:]) / len(outcomes[100:])
        assert TARGET_BAND[0] - 0.05 <= rate <= TARGET_BAND[1] + 0.05, (true_ability, rate)
